"""/scanner/: the door scanner web app (devices/scanner.py)."""
from django.urls import path

from devices import scanner

urlpatterns = [
    path("", scanner.app, name="scanner"),
    path("sw.js", scanner.service_worker, name="scanner-sw"),
    path("manifest.webmanifest", scanner.webmanifest, name="scanner-manifest"),
]

"""/office/: the box-office terminal web app (offices/terminal.py)."""
from django.urls import path

from offices import terminal

urlpatterns = [
    path("", terminal.app, name="office"),
    path("sw.js", terminal.service_worker, name="office-sw"),
    path("manifest.webmanifest", terminal.webmanifest, name="office-manifest"),
]

from django.urls import path

from access import offline_api

urlpatterns = [
    # Cold (offline) scanning: docs/adr/0012.
    path("scan/manifest", offline_api.ManifestView.as_view(), name="scan-manifest"),
    path("scan/sync", offline_api.SyncView.as_view(), name="scan-sync"),
]

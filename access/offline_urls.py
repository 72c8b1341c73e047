from django.urls import path

from access import api_offline

urlpatterns = [
    # Cold (offline) scanning: docs/adr/0012.
    path("scan/manifest", api_offline.ManifestView.as_view(), name="scan-manifest"),
    path("scan/sync", api_offline.SyncView.as_view(), name="scan-sync"),
]

from django.urls import path

from access import api

urlpatterns = [
    path("events/<str:event_id>/credentials", api.CredentialListView.as_view(), name="credentials"),
    path("credentials/<str:credential_id>/revoke", api.CredentialRevokeView.as_view(), name="credential-revoke"),
    path("credentials/<str:credential_id>/qr", api.CredentialQRView.as_view(), name="credential-qr"),
    path("scan/lookup", api.LookupView.as_view(), name="scan-lookup"),
    path("scan/manual", api.ManualScanView.as_view(), name="scan-manual"),
]

from django.urls import path

from devices import api

urlpatterns = [
    path("devices", api.DeviceListView.as_view(), name="devices"),
    path("devices/pair", api.PairView.as_view(), name="device-pair"),
    path("devices/heartbeat", api.HeartbeatView.as_view(), name="device-heartbeat"),
    path("devices/me", api.DeviceMeView.as_view(), name="device-me"),
    path("devices/<str:device_id>", api.DeviceDetailView.as_view(), name="device-detail"),
    path("devices/<str:device_id>/revoke", api.RevokeView.as_view(), name="device-revoke"),
    path("devices/<str:device_id>/pairing-code", api.PairingCodeView.as_view(), name="device-pairing-code"),
]

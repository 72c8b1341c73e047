from django.urls import path

from tickets import holds_api as api

urlpatterns = [
    # Virtual office (online sales point).
    path("events/<str:event_id>/seats", api.SeatListView.as_view(), name="event-seats"),
    path("events/<str:event_id>/holds", api.HoldCreateView.as_view(), name="event-holds"),
    path("events/<str:event_id>/sales", api.SalesStatusView.as_view(), name="event-sales"),
    path("holds/<str:hold_id>", api.HoldDetailView.as_view(), name="hold-detail"),
    path("holds/<str:hold_id>/checkout", api.HoldCheckoutView.as_view(), name="hold-checkout"),
]

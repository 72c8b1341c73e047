from django.urls import path

from tickets import api

urlpatterns = [
    # Before ticket-detail: "generate" is not a ticket id.
    path("events/<str:event_id>/tickets/generate", api.GenerateView.as_view(), name="event-generate"),
    path("events/<str:event_id>/tickets", api.TicketListView.as_view(), name="tickets"),
    path("events/<str:event_id>/tickets/<str:ticket_id>", api.TicketDetailView.as_view(), name="ticket-detail"),
    path("events/<str:event_id>/tickets/<str:ticket_id>/qr", api.TicketQRView.as_view(), name="ticket-qr"),
]

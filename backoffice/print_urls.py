from django.urls import path

from backoffice import print_api

urlpatterns = [
    path("events/<str:event_id>/tickets.pdf", print_api.TicketsPDFView.as_view(), name="event-tickets-pdf"),
    path("events/<str:event_id>/badges.pdf", print_api.BadgesPDFView.as_view(), name="event-badges-pdf"),
    path("events/<str:event_id>/pairing-sheet.pdf", print_api.PairingSheetPDFView.as_view(),
         name="event-pairing-sheet-pdf"),
]

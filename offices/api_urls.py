from django.urls import path

from offices import api, terminal_api

urlpatterns = [
    # Offline box offices (docs/adr/0013).
    path("events/<str:event_id>/offices", api.OfficeListView.as_view(), name="event-offices"),
    path("offices/<str:office_id>", api.OfficeDetailView.as_view(), name="office-detail"),
    path("offices/<str:office_id>/assign", api.OfficeAssignView.as_view(), name="office-assign"),
    path("offices/<str:office_id>/unassign", api.OfficeUnassignView.as_view(), name="office-unassign"),
    path("offices/<str:office_id>/sync", terminal_api.OfficeSyncView.as_view(), name="office-sync"),
    path("offices/<str:office_id>/stock", terminal_api.OfficeStockView.as_view(), name="office-stock"),
    path("offices/<str:office_id>/tickets", api.OfficeTicketsView.as_view(), name="office-tickets"),
]

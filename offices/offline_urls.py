from django.urls import path

from offices import api_offline

urlpatterns = [
    # Offline box offices (docs/adr/0013).
    path("events/<str:event_id>/offices", api_offline.OfficeListView.as_view(), name="event-offices"),
    path("offices/<str:office_id>", api_offline.OfficeDetailView.as_view(), name="office-detail"),
    path("offices/<str:office_id>/assign", api_offline.OfficeAssignView.as_view(), name="office-assign"),
    path("offices/<str:office_id>/unassign", api_offline.OfficeUnassignView.as_view(), name="office-unassign"),
    path("offices/<str:office_id>/sync", api_offline.OfficeSyncView.as_view(), name="office-sync"),
    path("offices/<str:office_id>/tickets", api_offline.OfficeTicketsView.as_view(), name="office-tickets"),
]

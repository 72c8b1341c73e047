from django.urls import path

from events import api

urlpatterns = [
    path("events", api.EventListView.as_view(), name="events"),
    path("events/<str:event_id>", api.EventDetailView.as_view(), name="event-detail"),
    path("events/<str:event_id>/setup/zones", api.SetupZonesView.as_view(), name="event-setup-zones"),
    path("events/<str:event_id>/checkpoints", api.CheckpointListView.as_view(), name="checkpoints"),
]

"""Manager dashboard pages, mounted at /dashboard/ (ticketcore/urls.py)."""
from django.urls import path

from live import dashboard

urlpatterns = [
    path("", dashboard.event_list, name="dashboard"),
    path("events/<str:event_id>/", dashboard.event_dashboard, name="dashboard-event"),
    path("events/<str:event_id>/snapshot.json", dashboard.event_snapshot, name="dashboard-snapshot"),
    path("events/<str:event_id>/series.json", dashboard.event_series, name="dashboard-series"),
]

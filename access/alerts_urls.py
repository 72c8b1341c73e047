"""Alerts API, mounted under /api/v1/ (ticketcore/urls.py)."""
from django.urls import path

from access import dashboard

urlpatterns = [
    path("events/<str:event_id>/alerts", dashboard.AlertListView.as_view(), name="alerts"),
    path("alerts/<str:alert_id>/acknowledge", dashboard.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
]

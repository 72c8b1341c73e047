"""Alerts API, mounted under /api/v1/ (ticketcore/urls.py)."""
from django.urls import path

from alerts import api

urlpatterns = [
    path("events/<str:event_id>/alerts", api.AlertListView.as_view(), name="alerts"),
    path("alerts/<str:alert_id>/acknowledge", api.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
]

"""The sales desk's addition to the API, mounted under /api/v1/ (ticketcore/urls.py)."""
from django.urls import path

from backoffice.desk import api

urlpatterns = [
    path("events/<str:event_id>/emails", api.EmailTicketsView.as_view(), name="event-emails"),
]

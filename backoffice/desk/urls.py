"""The sales desk's pages, mounted at /desk/ (ticketcore/urls.py)."""
from django.urls import path

from backoffice.desk import views

urlpatterns = [
    path("", views.event_list, name="desk"),
    path("events/<str:event_id>/", views.event_desk, name="desk-event"),
]

"""WebSocket routes of the access app (collected by ticketcore/routing.py)."""
from django.urls import re_path

from live.consumers import LiveConsumer, SalesConsumer

websocket_urlpatterns = [
    re_path(r"^ws/events/(?P<event_id>[A-Za-z0-9_-]{1,40})/live/$", LiveConsumer.as_asgi()),
    re_path(r"^ws/events/(?P<event_id>[A-Za-z0-9_-]{1,40})/sales/$", SalesConsumer.as_asgi()),
]

"""WebSocket routes. Each app appends its own in `<app>/routing.py`."""
from live.routing import websocket_urlpatterns as _access_ws

websocket_urlpatterns: list = [*_access_ws]

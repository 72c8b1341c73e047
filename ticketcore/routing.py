"""WebSocket routes. Each app appends its own in `<app>/routing.py`."""
websocket_urlpatterns: list = []

try:
    from access.routing import websocket_urlpatterns as _access_ws
except ImportError:  # the live feed is not built yet
    _access_ws = []
websocket_urlpatterns += _access_ws

"""ASGI entry point: HTTP through Django, WebSockets through Channels.

In production the reverse proxy sends `/ws/` here (daphne) and the HTTP API to the WSGI server."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketcore.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from ticketcore.origin import SameOriginValidator  # noqa: E402
from ticketcore.routing import websocket_urlpatterns  # noqa: E402
from ticketcore.runtime import tune_gc  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Not AllowedHostsOriginValidator: with ALLOWED_HOSTS=* it admits every origin.
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

tune_gc()

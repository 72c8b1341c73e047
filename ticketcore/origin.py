"""Which browser pages may open our WebSockets (the live dashboard uses the staff session cookie,
so a foreign page must not ride on it: cross-site WebSocket hijacking).

Channels' AllowedHostsOriginValidator copies ALLOWED_HOSTS, and with ALLOWED_HOSTS=* it lets
every origin in. Here the list is settings.WS_ALLOWED_ORIGINS; when it is empty (its default
under ALLOWED_HOSTS=*), the Origin's host and port must equal the request's Host header: same
origin, the only page that should open the feed. docs/adr/0018."""
from __future__ import annotations

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings


def _host_port(value: str) -> tuple[str, int | None]:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = value.partition(":")
    return host, int(port) if port.isdigit() else None


class SameOriginValidator(OriginValidator):
    """OriginValidator with an explicit list; an empty list means same origin."""

    def __init__(self, application, allowed_origins=None):
        origins = list(settings.WS_ALLOWED_ORIGINS if allowed_origins is None else allowed_origins)
        super().__init__(application, origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator is for WebSocket connections only")
        if self.allowed_origins:
            return await super().__call__(scope, receive, send)
        headers = dict(scope.get("headers", []))
        if self.same_origin(headers.get(b"origin"), headers.get(b"host")):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def same_origin(origin: bytes | None, host: bytes | None) -> bool:
        if not origin or not host:
            return False
        try:
            origin_text, host_text = origin.decode("ascii"), host.decode("ascii")
        except UnicodeDecodeError:
            return False
        scheme, sep, rest = origin_text.partition("://")
        if not sep or scheme.lower() not in ("http", "https") or "/" in rest:
            return False
        o_host, o_port = _host_port(rest)
        h_host, h_port = _host_port(host_text)
        default = 443 if scheme.lower() == "https" else 80
        # TLS may end at the proxy, so the schemes cannot be compared; host and port can.
        return bool(o_host) and o_host == h_host and (o_port or default) == (h_port or default)

"""Absolute addresses that leave the building: the links and QR codes a phone opens. Not a URLconf.

A pairing QR shown in the admin is read by a phone at the gate, so it must carry the address the
phones reach the server at (settings.PUBLIC_URL, e.g. https://192.168.1.20:8443), not the one
the admin happened to browse (http://127.0.0.1:8000 on the laptop). Without PUBLIC_URL the
request's own address is the best guess. docs/adr/0025."""
from __future__ import annotations

from django.conf import settings


def public_url(path: str, request=None) -> str:
    """`path` (absolute, starting with "/") under PUBLIC_URL, else under the request's address."""
    if not path.startswith("/"):
        raise ValueError(f"public_url needs an absolute path, got {path!r}")
    base = getattr(settings, "PUBLIC_URL", "")
    if base:
        return base + path
    if request is None:
        raise ValueError("PUBLIC_URL is not set and there is no request to take the address from")
    return request.build_absolute_uri(path)

"""The address a request really came from, for rate limits and login lockouts.

`X-Forwarded-For` is written by whoever sent the request, so it is believed only as far as it was
appended by our own proxies (settings.TRUSTED_PROXIES, addresses or CIDR networks). Reading from
the right: the peer (REMOTE_ADDR) is the last hop; while that hop is a trusted proxy, the entry it
appended (the rightmost one not yet consumed) is the hop before it. The first hop that is not a
trusted proxy is the client. A client that sends its own `X-Forwarded-For` only adds entries to
the left of the one our proxy appended, so it cannot choose its address. With no trusted proxies
(the default) the header is ignored and the peer is the client. docs/adr/0018."""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(addr, networks) -> bool:
    return any(addr in net for net in networks if addr.version == net.version)


def client_ip(request) -> str | None:
    """The client's address as a string (for django-axes' AXES_CLIENT_IP_CALLABLE as well)."""
    meta = getattr(request, "META", request)
    peer = _parse(meta.get("REMOTE_ADDR") or "")
    if peer is None:
        return meta.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    hops = [h for h in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        addr = _parse(hop)
        if addr is None:
            break  # garbage appended before our proxy: the last address we could trust stands
        client = addr
        if not _trusted(addr, networks):
            break
    return str(client)


def rate_limit_key(request) -> str:
    """The bucket a client is counted in: its address, or its /64 for IPv6, since one IPv6
    subscriber usually holds a whole /64 and could otherwise rotate through 2^64 addresses."""
    ip = client_ip(request) or "unknown"
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if addr.version == 6:
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)

"""Times for people: a datetime shown in an event's own time zone, with its UTC offset.

The database and the API keep instants (UTC in PostgreSQL, ISO 8601 with offset in JSON); every
time a person reads (admin pages, printed tickets, reports) goes through `format_local`, so a
ticket for a show at 21:30 in Madrid says 21:30 wherever the server runs (docs/adr/0024)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIME_ZONE = "UTC"
TIME_ZONE_MAX_LENGTH = 64


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name this host's tz database knows (e.g. `Europe/Madrid`, `UTC`)."""
    return frozenset(available_timezones())


def is_time_zone(name) -> bool:
    return isinstance(name, str) and 0 < len(name) <= TIME_ZONE_MAX_LENGTH and name in time_zone_names()


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError for a name the tz database does not know."""
    if not is_time_zone(name):
        raise ValueError(f"Unknown time zone {name!r}.")
    return ZoneInfo(name)


def local(value: datetime, zone_name: str) -> datetime:
    """The same instant on the wall clock of `zone_name`. Naive datetimes are refused: an instant
    without an offset is ambiguous, and guessing is how a show moves by an hour."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("A naive datetime has no instant to show; pass an aware datetime.")
    return value.astimezone(zone(zone_name))


def utc_offset_label(value: datetime) -> str:
    """`UTC+01:00`, `UTC-03:30`, `UTC+00:00` for an aware datetime."""
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def format_local(value: datetime | None, zone_name: str, *, fmt: str = "%Y-%m-%d %H:%M",
                 offset: bool = True) -> str:
    """`2026-12-05 21:30 (UTC+01:00)`: the event's wall clock, and the offset so that nobody
    wonders which clock it is. `offset=False` drops the offset (a printed ticket that names the
    venue's city already says where). None gives an empty string."""
    if value is None:
        return ""
    at = local(value, zone_name)
    text = at.strftime(fmt)
    return f"{text} ({utc_offset_label(at)})" if offset else text

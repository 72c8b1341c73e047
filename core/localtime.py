"""Times for people: a datetime shown in an event's own time zone, with its UTC offset.

The database and the API keep instants (UTC in PostgreSQL, ISO 8601 with offset in JSON); every
time a person reads (admin pages, printed tickets, reports) goes through `format_local`, so a
ticket for a show at 21:30 in Madrid says 21:30 wherever the server runs (docs/adr/0024)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings

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


def format_clock(value: datetime | None, zone_name: str, *, seconds: bool = True) -> str:
    """`21:30:05 (UTC+01:00)`: the wall-clock time alone, for words about tonight (alerts)."""
    return format_local(value, zone_name, fmt="%H:%M:%S" if seconds else "%H:%M")


def _server_zone() -> str:
    return settings.TIME_ZONE if is_time_zone(settings.TIME_ZONE) else DEFAULT_TIME_ZONE


def _follow(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name, None) if obj is not None else None
    return obj


def local_time_column(field: str, description, *, zone: str | None = "event.timezone"):
    """An admin column (list_display) or read-only field showing `obj.<field>` on the clock of the
    row's own event, with the offset: `2026-12-05 21:30:05 (UTC+01:00)`. `zone` is the attribute
    path from a row to its IANA zone name (list_select_related should follow it), or None for rows
    that belong to no event (the server's own zone, settings.TIME_ZONE). `description` may be a
    lazy translation: it is read when the page is drawn, in that request's language. Sorting uses
    the stored instant."""

    def column(obj):
        value = getattr(obj, field)
        if value is None:
            return "-"  # the admin's empty-value dash (a read-only field would print None)
        name = _follow(obj, zone) if zone else _server_zone()
        return format_local(value, name or DEFAULT_TIME_ZONE, fmt="%Y-%m-%d %H:%M:%S")

    column.short_description = description
    column.admin_order_field = field
    column.__name__ = f"{field}_local"
    return column


class LocalTimesAdminMixin:
    """ModelAdmin mixin: the datetime fields named in `local_times` read, in lists and on detail
    pages, on the clock of each row's event with the offset, never on the server's (UTC) clock.
    An unfiltered list of several events shows each row on its own event's clock, which is why
    this formats per row rather than activating one time zone for the request. Editable datetime
    fields are not for this mixin: it shows them read-only."""

    local_times: tuple[str, ...] = ()
    # Attribute path from a row to its event's zone name; None: the row has no event (server zone).
    local_time_zone: str | None = "event.timezone"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # a ModelAdmin's model, or an inline's own (not its parent's)
        for name in self.local_times:
            # The field's verbose name as it is (lazy): each page reads it in its own language.
            label = self.model._meta.get_field(name).verbose_name
            setattr(self, f"{name}_local", local_time_column(name, label, zone=self.local_time_zone))

    def _local_names(self, names) -> list:
        seen, out = set(), []
        for name in names:
            name = f"{name}_local" if name in self.local_times else name
            if name not in seen:
                seen.add(name)
                out.append(name)
        return out

    def get_list_display(self, request):
        return self._local_names(super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._local_names(super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *(f"{name}_local" for name in self.local_times))

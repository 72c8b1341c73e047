"""One typed definition per live message type: what a dashboard socket receives, field by field.

Like Zulip's `event_types.py`: a message is built only through its type, and the type refuses an
undeclared or a missing field (a dataclass constructor raises TypeError; `from_wire` raises
`UndeclaredField`). `wire()` gives the exact dict sent today, keys in the order the JSON carries
them; `static/dashboard/dashboard.js` and tests/live read these. Value types are checked by
`validate()`, which the tests run on the messages real code paths publish (as Zulip checks its
events in its test suite): a wrong value type must never fail a scan in production.

Published after commit by services (`core.live.publish_on_commit`): `scan`, `sync`, `alert`,
`alert_ack`, `device`, `sales` (a change of seats: held, sold, released, offline, unassign,
unsold), which the sales desk's seat map follows seat by seat (docs/adr/0032). Sent by the
feed itself (live/feed.py, live/figures.py, live/consumers.py): `snapshot`, `gate_counts`, `sales`
(the aggregate, with `totals`), `devices`, `mirror`, `feed`, `pong`."""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass, fields
from datetime import datetime
from typing import ClassVar


class UndeclaredField(ValueError):
    """A wire dict with a field its type does not declare, or without one it requires."""


class LiveMessage:
    """Base of every live message type: frozen, slotted dataclasses with a class-level `type`."""

    __slots__ = ()
    type: ClassVar[str]
    # Fields left out of the wire dict when None: this message does not have them.
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        names = _NAMES.get(cls)
        if names is None:
            names = _NAMES[cls] = tuple(f.name for f in fields(cls))
        return names

    def wire(self) -> dict:
        """The dict sent on the socket (and through Redis), exactly as the dashboard reads it."""
        body: dict = {"type": self.type}
        omit = self.OMIT_IF_NONE
        for name in self.field_names():
            value = getattr(self, name)
            if value is None and name in omit:
                continue
            body[name] = value
        return body

    @classmethod
    def from_wire(cls, body: dict):
        """The typed message of a wire dict (e.g. one a selector built); refuses undeclared and
        missing fields."""
        if not isinstance(body, dict) or body.get("type") != cls.type:
            raise UndeclaredField(f"not a {cls.type!r} message")
        names = cls.field_names()
        undeclared = sorted(set(body) - set(names) - {"type"})
        if undeclared:
            raise UndeclaredField(f"{cls.__name__}: undeclared field(s) {', '.join(undeclared)}")
        missing = sorted(n for n in names if n not in body and n not in cls.OMIT_IF_NONE)
        if missing:
            raise UndeclaredField(f"{cls.__name__}: missing field(s) {', '.join(missing)}")
        return cls(**{n: body.get(n) for n in names})

    def validate(self) -> None:
        """Check every value against its declared type (tests; see the module docstring)."""
        hints = typing.get_type_hints(type(self))
        for name in self.field_names():
            value = getattr(self, name)
            if not _matches(value, hints[name]):
                raise TypeError(f"{type(self).__name__}.{name}: {value!r} is not {hints[name]}")


_NAMES: dict[type, tuple[str, ...]] = {}


def _matches(value, hint) -> bool:
    if hint is typing.Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, dict):
        if not isinstance(value, origin):
            return False
        args = typing.get_args(hint)
        if origin is list and args:
            return all(_matches(v, args[0]) for v in value)
        return True
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


_msg = dataclass(frozen=True, slots=True, kw_only=True)


# --------------------------------------------------------------------------- published by services

@_msg
class Scan(LiveMessage):
    """One scan decided (access.services.scan: online, and synced codes that are no ticket here)."""

    type: ClassVar[str] = "scan"
    scan_id: str | None
    direction: str
    checkpoint: str | None
    device: str
    result: str
    reason: str | None
    ticket_id: str | None
    seat_id: str | None
    zone_id: str | None
    credential_id: str | None
    at: str


@_msg
class Sync(LiveMessage):
    """One offline upload (not one per scan): POST /api/v1/scan/sync's summary; `discarded` if revoked."""

    type: ClassVar[str] = "sync"
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"discarded"})
    device: str
    checkpoint: str | None
    at: str
    received: int
    applied: int
    replayed: int
    accepted: int
    late: int
    conflicts: int
    quarantined: int
    discarded: int | None = None


@_msg
class Alert(LiveMessage):
    """An alert when raised, in the snapshot's `alerts`, and (no `type`, plus `event_id`) in the API."""

    type: ClassVar[str] = "alert"
    id: int
    kind: str
    message: str
    data: dict
    created_at: str | None
    acknowledged: bool
    acknowledged_at: str | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, *, id: int, kind: str, message: str, data: dict, created_at: datetime | None,
           acknowledged_at: datetime | None, acknowledged_by: str) -> Alert:
        return cls(id=id, kind=kind, message=message, data=data, created_at=_iso(created_at),
                   acknowledged=acknowledged_at is not None, acknowledged_at=_iso(acknowledged_at),
                   acknowledged_by=acknowledged_by or None)


@_msg
class AlertAck(LiveMessage):
    """An alert was acknowledged (by the user named)."""

    type: ClassVar[str] = "alert_ack"
    id: int
    kind: str
    acknowledged_at: str
    acknowledged_by: str


@_msg
class Device(LiveMessage):
    """A device was revoked; the `devices` list follows from the database."""

    type: ClassVar[str] = "device"
    device_id: str
    revoked: bool


# The optional fields each action of a sales change carries (one set per shape it comes in).
_SALES_SHAPES: dict[str, tuple[frozenset[str], ...]] = {
    "held": (frozenset({"hold_id", "expires_at"}),),
    "sold": (frozenset({"hold_id"}), frozenset({"office_id"}), frozenset()),  # checkout | box office | staff
    "released": (frozenset({"reason", "hold_id"}), frozenset({"reason", "holds"})),  # release | sweep
    "offline": (frozenset({"office_id"}),),
    "unassign": (frozenset({"office_id"}),),
    "unsold": (frozenset(),),  # a staff correction made sold tickets available again
}


@_msg
class SalesChange(LiveMessage):
    """Seats changed hands (tickets.holds, tickets.services, offices.services); `action` picks its
    fields (_SALES_SHAPES)."""

    type: ClassVar[str] = "sales"
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"reason", "hold_id", "holds", "office_id", "expires_at"})
    event_id: str
    action: str
    reason: str | None = None
    hold_id: str | None = None
    holds: list[str] | None = None
    office_id: str | None = None
    tickets: list[str]
    expires_at: str | None = None

    def __post_init__(self) -> None:
        present = frozenset(n for n in self.OMIT_IF_NONE if getattr(self, n) is not None)
        if present not in _SALES_SHAPES.get(self.action, ()):
            raise TypeError(f"a sales change {self.action!r} does not carry {sorted(present)}")


# --------------------------------------------------------------------------- sent by the feed

# The keys of a snapshot's `event` (live.selectors.event_json); `timezone` is the IANA zone every
# time on the dashboard is shown in.
SNAPSHOT_EVENT_KEYS = ("event_id", "name", "venue", "date_start", "date_end", "timezone")


@_msg
class Snapshot(LiveMessage):
    """All a dashboard needs on (re)connect (live.selectors.snapshot) and whether Redis is heard.
    `mirror` (the Firestore mirror's state) is sent to administrators only, absent otherwise."""

    type: ClassVar[str] = "snapshot"
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"mirror"})
    event: dict
    event_id: str
    at: str
    minute: str
    checkpoints: list[dict]
    zones: list[dict]
    credentials: dict
    totals: dict
    series: dict
    sales: dict
    alerts: list[dict]
    devices: list[dict]
    recent_scans: list[dict]
    mirror: dict | None = None
    thresholds: dict
    live: dict

    def __post_init__(self) -> None:
        undeclared = sorted(set(self.event) - set(SNAPSHOT_EVENT_KEYS))
        if undeclared:
            raise UndeclaredField(f"Snapshot.event: undeclared field(s) {', '.join(undeclared)}")


@_msg
class GateCounts(LiveMessage):
    """Per checkpoint and zone counts from one database snapshot (live.selectors.gate_counts)."""

    type: ClassVar[str] = "gate_counts"
    event_id: str
    at: str
    minute: str
    checkpoints: list[dict]
    zones: list[dict]
    credentials: dict
    totals: dict


@_msg
class SalesTotals(LiveMessage):
    """Sales by zone, the body of GET /api/v1/events/{id}/sales (live.selectors.sales)."""

    type: ClassVar[str] = "sales"
    OMIT_IF_NONE: ClassVar[frozenset] = frozenset({"currency"})
    event_id: str
    currency: str | None  # the event's ISO 4217 code (absent for an unknown event)
    zones: list[dict]
    totals: dict


@_msg
class Devices(LiveMessage):
    """The event's devices and their status (live.selectors.devices)."""

    type: ClassVar[str] = "devices"
    devices: list[dict]


@_msg
class Mirror(LiveMessage):
    """The Firestore mirror's state (mirror.outbox.mirror_status), its keys spread on the wire;
    sent to administrators' sockets only (live.selectors.can_see_mirror)."""

    type: ClassVar[str] = "mirror"
    state: dict

    def wire(self) -> dict:
        return {"type": self.type, **self.state}

    @classmethod
    def from_wire(cls, body: dict) -> Mirror:
        if not isinstance(body, dict) or body.get("type") != cls.type:
            raise UndeclaredField("not a 'mirror' message")
        return cls(state={k: v for k, v in body.items() if k != "type"})


@_msg
class Feed(LiveMessage):
    """The feed lost (`redis` false) or regained its Redis subscription."""

    type: ClassVar[str] = "feed"
    redis: bool


@_msg
class Pong(LiveMessage):
    """The answer to a client's `ping`."""

    type: ClassVar[str] = "pong"


PUBLISHED = (Scan, Sync, Alert, AlertAck, Device, SalesChange)
FEED = (Snapshot, GateCounts, SalesTotals, Devices, Mirror, Feed, Pong)


def parse(body: dict) -> LiveMessage:
    """The typed message of any wire dict the socket may carry (UndeclaredField if none fits)."""
    kind = body.get("type") if isinstance(body, dict) else None
    candidates = [cls for cls in PUBLISHED + FEED if cls.type == kind]
    if kind == "sales":  # two messages share the type: the aggregate has totals, a change has none
        candidates = [SalesTotals if "totals" in body else SalesChange]
    if not candidates:
        raise UndeclaredField(f"no live message type {kind!r}")
    return candidates[0].from_wire(body)

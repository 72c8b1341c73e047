"""Checkout holds for the virtual office: the only code that takes, checks out, releases and
sweeps holds (the seed's `tickets_blocked` table, model TicketHold).

Design (docs/adr/0010-hold-design.md):
- Exclusivity is a database guarantee: `one_hold_per_ticket` (a unique index on the ticket) and
  the triggers of migration 0005 (no hold on a sold or office-assigned ticket, no sale or office
  assignment of a ticket in a live hold). The Python checks here only produce friendly answers.
- Lazy expiry: a hold is live while `locked_up` is later than the database clock. An expired row
  already counts as available; whoever takes the ticket next deletes it in the same transaction
  (ledger `released`, reason `expired`). The `tickets_unlock` sweep deletes the rest.
- Lock order, to rule out deadlocks: ticket rows first (FOR NO KEY UPDATE, by id), then hold rows
  (FOR UPDATE, by ticket). Release and the sweep lock only hold rows and never wait for a ticket
  lock (their ledger inserts take FOR KEY SHARE, which NO KEY UPDATE does not block).
- Every path that ends a hold DELETEs its rows, so checkout and expiry (sweep, lazy takeover,
  release) can never both win: a row is deleted once, and the loser sees it gone.
"""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from core import live_messages
from core.errors import DomainError, HoldExpired, InvalidInput, NotFound, SeatsUnavailable, interpolate, problems_message
from core.ids import firestore_id
from core.live import publish_on_commit
from events.models import Event
from tickets import selectors
from tickets.models import LedgerEntry, SaleChannel, Ticket
from tickets.services import append_ledger, append_sold_ledger, mark_sold

log = logging.getLogger(__name__)

HOLD_SECONDS_DEFAULT = 600
HOLD_SECONDS_MAX = 3600
MAX_TICKETS_PER_HOLD = 500
TICKET_ID_MAX_LENGTH = 48
BUYER_MAX_BYTES = 4096
BUYER_MAX_DEPTH = 4
SWEEP_BATCH = 1000
SWEEP_MAX_BATCHES = 100  # bounds one run; the next beat tick continues


@dataclass(frozen=True)
class HoldResult:
    hold_id: str
    event_id: str
    tickets: list[str]
    expires_at: datetime


@dataclass(frozen=True)
class CheckoutResult:
    hold_id: str
    event_id: str
    tickets: list[Ticket]


@dataclass(frozen=True)
class ReleaseResult:
    hold_id: str
    event_id: str
    tickets: list[str]


@dataclass(frozen=True)
class SweepResult:
    released: int
    holds: int


# --- input checks (the API's serializers check the same; services never trust their callers) ---

def _check_ticket_ids(ticket_ids) -> list[str]:
    if not isinstance(ticket_ids, list) or not ticket_ids:
        raise InvalidInput(_("tickets must be a non-empty list of ticket ids."), fields={"tickets": [_("Must be a non-empty list.")]})
    if len(ticket_ids) > MAX_TICKETS_PER_HOLD:
        raise InvalidInput(interpolate(_("At most %(count)d tickets per hold."), count=MAX_TICKETS_PER_HOLD),
                           fields={"tickets": [interpolate(_("At most %(count)d tickets."), count=MAX_TICKETS_PER_HOLD)]})
    if not all(isinstance(t, str) and 0 < len(t) <= TICKET_ID_MAX_LENGTH for t in ticket_ids):
        raise InvalidInput(_("Each ticket id must be a non-empty string."), fields={"tickets": [_("Must be ticket id strings.")]})
    if len(set(ticket_ids)) != len(ticket_ids):
        raise InvalidInput(_("A ticket appears twice in the list."), fields={"tickets": [_("Duplicate ticket ids.")]})
    return ticket_ids


def _check_hold_seconds(hold_seconds) -> int:
    if isinstance(hold_seconds, bool) or not isinstance(hold_seconds, int) or not 1 <= hold_seconds <= HOLD_SECONDS_MAX:
        raise InvalidInput(interpolate(_("hold_seconds must be an integer from 1 to %(max)d."), max=HOLD_SECONDS_MAX),
                           fields={"hold_seconds": [interpolate(_("Must be an integer from 1 to %(max)d."),
                                                                max=HOLD_SECONDS_MAX)]})
    return hold_seconds


def _buyer_problem(value, depth: int = 0):
    if depth > BUYER_MAX_DEPTH:
        return interpolate(_("Nested deeper than %(depth)d levels."), depth=BUYER_MAX_DEPTH)
    if isinstance(value, str):
        if "\x00" in value:
            return _("Contains a NUL character.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("Contains text that is not valid Unicode.")
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            problem = _buyer_problem(k, depth) or _buyer_problem(v, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list):
        for v in value:
            problem = _buyer_problem(v, depth + 1)
            if problem:
                return problem
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return None
    return _("Unsupported value.")


def check_buyer(buyer) -> dict:
    """The buyer goes verbatim into the append-only ledger, so it must be a JSON object, small,
    without NUL characters (jsonb refuses them) and valid Unicode."""
    if not isinstance(buyer, dict):
        raise InvalidInput(_("buyer must be a JSON object."), fields={"buyer": [_("Must be a JSON object.")]})
    problem = _buyer_problem(buyer)
    if problem is None:
        try:
            size = len(json.dumps(buyer, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        except ValueError:
            problem = _("NaN and Infinity are not JSON.")
        else:
            if size > BUYER_MAX_BYTES:
                problem = interpolate(_("At most %(bytes)d bytes of JSON."), bytes=BUYER_MAX_BYTES)
    if problem:
        raise InvalidInput(problems_message({"buyer": [problem]}), fields={"buyer": [problem]})
    return buyer


# --- services ---

def _gone(hold_id: str) -> DomainError:
    """A hold with no rows: over (409 hold_expired) if it ever existed, else unknown (404)."""
    if selectors.hold_ever_existed(hold_id):
        return HoldExpired()
    return NotFound(_("No such hold."))


def _ledger_released(by_hold: dict[str, list[int]], *, by: str) -> None:
    """`released` (reason `expired`) for rows of several holds, in one INSERT."""
    if by_hold:
        LedgerEntry.objects.bulk_create([
            LedgerEntry(ticket_id=pk, action="released", metadata={"hold_id": hold_id, "reason": "expired", "by": by})
            for hold_id, pks in by_hold.items() for pk in pks
        ])


# Lazy expiry and the availability check in one statement, judged at one clock reading: expired
# rows of the requested tickets are deleted (they still occupy one_hold_per_ticket), live ones are
# reported. If any ticket turns out unavailable the transaction rolls back, deletions included.
_CLEAR_SQL = """
WITH c AS (SELECT clock_timestamp() AS t),
gone AS (
    DELETE FROM tickets_blocked b USING c
    WHERE b.ticket_id = ANY(%(pks)s) AND b.locked_up <= c.t
    RETURNING b.hold_id, b.ticket_id
)
SELECT false, hold_id, ticket_id FROM gone
UNION ALL
SELECT true, b.hold_id, b.ticket_id FROM tickets_blocked b, c WHERE b.ticket_id = ANY(%(pks)s) AND b.locked_up > c.t
"""

# One clock reading for every row: all rows of a hold expire at the same instant.
_INSERT_SQL = """
WITH c AS (SELECT clock_timestamp() AS t)
INSERT INTO tickets_blocked (hold_id, event_id, ticket_id, locked_up, created_at)
SELECT %s, %s, pk, c.t + make_interval(secs => %s), c.t FROM c, unnest(%s::bigint[]) AS pk
RETURNING locked_up
"""


def take_hold(
    *, event_id: str, ticket_ids: list[str], hold_seconds: int = HOLD_SECONDS_DEFAULT, actor: str = ""
) -> HoldResult:
    """Hold all the given tickets of one event, or none (409 seats_unavailable listing every
    ticket that is unknown in this event, sold, assigned to an offline office or in a live hold)."""
    _check_ticket_ids(ticket_ids)
    _check_hold_seconds(hold_seconds)
    hold_id = firestore_id()
    try:
        with transaction.atomic():
            # Ticket locks serialise every hold, checkout and office assignment touching these
            # seats; by id, so overlapping requests lock in the same order and cannot deadlock.
            rows = list(
                Ticket.objects.select_for_update(no_key=True)
                .filter(event_id=event_id, ticket_id__in=ticket_ids)
                .order_by("id")
                .values_list("pk", "ticket_id", "status", "status_offline")
            )
            if not rows and not Event.objects.filter(pk=event_id).exists():
                raise NotFound(_("No such event."))
            by_pk = {r[0]: r[1] for r in rows}
            unavailable = set(ticket_ids) - set(by_pk.values())
            unavailable |= {r[1] for r in rows if not r[2] or r[3]}
            pks = list(by_pk)
            expired: dict[str, list[int]] = defaultdict(list)
            with connection.cursor() as cur:
                cur.execute(_CLEAR_SQL, {"pks": pks})
                for live, other_hold, pk in cur.fetchall():
                    if live:
                        unavailable.add(by_pk[pk])
                    else:
                        expired[other_hold].append(pk)
                if unavailable:
                    raise SeatsUnavailable(sorted(unavailable))
                cur.execute(_INSERT_SQL, [hold_id, event_id, hold_seconds, pks])
                expires_at = cur.fetchone()[0]
            _ledger_released(expired, by=actor)
            append_ledger(pks, "held", {"hold_id": hold_id, "expires_at": expires_at.isoformat(), "by": actor})
            publish_on_commit(event_id, live_messages.SalesChange(
                event_id=event_id, action="held", hold_id=hold_id, tickets=list(ticket_ids),
                expires_at=expires_at.isoformat()))
    except IntegrityError as exc:
        # Only reachable if something bypassed the checks above: the database is the guarantee,
        # and this keeps its refusal a 409 instead of a 500.
        log.warning("hold refused by the database: %s", str(exc).splitlines()[0])
        raise SeatsUnavailable(sorted(ticket_ids)) from exc
    return HoldResult(hold_id=hold_id, event_id=event_id, tickets=list(ticket_ids), expires_at=expires_at)


# Deletes a hold's rows, locking them in ticket order first; RETURNING reads the clock after each
# row is locked and deleted, so a lock wait can never make an expired hold look live. The caller
# decides from the result and rolls back (restoring the rows) if the hold was over.
_TAKE_ROWS_SQL = """
DELETE FROM tickets_blocked WHERE id IN (
    SELECT id FROM tickets_blocked WHERE hold_id = %s ORDER BY ticket_id FOR UPDATE
)
RETURNING ticket_id, event_id, locked_up, clock_timestamp(),
          (SELECT t.ticket_id FROM tickets_ticket t WHERE t.id = tickets_blocked.ticket_id)
"""


def checkout(*, hold_id: str, buyer: dict, actor: str = "") -> CheckoutResult:
    """Sell a live hold's tickets at their zones' current prices (channel `online`; ledger `sold`
    with hold_id, buyer and price). Refused with 409 hold_expired if the hold expired by the
    database clock, even by a millisecond, measured after its rows are locked, or if it was
    released, swept or already checked out."""
    check_buyer(buyer)
    with transaction.atomic():
        with connection.cursor() as cur:
            # Lock order: tickets (by id), then hold rows (see the module docstring).
            cur.execute(
                "SELECT id FROM tickets_ticket WHERE id IN (SELECT ticket_id FROM tickets_blocked WHERE hold_id = %s) "
                "ORDER BY id FOR NO KEY UPDATE",
                [hold_id],
            )
            members = [r[0] for r in cur.fetchall()]
            if not members:
                raise _gone(hold_id)
            cur.execute(_TAKE_ROWS_SQL, [hold_id])
            taken = cur.fetchall()
        if not taken:
            raise _gone(hold_id)
        # Rows missing means an expiry path (sweep, lazy takeover) already took part of the hold.
        if sorted(r[0] for r in taken) != members or any(r[2] <= r[3] for r in taken):
            raise HoldExpired()
        event_id = taken[0][1]
        # Each ticket takes its zone's price at this moment (tickets.services.mark_sold).
        sold = mark_sold(members, channel=SaleChannel.ONLINE, online_only=True)
        if len(sold) != len(members):  # impossible while the triggers of migration 0005 stand
            raise HoldExpired(_("The held tickets are no longer available."))
        append_sold_ledger(sold, {"hold_id": hold_id, "channel": "online", "buyer": buyer, "by": actor})
        tickets = list(Ticket.objects.filter(pk__in=members).order_by("id"))
        publish_on_commit(event_id, live_messages.SalesChange(
            event_id=event_id, action="sold", hold_id=hold_id, tickets=[t.ticket_id for t in tickets]))
    return CheckoutResult(hold_id=hold_id, event_id=event_id, tickets=tickets)


def release(*, hold_id: str, actor: str = "") -> ReleaseResult:
    """Give a live hold's seats back (ledger `released`, reason `released`). A hold that is over
    (expired, even if not swept yet; released; checked out) answers 409 hold_expired and writes
    nothing, so the answer depends on time alone, never on whether the sweep has run."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(_TAKE_ROWS_SQL, [hold_id])
            taken = sorted(cur.fetchall())
        if not taken:
            raise _gone(hold_id)
        if any(r[2] <= r[3] for r in taken):
            raise HoldExpired()
        event_id = taken[0][1]
        append_ledger([r[0] for r in taken], "released", {"hold_id": hold_id, "reason": "released", "by": actor})
        ticket_ids = [r[4] for r in taken]
        publish_on_commit(event_id, live_messages.SalesChange(
            event_id=event_id, action="released", reason="released", hold_id=hold_id, tickets=ticket_ids))
    return ReleaseResult(hold_id=hold_id, event_id=event_id, tickets=ticket_ids)


_SWEEP_SQL = """
WITH gone AS (
    DELETE FROM tickets_blocked WHERE id IN (
        SELECT id FROM tickets_blocked WHERE locked_up <= clock_timestamp()
        ORDER BY locked_up LIMIT %s FOR UPDATE SKIP LOCKED
    )
    RETURNING hold_id, event_id, ticket_id
)
SELECT gone.hold_id, gone.event_id, gone.ticket_id, t.ticket_id
FROM gone JOIN tickets_ticket t ON t.id = gone.ticket_id
"""


def sweep_expired_holds(*, batch_size: int = SWEEP_BATCH, max_batches: int = SWEEP_MAX_BATCHES) -> SweepResult:
    """Delete expired hold rows, write `released` (reason `expired`) and announce the seats on the
    live feed after commit. Safe on several workers at once: each batch claims its rows with
    FOR UPDATE SKIP LOCKED, so workers never wait for or double-release each other's rows, and a
    hold being checked out right now (rows locked) is left to the checkout."""
    released = 0
    holds: set[str] = set()
    for _ in range(max_batches):
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(_SWEEP_SQL, [batch_size])
                rows = cur.fetchall()
            if not rows:
                break
            by_hold: dict[str, list[int]] = defaultdict(list)
            by_event: dict[str, dict] = defaultdict(lambda: {"holds": set(), "tickets": []})
            for hold_id, event_id, pk, ticket_id in rows:
                by_hold[hold_id].append(pk)
                by_event[event_id]["holds"].add(hold_id)
                by_event[event_id]["tickets"].append(ticket_id)
            _ledger_released(by_hold, by="tickets_unlock")
            for event_id, info in by_event.items():
                publish_on_commit(event_id, live_messages.SalesChange(
                    event_id=event_id, action="released", reason="expired", holds=sorted(info["holds"]),
                    tickets=sorted(info["tickets"])))
            released += len(rows)
            holds |= set(by_hold)
        if len(rows) < batch_size:
            break
    return SweepResult(released=released, holds=len(holds))

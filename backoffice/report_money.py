"""The report's and the exports' money: box-office reconciliation and sales by channel."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from offices.models import Office, OfficeSale
from offices.selectors import reconciliation_counts
from offices.vocabulary import SaleResult
from django.db import connection

from tickets.models import SaleChannel, Ticket
from tickets.selectors import sales_from_rows


def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def office_reconciliation(event_id: str, offices: list | None = None) -> list[dict]:
    """Per office: the reconciliation counts (offices.selectors, their one definition:
    assigned = sold + returned + outstanding), `revenue` (what its sold tickets were sold for) and
    `refunds_due`: its rejected sales, money taken for a seat the server could not give it
    (docs/adr/0013), valued at their zone's current price since an office's upload carries no
    price (a rejected sale of an unknown ticket has no zone and no value). `offices`: the event's
    (office id, name, terminal's name) by name, when the caller has read them already."""
    if offices is None:
        offices = [(o.office_id, o.name, o.device.name) for o in
                   Office.objects.filter(event_id=event_id).select_related("device").order_by("name")]
    out = []
    for office_id, name, device in offices:
        counts = reconciliation_counts(office_id)
        revenue = (Ticket.objects.filter(office_assignments__office_id=office_id,
                                         office_assignments__returned_at__isnull=True, status=False)
                   .aggregate(total=Sum("price"))["total"])
        refunds = (OfficeSale.objects.filter(office_id=office_id, result=SaleResult.REJECTED)
                   .aggregate(total=Sum("ticket__zone_ref__price"))["total"])
        out.append({"office_id": office_id, "name": name, "device": device, **counts,
                    "revenue": _money(revenue), "refunds_due": counts["rejected_sales"],
                    "refunds_due_amount": _money(refunds)})
    return out


# tickets.selectors.sales_status's figures read from the sales counters (counters/migrations/0004,
# kept by triggers on the tickets' sale columns) instead of a pass over the event's tickets; only the
# live holds are read (their expiry is a matter of time, not of a write). Same states: sold, else
# offline, else held by a live hold, else available.
_CHANNEL_SUMS = "".join(
    f",\n           sum(sold) FILTER (WHERE channel = '{c}')::bigint AS sold_{c},"
    f"\n           coalesce(sum(revenue) FILTER (WHERE channel = '{c}'), 0) AS revenue_{c}"
    for c in SaleChannel.values)
_SALES_SQL = f"""
WITH counted AS (
    SELECT zone_ref_id, sum(seats)::bigint AS seats, sum(sold)::bigint AS sold, sum(offline)::bigint AS offline,
           coalesce(sum(revenue), 0) AS revenue{_CHANNEL_SUMS}
      FROM counters_sales WHERE event_id = %(event_id)s GROUP BY zone_ref_id),
held AS (
    SELECT t.zone_ref_id, count(*) AS held
      FROM tickets_blocked h JOIN tickets_ticket t ON t.id = h.ticket_id
     WHERE h.event_id = %(event_id)s AND h.locked_up > statement_timestamp() AND t.status AND NOT t.status_offline
     GROUP BY t.zone_ref_id)
SELECT e.event_id, e.currency, z.zone_id, z.name, coalesce(c.seats, 0),
       coalesce(c.seats, 0) - coalesce(c.sold, 0) - coalesce(c.offline, 0) - coalesce(h.held, 0), coalesce(h.held, 0),
       coalesce(c.sold, 0), coalesce(c.offline, 0), coalesce(c.revenue, 0),
       {", ".join(f"coalesce(c.sold_{c}, 0), coalesce(c.revenue_{c}, 0)" for c in SaleChannel.values)}
FROM events_event e
LEFT JOIN events_zone z ON z.event_id = e.event_id
LEFT JOIN counted c ON c.zone_ref_id = z.id
LEFT JOIN held h ON h.zone_ref_id = z.id
WHERE e.event_id = %(event_id)s
ORDER BY z.position, z.id
"""


# _SALES_SQL's columns: event, currency, zone id and name, the five counts, revenue, then sold and
# revenue per channel. As JSON (the report's one statement) the money goes as text, read back exact.
_SALES_WIDTH = 10 + 2 * len(SaleChannel.values)
_REVENUE_AT = frozenset((9, *range(11, _SALES_WIDTH, 2)))
SALES_JSON_SQL = "(SELECT json_agg(json_build_array({})) FROM ({}) t({}))".format(
    ", ".join(f"c{i}::text" if i in _REVENUE_AT else f"c{i}" for i in range(_SALES_WIDTH)), _SALES_SQL,
    ", ".join(f"c{i}" for i in range(_SALES_WIDTH)))


def sales_rows_from_json(rows: list | None) -> list:
    """SALES_JSON_SQL's array as _SALES_SQL's rows (money as Decimal)."""
    return [[Decimal(v) if i in _REVENUE_AT else v for i, v in enumerate(r)] for r in rows or []]


def sales_counted(event_id: str) -> dict | None:
    """tickets.selectors.sales_status (its shape and definitions) from the sales counters."""
    with connection.cursor() as cur:
        cur.execute(_SALES_SQL, {"event_id": event_id})
        return sales_from_rows(event_id, cur.fetchall())


def sales_section(event_id: str, *, rows: list | None = None, offices: list | None = None) -> dict:
    """The report's sales; `rows` (_SALES_SQL's) and `offices` (office_reconciliation's) when the
    caller has read them in its own statement."""
    body = (sales_counted(event_id) if rows is None else sales_from_rows(event_id, rows)) or {
        "currency": None, "zones": [], "totals": {}}
    channels = (body.get("totals") or {}).get("channels") or {}
    return {
        "currency": body.get("currency"),
        "totals": body.get("totals") or {},
        "zones": body.get("zones") or [],
        "channels": [{"channel": c.value, "label": str(c.label), **channels.get(c.value, {"sold": 0, "revenue": "0.00"})}
                     for c in SaleChannel],
        "offices": office_reconciliation(event_id, offices),
    }

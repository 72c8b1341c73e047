"""The report's and the exports' money: box-office reconciliation and sales by channel."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from offices.models import Office, OfficeSale
from offices.selectors import reconciliation_counts
from offices.vocabulary import SaleResult
from tickets.models import SaleChannel, Ticket
from tickets.selectors import sales_status


def _money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def office_reconciliation(event_id: str) -> list[dict]:
    """Per office: the reconciliation counts (offices.selectors, their one definition:
    assigned = sold + returned + outstanding), `revenue` (what its sold tickets were sold for) and
    `refunds_due`: its rejected sales, money taken for a seat the server could not give it
    (docs/adr/0013), valued at their zone's current price since an office's upload carries no
    price (a rejected sale of an unknown ticket has no zone and no value)."""
    out = []
    for office in Office.objects.filter(event_id=event_id).select_related("device").order_by("name"):
        counts = reconciliation_counts(office.office_id)
        revenue = (Ticket.objects.filter(office_assignments__office_id=office.office_id,
                                         office_assignments__returned_at__isnull=True, status=False)
                   .aggregate(total=Sum("price"))["total"])
        refunds = (OfficeSale.objects.filter(office_id=office.office_id, result=SaleResult.REJECTED)
                   .aggregate(total=Sum("ticket__zone_ref__price"))["total"])
        out.append({"office_id": office.office_id, "name": office.name, "device": office.device.name, **counts,
                    "revenue": _money(revenue), "refunds_due": counts["rejected_sales"],
                    "refunds_due_amount": _money(refunds)})
    return out


def sales_section(event_id: str) -> dict:
    body = sales_status(event_id) or {"currency": None, "zones": [], "totals": {}}
    channels = (body.get("totals") or {}).get("channels") or {}
    return {
        "currency": body.get("currency"),
        "totals": body.get("totals") or {},
        "zones": body.get("zones") or [],
        "channels": [{"channel": c.value, "label": str(c.label), **channels.get(c.value, {"sold": 0, "revenue": "0.00"})}
                     for c in SaleChannel],
        "offices": office_reconciliation(event_id),
    }


# --------------------------------------------------------------------------- reading

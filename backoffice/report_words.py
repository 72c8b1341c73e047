"""The words people read in exports and the post-event report for the codes the system stores
(../shared/STYLE.md: people never see codes). Codes stay in the data beside the words; these are
the labels. Marked for translation (the event's language is applied by the caller).

Every reason code of access.vocabulary.Reason must have words here:
tests/backoffice/test_report_words.py fails when one is added without them."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from access.vocabulary import Reason, ScanMode, ScanResult
from events.vocabulary import Direction
from offices.vocabulary import SaleReason
from tickets.models import SaleChannel, TicketState

REASON_WORDS = {
    Reason.INVALID_SIGNATURE: _("Not a valid ticket (fake or damaged code)"),
    Reason.UNKNOWN_TICKET: _("Ticket not found for this event"),
    Reason.WRONG_EVENT: _("Ticket for a different event"),
    Reason.NOT_SOLD: _("Ticket never sold"),
    Reason.ALREADY_INSIDE: _("Already inside"),
    Reason.ALREADY_USED: _("Already used, no re-entry in this zone"),
    Reason.NOT_INSIDE: _("Exit without an entry"),
    Reason.ZONE_NOT_ALLOWED: _("Wrong gate for this zone"),
    Reason.DIRECTION_NOT_ALLOWED: _("Wrong direction for this gate"),
    Reason.CREDENTIAL_REVOKED: _("Credential revoked"),
    Reason.EVENT_CLOSED: _("Doors closed (outside opening hours)"),
    Reason.DEVICE_REVOKED: _("Scanned by a revoked phone"),
}

RESULT_WORDS = {ScanResult.ACCEPTED: _("Accepted"), ScanResult.REJECTED: _("Rejected")}

DIRECTION_WORDS = {Direction.IN: _("Entry"), Direction.OUT: _("Exit")}

MODE_WORDS = {
    ScanMode.ONLINE: _("Online"),
    ScanMode.SYNC: _("Offline, uploaded later"),
    "manual": _("Manual admission"),  # API.md "Manual admission" (mode "manual")
}

SALE_REASON_WORDS = {
    SaleReason.NOT_ASSIGNED: _("Seat not assigned to this office"),
    SaleReason.ALREADY_SOLD: _("Seat already sold elsewhere"),
}


def reason_words(code: str | None) -> str:
    if not code:
        return ""
    return str(REASON_WORDS.get(code, code))


def words(table: dict, code: str | None) -> str:
    """The label of `code` in `table`; the code itself if it has none (never a blank)."""
    if code is None or code == "":
        return ""
    return str(table.get(code, code))


def channel_words(code: str | None) -> str:
    return words(dict(SaleChannel.choices), code)


def state_words(code: str | None) -> str:
    return words(dict(TicketState.choices), code)

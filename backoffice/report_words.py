"""The words people read in exports and the post-event report for the codes the system stores
(../shared/STYLE.md: people never see codes). Codes stay in the data beside the words; these are
the labels, translated (the event's language is applied by the caller).

One place words a code: its vocabulary's TextChoices label (access.vocabulary, events.vocabulary,
offices.vocabulary, tickets.models), which the admin reads too. The tables here are those labels
by code, for the writers that look codes up in bulk; tests/backoffice/test_report_words.py fails
when a code has no words."""
from __future__ import annotations

from access.vocabulary import Reason, ScanMode, ScanResult
from core.words import label
from events.vocabulary import Direction
from offices.vocabulary import SaleReason
from tickets.models import SaleChannel, TicketState


def _labels(choices) -> dict:
    return {value: text for value, text in choices.choices}


REASON_WORDS = _labels(Reason)
RESULT_WORDS = _labels(ScanResult)
DIRECTION_WORDS = _labels(Direction)
MODE_WORDS = _labels(ScanMode)
SALE_REASON_WORDS = _labels(SaleReason)


def reason_words(code: str | None) -> str:
    return label(Reason, code)


def words(table: dict, code: str | None) -> str:
    """The label of `code` in `table`; the code itself if it has none (never a blank)."""
    if code is None or code == "":
        return ""
    return str(table.get(code, code))


def channel_words(code: str | None) -> str:
    return label(SaleChannel, code)


def state_words(code: str | None) -> str:
    return label(TicketState, code)

"""Every word printed on tickets, badges and pairing sheets, in English msgids for Django's
gettext. Renderers run inside `in_print_language(...)`: the event's language (Event.language,
ADR 0024) unless the request chose one, so a Spanish event prints Spanish whatever the browser
of whoever prints it says (Spanish: backoffice/locale/es/LC_MESSAGES/django.po). The context
"printed" keeps these apart from screen texts that share an English word but not its Spanish one
(a seat on paper is "Asiento" whatever a form calls it)."""
from __future__ import annotations

from contextlib import contextmanager

from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy

from access.vocabulary import CredentialKind
from devices.vocabulary import DeviceRole
from events.models import Language
from tickets.models import Ticket

CONTEXT = "printed"

# Document titles (shown by PDF viewers)
TICKETS_TITLE = pgettext_lazy(CONTEXT, "Tickets")
BADGES_TITLE = pgettext_lazy(CONTEXT, "Credential badges")

# Tickets
DATE = pgettext_lazy(CONTEXT, "Date and time")
VENUE = pgettext_lazy(CONTEXT, "Venue")
ZONE = pgettext_lazy(CONTEXT, "Zone")
SEAT = pgettext_lazy(CONTEXT, "Seat")
ROW = pgettext_lazy(CONTEXT, "Row")
REFERENCE = pgettext_lazy(CONTEXT, "Reference")
REFERENCE_HELP = pgettext_lazy(CONTEXT, "If the code does not scan, give this reference at the door")
ADMITS_ONE = pgettext_lazy(CONTEXT, "Admits one person")
REENTRY_ALLOWED = pgettext_lazy(CONTEXT, "You may leave and come back in")
NO_REENTRY = pgettext_lazy(CONTEXT, "No re-entry once you leave")
ROW_UNASSIGNED = pgettext_lazy(CONTEXT, "to be assigned")

# Badges
STAFF = pgettext_lazy(CONTEXT, "Staff")
VIP = pgettext_lazy(CONTEXT, "VIP")
ALLOWED_ZONES = pgettext_lazy(CONTEXT, "Allowed zones")
ALL_ZONES = pgettext_lazy(CONTEXT, "All zones")
GATES = pgettext_lazy(CONTEXT, "Gates")
ALL_GATES = pgettext_lazy(CONTEXT, "All gates")
VALID_FROM = pgettext_lazy(CONTEXT, "Valid from")
VALID_UNTIL = pgettext_lazy(CONTEXT, "Valid until")
BADGE_NOTE = pgettext_lazy(CONTEXT, "Personal credential: show it at every gate")

# Pairing sheet
PAIRING_TITLE = pgettext_lazy(CONTEXT, "Device pairing sheet")
PAIRING_HOWTO = pgettext_lazy(
    CONTEXT, "Open the phone's camera, point it at the code of that device and open the link: "
             "the phone becomes that device.")
PAIRING_ONCE = pgettext_lazy(CONTEXT, "Each code works once.")
EXPIRES_AT = pgettext_lazy(CONTEXT, "Expires at")
PRINTED_AT = pgettext_lazy(CONTEXT, "Printed at")
GATE = pgettext_lazy(CONTEXT, "Gate")
BOX_OFFICE = pgettext_lazy(CONTEXT, "Box office")
CODE = pgettext_lazy(CONTEXT, "Code")
STEWARD = pgettext_lazy(CONTEXT, "Steward")
SUPERVISOR = pgettext_lazy(CONTEXT, "Supervisor")
OFFICE = pgettext_lazy(CONTEXT, "Box office terminal")
PAGE = pgettext_lazy(CONTEXT, "Page")
NOTHING_TO_PAIR = pgettext_lazy(
    CONTEXT, "No device is waiting to be paired: every device of this event is paired or revoked. "
             "Add a device for each door phone, then print this sheet again.")
NO_BADGES = pgettext_lazy(
    CONTEXT, "No credentials to print: this event has none, or all of them are revoked. "
             "Add credentials, then print the badges again.")

ROLES = {DeviceRole.STEWARD: STEWARD, DeviceRole.SUPERVISOR: SUPERVISOR, DeviceRole.OFFICE: OFFICE}
KINDS = {CredentialKind.STAFF: STAFF, CredentialKind.VIP: VIP}

# The seed's placeholder for a row nobody assigned yet; printed as words of the event's language.
_UNASSIGNED_ROW = Ticket._meta.get_field("seat_row").default


def row_text(seat_row: str) -> str:
    return str(ROW_UNASSIGNED) if seat_row == _UNASSIGNED_ROW else seat_row


def expires_text(when: str) -> str:
    return pgettext(CONTEXT, "Codes expire at %(time)s.") % {"time": when}


def print_language(event, requested: str | None = None) -> str:
    """`requested` when it is a language TicketCore prints in, else the event's."""
    return requested if requested in Language.values else event.language


@contextmanager
def in_print_language(event, requested: str | None = None):
    with translation.override(print_language(event, requested)):
        yield

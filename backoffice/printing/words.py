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

CONTEXT = "printed"  # the calls below spell it out: makemessages only reads literal contexts

# Document titles (shown by PDF viewers)
TICKETS_TITLE = pgettext_lazy("printed", "Tickets")
BADGES_TITLE = pgettext_lazy("printed", "Credential badges")

# Tickets
DATE = pgettext_lazy("printed", "Date and time")
VENUE = pgettext_lazy("printed", "Venue")
ZONE = pgettext_lazy("printed", "Zone")
SEAT = pgettext_lazy("printed", "Seat")
ROW = pgettext_lazy("printed", "Row")
REFERENCE = pgettext_lazy("printed", "Reference")
REFERENCE_HELP = pgettext_lazy("printed", "If the code does not scan, give this reference at the door")
ADMITS_ONE = pgettext_lazy("printed", "Admits one person")
REENTRY_ALLOWED = pgettext_lazy("printed", "You may leave and come back in")
NO_REENTRY = pgettext_lazy("printed", "No re-entry once you leave")
ROW_UNASSIGNED = pgettext_lazy("printed", "to be assigned")

# Badges
STAFF = pgettext_lazy("printed", "Staff")
VIP = pgettext_lazy("printed", "VIP")
ALLOWED_ZONES = pgettext_lazy("printed", "Allowed zones")
ALL_ZONES = pgettext_lazy("printed", "All zones")
GATES = pgettext_lazy("printed", "Gates")
ALL_GATES = pgettext_lazy("printed", "All gates")
VALID_FROM = pgettext_lazy("printed", "Valid from")
VALID_UNTIL = pgettext_lazy("printed", "Valid until")
BADGE_NOTE = pgettext_lazy("printed", "Personal credential: show it at every gate")

# Pairing sheet
PAIRING_TITLE = pgettext_lazy("printed", "Device pairing sheet")
PAIRING_HOWTO = pgettext_lazy(
    "printed", "Open the phone's camera, point it at the code of that device and open the link: "
             "the phone becomes that device.")
PAIRING_ONCE = pgettext_lazy("printed", "Each code works once.")
EXPIRES_AT = pgettext_lazy("printed", "Expires at")
PRINTED_AT = pgettext_lazy("printed", "Printed at")
GATE = pgettext_lazy("printed", "Gate")
BOX_OFFICE = pgettext_lazy("printed", "Box office")
CODE = pgettext_lazy("printed", "Code")
STEWARD = pgettext_lazy("printed", "Steward")
SUPERVISOR = pgettext_lazy("printed", "Supervisor")
OFFICE = pgettext_lazy("printed", "Box office terminal")
PAGE = pgettext_lazy("printed", "Page")
NOTHING_TO_PAIR = pgettext_lazy(
    "printed", "No device is waiting to be paired: every device of this event is paired or revoked. "
             "Add a device for each door phone, then print this sheet again.")
NO_BADGES = pgettext_lazy(
    "printed", "No credentials to print: this event has none, or all of them are revoked. "
             "Add credentials, then print the badges again.")

ROLES = {DeviceRole.STEWARD: STEWARD, DeviceRole.SUPERVISOR: SUPERVISOR, DeviceRole.OFFICE: OFFICE}
KINDS = {CredentialKind.STAFF: STAFF, CredentialKind.VIP: VIP}

# The seed's placeholder for a row nobody assigned yet; printed as words of the event's language.
_UNASSIGNED_ROW = Ticket._meta.get_field("seat_row").default


def row_text(seat_row: str) -> str:
    return str(ROW_UNASSIGNED) if seat_row == _UNASSIGNED_ROW else seat_row


def expires_text(when: str) -> str:
    return pgettext("printed", "Codes expire at %(time)s.") % {"time": when}


def print_language(event, requested: str | None = None) -> str:
    """`requested` when it is a language TicketCore prints in, else the event's."""
    return requested if requested in Language.values else event.language


@contextmanager
def in_print_language(event, requested: str | None = None):
    with translation.override(print_language(event, requested)):
        yield

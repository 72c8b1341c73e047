"""Domain errors. One class per reason code; the API maps them to the contract's error body.

Services raise these; views never build error responses themselves. Messages are lazy
translations: the error body is rendered in the request's language (API.md "Languages"), which
may not be the language active where the error was raised; the `code` never changes
(docs/adr/0029)."""
from __future__ import annotations

from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _


def _formatted(template: str | Promise, values: dict) -> str:
    return str(template) % values


def interpolate(template: str | Promise, /, **values) -> Promise:
    """`template % values`, made when the message is read, so in the reader's language: a lazy
    template (`_("At most %(count)d tickets per hold.")`) with its values, which may be lazy too."""
    return lazy(_formatted, str)(template, values)


def _listed(problems: dict) -> str:
    return "; ".join(f"{name}: {messages[0]}" for name, messages in problems.items())


def problems_message(problems: dict[str, list]) -> Promise:
    """An InvalidInput's message from its `fields` (`name: first problem; ...`), made when read."""
    return lazy(_listed, str)(problems)


class DomainError(Exception):
    code: str = "error"
    status: int = 409
    default_message: str | Promise = _("The request conflicts with the current state.")

    def __init__(self, message: str | Promise | None = None, *, fields: dict | None = None,
                 extra: dict | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra: dict[str, Any] = extra or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = _("The request is not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class SetupInactive(DomainError):
    code = "setup_inactive"
    default_message = _("The zones setup is not active (status is false); ticket generation is refused.")


class AlreadyGenerated(DomainError):
    code = "already_generated"
    default_message = _("Tickets have already been generated for this event.")


class ZonesLocked(DomainError):
    code = "zones_locked"
    default_message = _("Zones can no longer be changed once tickets exist.")


class Irreversible(DomainError):
    code = "irreversible"
    default_message = _("This change would reverse an irreversible ticket state.")


class TicketLocked(DomainError):
    code = "ticket_locked"
    default_message = _("The ticket is held or assigned to an office and cannot be changed now.")


class HoldExpired(DomainError):
    code = "hold_expired"
    default_message = _("The hold has expired, was released, was swept or was already checked out.")


class SeatsUnavailable(DomainError):
    code = "seats_unavailable"
    default_message = _("Some of the requested tickets are not available.")

    def __init__(self, tickets: list[str], message: str | Promise | None = None):
        super().__init__(message, extra={"tickets": sorted(tickets)})

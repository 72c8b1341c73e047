"""Domain errors. One class per reason code; the API maps them to the contract's error body.

Services raise these; views never build error responses themselves."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "error"
    status: int = 409
    default_message: str = "The request conflicts with the current state."

    def __init__(self, message: str | None = None, *, fields: dict | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra: dict[str, Any] = extra or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    default_message = "The request is not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class SetupInactive(DomainError):
    code = "setup_inactive"
    default_message = "The zones setup is not active (status is false); ticket generation is refused."


class AlreadyGenerated(DomainError):
    code = "already_generated"
    default_message = "Tickets have already been generated for this event."


class ZonesLocked(DomainError):
    code = "zones_locked"
    default_message = "Zones can no longer be changed once tickets exist."


class Irreversible(DomainError):
    code = "irreversible"
    default_message = "This change would reverse an irreversible ticket state."


class TicketLocked(DomainError):
    code = "ticket_locked"
    default_message = "The ticket is held or assigned to an office and cannot be changed now."


class HoldExpired(DomainError):
    code = "hold_expired"
    default_message = "The hold has expired, was released, was swept or was already checked out."


class SeatsUnavailable(DomainError):
    code = "seats_unavailable"
    default_message = "Some of the requested tickets are not available."

    def __init__(self, tickets: list[str], message: str | None = None):
        super().__init__(message, extra={"tickets": sorted(tickets)})

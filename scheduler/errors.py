"""Domain errors. The API maps each class to an HTTP status and an RFC 9457 document in one place.

Messages are written for the person who will read them (often a citizen) and never contain
personal data.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Request cannot be handled"

    def __init__(self, detail: str, *, nl: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        #: The same message in Dutch, for citizens (the API negotiates on Accept-Language).
        self.detail_nl = nl or detail
        #: Extra members of the problem document (e.g. ``alternatives``); JSON-serialisable.
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"


class InvalidInput(DomainError):
    """Well-formed input that the domain cannot accept (unknown postcode, date in the past, …)."""

    title = "Invalid input"


class OutsideServiceArea(InvalidInput):
    title = "Address outside the municipality"


class UnknownAddress(InvalidInput):
    title = "Unknown address"


class Conflict(DomainError):
    """The request clashes with the current state (a taken slot, a changed day, a kept promise)."""

    title = "Conflict"


class SlotTaken(Conflict):
    title = "This time is no longer available"


class PromisesAtRisk(Conflict):
    """A capacity change would break visits already booked (``affected`` names them)."""

    title = "This change would break booked visits"


class OfferExpired(DomainError):
    title = "This offer has expired"


class IdempotencyMismatch(DomainError):
    title = "Idempotency key reused for a different request"


class NotAllowed(DomainError):
    """Authenticated, but this user may not do this here."""

    title = "Not allowed"


class Unauthenticated(DomainError):
    title = "Not signed in"

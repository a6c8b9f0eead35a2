"""Rate limits for the anonymous endpoints, per client address (the ``limits`` library).

Three limits, each configured in ``limits`` notation ("60/minute", "5/second;100/hour") or "off":

* ``offers`` — ``POST …/offers`` (``AANHUIS_RATE_LIMIT_OFFERS``, default 60/minute);
* ``bookings`` — ``POST …/bookings`` (``AANHUIS_RATE_LIMIT_BOOKINGS``, default 20/minute);
* ``lookups`` — failed manage-token checks, and every booking look-up or short link that other
  features add (``AANHUIS_RATE_LIMIT_LOOKUPS``, default 10/hour). Once used up, every look-up
  from that address answers 429 — with a right token too — so guessing stops, and the 429 looks
  the same whether a reference exists or not.

Counters live in Redis when ``AANHUIS_REDIS_URL`` is set, so they hold across workers and
machines; otherwise in the process's memory, so each worker process counts on its own (a limit
of 60/minute with 4 workers lets up to 240 through).

Over the limit: 429 problem+json with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from typing import Annotated, Literal, cast

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from api.settings import Settings
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.booking.schemas import REFERENCE
from scheduler.errors import Unauthenticated

log = logging.getLogger("aanhuis.ratelimit")

Name = Literal["offers", "bookings", "lookups"]


class TooManyRequests(Exception):
    """Over a rate limit; ``retry_after`` seconds until the next request is allowed."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(name)
        self.name = name
        self.retry_after = max(1, retry_after)


class RateLimits:
    """The configured limits and their counters (one per app)."""

    def __init__(self, settings: Settings) -> None:
        self.storage = cast(Storage, storage_from_string(settings.redis_url or "memory://"))
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.rules: dict[str, list[RateLimitItem]] = {
            "offers": _parse(settings.rate_limit_offers),
            "bookings": _parse(settings.rate_limit_bookings),
            "lookups": _parse(settings.rate_limit_lookups),
        }

    def hit(self, name: Name, client: str) -> None:
        """Count one request of ``client``; raise :class:`TooManyRequests` when over a limit."""
        for rule in self.rules[name]:
            if not self.limiter.hit(rule, name, client):
                raise TooManyRequests(name, self._retry_after(rule, name, client))

    def check(self, name: Name, client: str) -> None:
        """Raise :class:`TooManyRequests` when ``client`` has used up a limit (counts nothing)."""
        for rule in self.rules[name]:
            if not self.limiter.test(rule, name, client):
                raise TooManyRequests(name, self._retry_after(rule, name, client))

    def _retry_after(self, rule: RateLimitItem, name: str, client: str) -> int:
        stats = self.limiter.get_window_stats(rule, name, client)
        return math.ceil(stats.reset_time - time.time())

    def reset(self) -> None:
        """Forget every count (tests)."""
        self.storage.reset()


def _parse(value: str) -> list[RateLimitItem]:
    return [] if value == "off" else list(parse_many(value))


def client_address(request: Request) -> str:
    """The client's address (behind a proxy: what ``--proxy-headers`` took from it)."""
    return request.client.host if request.client else "unknown"


def limits_of(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


def limit_offers(request: Request) -> None:
    """Dependency: one offer search of this client."""
    limits_of(request).hit("offers", client_address(request))


def limit_bookings(request: Request) -> None:
    """Dependency: one booking attempt of this client."""
    limits_of(request).hit("bookings", client_address(request))


class Lookups:
    """The look-up limit of one request: :meth:`check` before looking, :meth:`failed` after a
    failed check, :meth:`hit` for a look-up that always counts (a lookup form, a short link)."""

    def __init__(self, request: Request) -> None:
        self.limits = limits_of(request)
        self.client = client_address(request)

    def check(self) -> None:
        self.limits.check("lookups", self.client)

    def failed(self) -> None:
        # The failure that uses the limit up still answers 401; the next look-up gets 429.
        with contextlib.suppress(TooManyRequests):
            self.limits.hit("lookups", self.client)

    def hit(self, reference: str | None = None) -> None:
        """Count a look-up; with ``reference``, also one of that booking, from any address (so a
        reference cannot be tried from many addresses either)."""
        self.limits.hit("lookups", self.client)
        if reference is not None:
            self.limits.hit("lookups", f"reference:{reference}")


LookupsDep = Annotated[Lookups, Depends(Lookups)]


def citizen_visit(session: Session, reference: str, token: str | None, lookups: Lookups) -> Visit:
    """The booking behind a reference and manage token, under the look-up limit.

    A client that used up the limit gets 429 before anything is looked up; a failed check
    (unknown reference or wrong token, one and the same 401) counts toward it.
    """
    lookups.check()
    try:
        if not REFERENCE.fullmatch(reference):
            raise booking.wrong_manage_link()
        return booking.get_for_citizen(session, reference, token)
    except Unauthenticated:
        lookups.failed()
        raise

"""SEAM for the hardening branch (issue 8): the rate limit of the booking look-up.

``POST /api/v1/municipalities/{slug}/bookings/lookup`` answers 202 whatever it is sent, so the
only thing that stops someone from trying references and addresses is this limit: per client
address and per reference, with 429 (problem+json, ``Retry-After``) as the only other answer.

Until the hardening branch lands its ``api/ratelimit.py`` (the ``limits`` library, Redis when
configured), this is a small in-process sliding window with the same contract. To swap: make
:func:`get_lookup_limit` return an object whose ``hit(reference)`` counts the client on the
shared "lookups" limit and the reference on a per-reference one (both raise their
``TooManyRequests``), and drop :class:`TooManyLookups` with its handler.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.problems import prefers_dutch, problem

#: Look-ups a client address may do per hour, and look-ups of one reference per hour.
PER_CLIENT = (10, 3600.0)
PER_REFERENCE = (5, 3600.0)


class TooManyLookups(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many look-ups")
        self.retry_after = max(1, retry_after)


class _Window:
    """Sliding-window counters per key (thread-safe; one per app)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, period: float) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - period:
                hits.popleft()
            if len(hits) >= limit:
                raise TooManyLookups(int(hits[0] + period - now) + 1)
            hits.append(now)


class LookupLimit:
    """The look-up limit of one request: :meth:`hit` once per look-up, before looking."""

    def __init__(self, window: _Window, client: str) -> None:
        self._window = window
        self._client = client

    def hit(self, reference: str) -> None:
        """Count one look-up of ``reference`` by this client; raise :class:`TooManyLookups`."""
        self._window.hit(f"client:{self._client}", *PER_CLIENT)
        self._window.hit(f"reference:{reference}", *PER_REFERENCE)


def get_lookup_limit(request: Request) -> LookupLimit:
    window = getattr(request.app.state, "lookup_window", None)
    if window is None:
        window = request.app.state.lookup_window = _Window()
    client = request.client.host if request.client else "unknown"
    return LookupLimit(window, client)


LookupLimitDep = Annotated[LookupLimit, Depends(get_lookup_limit)]


def install(app: FastAPI) -> None:
    """Answer :class:`TooManyLookups` with 429 problem+json and ``Retry-After``."""

    @app.exception_handler(TooManyLookups)
    async def _too_many(request: Request, exc: TooManyLookups) -> JSONResponse:
        if prefers_dutch(request):
            title, detail = "Te veel verzoeken", "Probeer het later opnieuw."
        else:
            title, detail = "Too many requests", "Please try again later."
        return problem(429, title, detail, headers={"Retry-After": str(exc.retry_after)})

"""The access log around every request: a trail per request, W3C trace context, one batch write.

Each HTTP request gets a :class:`~scheduler.audit.service.Trail` (in a context variable) with
the trace id of an incoming ``traceparent`` (or a new one) and its own span id; the response
carries ``traceparent`` with that span. Routers and pages note what personal data they read or
wrote (:func:`note`); the authentication dependencies say who acts (:func:`act_as`). The trail
is written in one batch of two bulk inserts (audit and processing records):

* for GET and HEAD before the response starts, so personal data never leaves unrecorded (a
  failed write answers 500); read requests hold no write lock, so this cannot wait on them;
* for other methods once the handler and its dependencies are done (their writing session may
  hold SQLite's one write lock until then).

Sealing the hash chain is the worker's job (``aanhuis worker``, each round) and precedes every
verification.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import Callable, Iterator, Sequence

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings
from scheduler import clock
from scheduler.accounts.models import User
from scheduler.audit import service as audit
from scheduler.booking.models import Visit
from scheduler.security import AUDIT_CHAIN, AUDIT_CHECKPOINT, DATA_SUBJECT

log = logging.getLogger("aanhuis.audit")

_trail: contextvars.ContextVar[audit.Trail | None] = contextvars.ContextVar(
    "aanhuis_trail", default=None
)
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def keys(settings: Settings) -> audit.Keys:
    """The access log's keys, derived from ``AANHUIS_SECRET_KEY``."""
    return audit.Keys(
        chain=settings.key(AUDIT_CHAIN),
        checkpoint=settings.key(AUDIT_CHECKPOINT),
        pseudonym=settings.key(DATA_SUBJECT),
    )


def activity_of(settings: Settings) -> Callable[[audit.Access], str]:
    register = (settings.dpl_register_url or f"{settings.base_url}/verwerkingsregister").rstrip("/")

    def activity(access: audit.Access) -> str:
        configured = settings.dpl_activities.get(access.service_code or "")
        return configured or f"{register}/{access.reason}"

    return activity


def trace_of(header: str | None) -> tuple[str | None, str | None]:
    """(trace id, parent span id) of a valid W3C ``traceparent``, else (None, None)."""
    m = _TRACEPARENT.match((header or "").strip().lower())
    if m is None or set(m.group(1)) == {"0"} or set(m.group(2)) == {"0"}:
        return None, None
    return m.group(1), m.group(2)


def current() -> audit.Trail | None:
    return _trail.get()


def act_as(user: User | None, role: str | None = None) -> None:
    """Say who acts in this request: a staff user, or (``role="citizen"``) the citizen."""
    trail = _trail.get()
    if trail is None:
        return
    if user is not None:
        trail.act_as(user.id, user.role.value)
    else:
        trail.act_as(None, role or "system")


def note(
    action: str,
    visit: Visit,
    fields: Sequence[str],
    reason: str,
    service_code: str | None = None,
) -> None:
    """Record in this request's trail that ``fields`` of ``visit`` were read or written."""
    note_ref(action, visit.reference, visit.municipality_id, fields, reason, service_code)


def note_ref(
    action: str,
    reference: str,
    municipality_id: int | None,
    fields: Sequence[str],
    reason: str,
    service_code: str | None = None,
) -> None:
    """:func:`note` by the visit's reference (for answers built without the row at hand)."""
    trail = _trail.get()
    if trail is not None:
        trail.note(action, reference, municipality_id, fields, reason, service_code)


#: The personal fields of a whole booking (what the desk and an export show).
ALL_FIELDS = ("name", "phone", "email", "address", "notes", "needs", "contact")


def flush(
    sessions: sessionmaker[Session], settings: Settings, trail: audit.Trail, *, failed: bool
) -> int:
    """Write a trail's records in one transaction; returns how many."""
    if not trail.accesses:
        return 0
    with sessions() as session:
        n = audit.write(
            session,
            trail,
            now=clock.now(),
            failed=failed,
            keys=keys(settings),
            activity=activity_of(settings),
        )
        session.commit()
    trail.accesses.clear()
    return n


@contextlib.contextmanager
def cli_trail(sessions: sessionmaker[Session], settings: Settings) -> Iterator[audit.Trail]:
    """A trail for a CLI command (origin "cli", the operator), written when it ends."""
    trail = audit.Trail.new(origin="cli", now=clock.now())
    trail.act_as(None, "operator")
    token = _trail.set(trail)
    failed = False
    try:
        yield trail
    except BaseException:
        failed = True
        raise
    finally:
        _trail.reset(token)
        flush(sessions, settings, trail, failed=failed)


class Trace:
    """Starts each HTTP request's trail and writes it (see the module docstring for when)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        trace_id, _parent = trace_of(headers.get(b"traceparent", b"").decode("latin-1"))
        client = scope.get("client")
        origin = str(client[0]) if client else "unknown"
        trail = audit.Trail.new(origin=origin, now=clock.now(), trace_id=trace_id)
        token = _trail.set(trail)
        app = scope["app"]
        reading = scope["method"] in ("GET", "HEAD")
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if reading and trail.accesses:
                    await anyio.to_thread.run_sync(
                        lambda: flush(
                            app.state.sessions, app.state.settings, trail, failed=status >= 400
                        )
                    )
                parent = f"00-{trail.trace_id}-{trail.span_id}-01"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"traceparent", parent.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            _trail.reset(token)
            if trail.accesses:
                await anyio.to_thread.run_sync(
                    lambda: flush(
                        app.state.sessions, app.state.settings, trail, failed=status >= 400
                    )
                )

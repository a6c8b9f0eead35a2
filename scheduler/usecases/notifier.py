"""The one way the use cases reach citizens (a message about a visit) and experts (their route
changed) through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from scheduler.booking.models import Visit
from scheduler.tenants.models import Municipality


class Notifier(Protocol):
    """Queues a message about a visit in the outbox, inside the caller's transaction.

    ``manage_token`` is the citizen's manage token where the caller knows it in plain text (a new
    booking; a citizen acting through the manage link), so the message can carry the manage link.
    ``suggestions`` are free windows, already worded, that the message proposes (a visit nobody
    was home for). The API builds one from its settings (:func:`api.runtime.notifier`).
    """

    def __call__(
        self,
        session: Session,
        visit: Visit,
        kind: str,
        manage_token: str | None = None,
        *,
        suggestions: Sequence[str] = (),
    ) -> None: ...


def no_notify(
    session: Session,
    visit: Visit,
    kind: str,
    manage_token: str | None = None,
    *,
    suggestions: Sequence[str] = (),
) -> None:
    """A notifier that queues nothing (imports, seeding, tests of other things)."""
    return None


class ExpertNotifier(Protocol):
    """Tells an expert that their route of ``date`` changed, inside the caller's transaction.

    ``version`` is the day's version the change wrote (one message per expert and version);
    ``before`` and ``after`` are the expert's visit counts; what it returns is not used. The one
    implementation is :func:`scheduler.notify.experts.route_changed_notifier` (the API binds its
    address in :func:`api.runtime.expert_notifier`; the message links to the route app).
    """

    def __call__(
        self,
        session: Session,
        *,
        municipality: Municipality,
        expert_id: int,
        date: dt.date,
        version: int,
        before: int,
        after: int,
    ) -> object: ...

"""The one way the use cases reach citizens: queue a message about a visit in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from scheduler.booking.models import Visit


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

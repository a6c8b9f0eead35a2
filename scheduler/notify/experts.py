"""Messages to experts: "your route of that day changed", after the freeze.

Experts have no e-mail address or phone number in the model (:class:`~scheduler.capacity.models.
Expert`; their users sign in with a token or the municipality's identity provider), so the route
app is the channel: the message is stored in the outbox with channel ``app`` and counts as handed
over when the re-plan that caused it commits — from then on the route app shows the new route
with "Je route is gewijzigd" and the moment of the re-plan (``changed_at``), and the message links
to that day. No worker sends it and it is never a phone
task. A channel that reaches the expert's pocket (e-mail, SMS through Notify) needs an address on
the expert first.

The text names the date, the number of visits before and after, and the link: never a citizen's
name, address or anything else of the visits. One message per expert per re-plan: the key
``route_changed:{expert}:{date}:{day version}`` is unique in the outbox, so a second call for the
same re-plan queues nothing.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import clock
from scheduler.notify.models import OutboxMessage
from scheduler.notify.templates import format_date
from scheduler.tenants.models import Municipality

#: The outbox channel of messages the route app shows.
ROUTE_APP = "app"
#: The outbox kind of "your route changed".
ROUTE_CHANGED = "route_changed"


def route_app_link(base_url: str, date: dt.date) -> str:
    """The route app's page of ``date`` (the expert signs in there if needed)."""
    return f"{base_url.rstrip('/')}/expert/?datum={date.isoformat()}"


def route_changed_text(date: dt.date, *, before: int, after: int, link: str) -> tuple[str, str]:
    """Subject and body of "your route changed" (Dutch: the staff's language)."""
    day = format_date(date, "nl")
    subject = f"Je route van {day} is gewijzigd"
    visits = "1 bezoek" if after == 1 else f"{after} bezoeken"
    was = "1 bezoek" if before == 1 else f"{before} bezoeken"
    body = (
        f"Je route van {day} is gewijzigd door een herplanning.\n"
        f"Je hebt nu {visits} (was {was}); volgorde en tijden kunnen ook veranderd zijn.\n\n"
        f"Bekijk je route: {link}\n"
    )
    return subject, body


def queue_route_changed(
    session: Session,
    *,
    municipality: Municipality,
    expert_id: int,
    date: dt.date,
    version: int,
    before: int,
    after: int,
    base_url: str,
    now: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Queue "your route of ``date`` changed" for the expert (flush only; the caller commits).

    ``version`` is the day's version the re-plan wrote; ``before`` and ``after`` are the expert's
    visit counts; ``now`` defaults to the clock. Returns None when this re-plan's message to the
    expert is already queued. With ``base_url`` bound (:func:`route_changed_notifier`) it is the
    use cases' :class:`~scheduler.usecases.notifier.ExpertNotifier`.
    """
    now = now or clock.now()
    key = f"{ROUTE_CHANGED}:{expert_id}:{date.isoformat()}:{version}"
    session.flush()  # sessions do not autoflush: the look-up must see this transaction's rows
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return None
    subject, body = route_changed_text(
        date, before=before, after=after, link=route_app_link(base_url, date)
    )
    message = OutboxMessage(
        municipality_id=municipality.id,
        expert_id=expert_id,
        kind=ROUTE_CHANGED,
        channel=ROUTE_APP,
        recipient=None,
        subject=subject,
        body=body,
        created_at=now,
        send_after=now,
        # The route app shows the change as soon as the re-plan commits: nothing waits to be sent.
        sent_at=now,
        attempts=0,
        dedupe_key=key,
    )
    session.add(message)
    session.flush()
    return message


def route_changed_notifier(base_url: str) -> functools.partial[OutboxMessage | None]:
    """:func:`queue_route_changed` for a deployment whose route app lives at ``base_url``."""
    return functools.partial(queue_route_changed, base_url=base_url)

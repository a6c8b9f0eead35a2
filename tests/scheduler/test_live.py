"""Live status: the worker's sweep queues "on the way" once per visit and "running late" while
the promised window is still open; never for cancelled or finished visits, nor by post."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_notify import BASE, Tenant, add_visit
from test_notify_channels import KEYS, MOBILE, tenant  # noqa: F401 (the fixture)

from scheduler.booking.live import live_of
from scheduler.booking.models import Visit, VisitStatus
from scheduler.notify import service as outbox
from scheduler.notify.models import OutboxMessage
from scheduler.usecases import live

WINDOW_END = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)  # 11:00 local
BEFORE_END = dt.datetime(2026, 6, 15, 8, 30, tzinfo=dt.UTC)


def notify(session: Session, visit: Visit, kind: str, manage_token: str | None = None) -> None:
    outbox.enqueue(
        session,
        visit=visit,
        kind=kind,  # type: ignore[arg-type]
        language=visit.language,
        base_url=BASE,
        manage_token=manage_token,
        now=BEFORE_END,
        keys=KEYS,
    )


def kinds(sessions: sessionmaker[Session]) -> list[tuple[int | None, str, str]]:
    with sessions() as s:
        return [
            (m.visit_id, m.kind, m.channel)
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def visit(sessions: sessionmaker[Session], tenant: Tenant, **fields: Any) -> int:  # noqa: F811
    values: dict[str, Any] = {"citizen_email": None, "citizen_phone": MOBILE, **fields}
    return add_visit(sessions, tenant, **values)


def test_on_the_way_is_told_once(sessions: sessionmaker[Session], tenant: Tenant) -> None:  # noqa: F811
    """A visit set on the way gets one message with the expected band; the next sweeps none."""
    arrival = dt.datetime(2026, 6, 15, 7, 47, tzinfo=dt.UTC)  # 09:47 local
    v = visit(sessions, tenant, status=VisitStatus.ON_THE_WAY, planned_arrival=arrival)
    assert live.sweep(sessions, notify=notify, now=BEFORE_END) == 1
    assert live.sweep(sessions, notify=notify, now=BEFORE_END) == 0
    assert kinds(sessions) == [(v, "on_the_way", "sms")]
    with sessions() as s:
        body = outbox.readable(s.scalars(select(OutboxMessage)).one().body, KEYS)
        assert "tussen 09:35 en 09:55" in body
        shown = live_of(s.get(Visit, v))  # type: ignore[arg-type]
        assert shown.status == "on_the_way" and shown.expected_from is not None
        assert shown.expected_from.astimezone(dt.UTC) == dt.datetime(
            2026, 6, 15, 7, 35, tzinfo=dt.UTC
        )


@pytest.mark.parametrize(
    ("status", "arrival", "now", "told"),
    [
        (VisitStatus.PLANNED, WINDOW_END + dt.timedelta(minutes=25), BEFORE_END, True),
        # Within the window: nothing to tell.
        (VisitStatus.PLANNED, WINDOW_END - dt.timedelta(minutes=5), BEFORE_END, False),
        # The window has ended: too late to warn "before the window ends".
        (VisitStatus.PLANNED, WINDOW_END + dt.timedelta(minutes=25), WINDOW_END, False),
        (VisitStatus.CANCELLED, WINDOW_END + dt.timedelta(minutes=25), BEFORE_END, False),
        (VisitStatus.ARRIVED, WINDOW_END + dt.timedelta(minutes=25), BEFORE_END, False),
    ],
)
def test_running_late_is_told_before_the_window_ends(
    sessions: sessionmaker[Session],
    tenant: Tenant,  # noqa: F811
    status: VisitStatus,
    arrival: dt.datetime,
    now: dt.datetime,
    told: bool,
) -> None:
    """Only a visit still to come whose estimate passed its window, while the window is open."""
    v = visit(sessions, tenant, status=status, planned_arrival=arrival)
    assert live.sweep(sessions, notify=notify, now=now) == int(told)
    assert kinds(sessions) == ([(v, "late", "sms")] if told else [])


def test_letters_only_citizens_get_no_live_messages(
    sessions: sessionmaker[Session],
    tenant: Tenant,  # noqa: F811
) -> None:
    """Someone reached by post (or a landline) gets no "on the way": it would come too late."""
    visit(sessions, tenant, status=VisitStatus.ON_THE_WAY, wants_post=True)
    visit(sessions, tenant, status=VisitStatus.ON_THE_WAY, citizen_phone="+31301234567")
    assert live.sweep(sessions, notify=notify, now=BEFORE_END) == 0

"""``aanhuis outbox``: reminders are queued once and sent to a real SMTP server."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import Engine, or_, select
from support import free_port

from api.cli import main
from api.settings import get_settings
from scheduler import clock
from scheduler.booking.models import Visit
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify.models import OutboxMessage

AMS = clock.zone("Europe/Amsterdam")


class Collect(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def handle_message(self, message: object) -> None:
        self.messages.append(message)


def _first_day_with_email(engine: Engine) -> tuple[dt.date, int]:
    """The first day with visits of citizens who gave an e-mail address, and how many (with no
    Notify configured, only these reminders are sent; SMS ones wait in the outbox)."""
    with make_sessionmaker(engine)() as session:
        day = session.scalars(
            select(Visit.date).where(Visit.citizen_email.is_not(None)).order_by(Visit.date)
        ).first()
        assert day is not None
        count = len(
            session.scalars(
                select(Visit.id).where(Visit.date == day, Visit.citizen_email.is_not(None))
            ).all()
        )
    return day, count


def _reminded_on(engine: Engine, day: dt.date) -> int:
    """How many visits of ``day`` get a reminder: e-mail, or SMS to a mobile number."""
    with make_sessionmaker(engine)() as session:
        return len(
            session.scalars(
                select(Visit.id).where(
                    Visit.date == day,
                    Visit.contact_name.is_(None),
                    or_(Visit.citizen_email.is_not(None), Visit.citizen_phone.like("+316%")),
                )
            ).all()
        )


@pytest.fixture
def smtp() -> Iterator[tuple[Collect, int]]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_reminders_then_send(
    db_url: str,
    smtp: tuple[Collect, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Reminders for a day with visits are queued once (idempotent) and delivered over SMTP."""
    handler, port = smtp
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    assert (
        main(
            [
                "seed",
                "--demo",
                "--experts",
                "4",
                "--days",
                "3",
                "--fill",
                "0.4",
                "--history",
                "0",
                "--peers",
                "0",
            ]
        )
        == 0
    )
    engine = make_engine(db_url)
    day, expected = _first_day_with_email(engine)
    queued = _reminded_on(engine, day)
    capsys.readouterr()
    assert main(["outbox", "reminders", "--date", day.isoformat()]) == 0
    assert f"demo: {queued} reminder(s)" in capsys.readouterr().out
    assert main(["outbox", "reminders", "--date", day.isoformat()]) == 0
    assert "demo: 0 reminder(s)" in capsys.readouterr().out

    assert main(["outbox", "send"]) == 2  # no SMTP configured: a clear refusal
    monkeypatch.setenv("AANHUIS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AANHUIS_SMTP_PORT", str(port))
    get_settings.cache_clear()
    capsys.readouterr()
    # Reminders are due at 10:00 local time the day before the visit.
    due = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=AMS)
    previous = clock.set_clock(lambda: due.astimezone(dt.UTC))
    try:
        assert main(["outbox", "send"]) == 0
    finally:
        clock.set_clock(previous)
    assert len(handler.messages) == expected
    with make_sessionmaker(engine)() as session:
        unsent = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.channel == "email"
            )
        ).all()
        assert unsent == []
    engine.dispose()
    get_settings.cache_clear()


def test_worker_queues_tomorrows_reminders_and_sends_them(
    db_url: str,
    smtp: tuple[Collect, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One round of `aanhuis worker` on the day before visits: their reminders are queued and
    delivered over SMTP; a second round queues and sends nothing more."""
    handler, port = smtp
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    seed = ["seed", "--demo", "--experts", "3", "--days", "2", "--fill", "0.3"]
    assert main([*seed, "--history", "0", "--peers", "0"]) == 0
    engine = make_engine(db_url)
    day, expected = _first_day_with_email(engine)
    queued = _reminded_on(engine, day)
    assert expected > 0
    monkeypatch.setenv("AANHUIS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AANHUIS_SMTP_PORT", str(port))
    get_settings.cache_clear()
    day_before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=AMS)
    previous = clock.set_clock(lambda: day_before.astimezone(dt.UTC))
    try:
        caplog.set_level(logging.INFO, logger="aanhuis.worker")
        assert main(["worker", "--once"]) == 0
        out = caplog.text
        assert f"demo: {queued} reminder(s) for {day.isoformat()}" in out
        assert f"sent {expected} message(s)" in out
        assert len(handler.messages) == expected
        caplog.clear()
        assert main(["worker", "--once"]) == 0
        assert [r.getMessage() for r in caplog.records] == ["worker started"]
        assert len(handler.messages) == expected
    finally:
        clock.set_clock(previous)
        engine.dispose()
        get_settings.cache_clear()

"""The outbox: rendering messages, delivery to a real local SMTP server, retries, phone tasks,
reminders, and several senders at once.

Each test gets a fresh migrated database from ``tests/conftest.py`` (SQLite, and PostgreSQL when
``AANHUIS_TEST_POSTGRES_URL`` is set). The SMTP server is aiosmtpd on 127.0.0.1; its handler can
be told to accept, to fail temporarily, or to refuse the recipient.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from support import free_port

from scheduler import clock
from scheduler.booking.models import Visit, VisitStatus
from scheduler.calendar import FEED_UID_PREFIX
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.db import transaction
from scheduler.errors import NotFound
from scheduler.notify import feeds
from scheduler.notify import service as outbox
from scheduler.notify.mailer import SmtpMailer
from scheduler.notify.models import OutboxMessage
from scheduler.notify.templates import KINDS, PHONE_PREFIX
from scheduler.planning.models import ExpertDay
from scheduler.security import KeyRing, hash_token, token_matches
from scheduler.tenants.models import Municipality

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 6, 15)  # a Monday in summer time (UTC+2)
BASE = "https://aanhuis.example"
EMAIL = "jan.devries@example.nl"
NAME = "Jan de Vries"
PHONE = "0612345678"
STREET = "Oudegracht"
SENDER = "noreply@aanhuis.example"


# -- fixtures ---------------------------------------------------------------------------------


@dataclass
class Tenant:
    municipality_id: int
    service_id: int


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    """Utrecht with one service: a 60-minute WMO intake."""
    with transaction(sessions) as s:
        municipality = Municipality(
            slug="utrecht",
            name="Gemeente Utrecht",
            timezone="Europe/Amsterdam",
            center_lat=52.09,
            center_lon=5.12,
            radius_km=12.0,
            email="huisbezoek@utrecht.example",
            phone="14 030",
            website="https://utrecht.example",
        )
        s.add(municipality)
        s.flush()
        service = ServiceType(
            municipality_id=municipality.id,
            code="wmo-intake",
            name_nl="Wmo-intake",
            name_en="WMO intake",
            preparation_nl="Uw identiteitsbewijs.",
            preparation_en="Your ID.",
            duration_minutes=60,
            skill="wmo",
        )
        s.add(service)
        s.flush()
        return Tenant(municipality.id, service.id)


_references = iter(range(1000, 10000))


def add_visit(
    sessions: sessionmaker[Session],
    tenant: Tenant,
    *,
    day: dt.date = DAY,
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(11),
    **fields: Any,
) -> int:
    """A visit on ``day`` with a ``start``–``end`` local window; returns its id."""
    n = next(_references)
    values: dict[str, Any] = {
        "municipality_id": tenant.municipality_id,
        "service_type_id": tenant.service_id,
        "reference": f"AH-TEST-{n}",
        "manage_token_hash": "0" * 64,
        "date": day,
        "window_start": clock.at_local(day, start, AMS),
        "window_end": clock.at_local(day, end, AMS),
        "duration_minutes": 60,
        "lat": 52.09,
        "lon": 5.12,
        "postcode": "3511AB",
        "house_number": 12,
        "street": STREET,
        "city": "Utrecht",
        "citizen_name": NAME,
        "citizen_phone": PHONE,
        "citizen_email": EMAIL,
        "ical_uid": f"uid-{n}@aanhuis",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    with transaction(sessions) as s:
        visit = Visit(**values)
        s.add(visit)
        s.flush()
        return visit.id


def enqueue(
    sessions: sessionmaker[Session], visit_id: int, kind: str, language: str = "nl", **kw: Any
) -> int:
    """Enqueue in a transaction of its own, as a booking use case would; returns the message id."""
    with transaction(sessions) as s:
        visit = s.get(Visit, visit_id)
        assert visit is not None
        message = outbox.enqueue(
            s, visit=visit, kind=kind, language=language, base_url=BASE, now=NOW, **kw
        )
        return message.id


def get_message(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage | None:
    with transaction(sessions) as s:
        return s.get(OutboxMessage, message_id)


def all_messages(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with transaction(sessions) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


class SmtpHandler:
    """Records what the server accepted; ``data_reply``/``rcpt_reply`` make it fail on purpose."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_reply: str | None = None
        self.rcpt_reply: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_reply:
            return self.data_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpHandler, SmtpMailer]]:
    """A real SMTP server on a free local port, and a mailer pointed at it."""
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, SmtpMailer("127.0.0.1", port, None, None, False, SENDER, timeout=5)
    finally:
        controller.stop()


def calendar_part(message: EmailMessage) -> EmailMessage:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


# -- enqueue ------------------------------------------------------------------------------------


def test_enqueue_only_flushes_into_the_callers_transaction(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A message belongs to the transaction that caused it: rolled back with it, kept with it."""
    visit_id = add_visit(sessions, tenant)
    with sessions() as s:
        visit = s.get(Visit, visit_id)
        assert visit is not None
        outbox.enqueue(s, visit=visit, kind="confirmation", language="nl", base_url=BASE, now=NOW)
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        s.rollback()
    assert all_messages(sessions) == []
    enqueue(sessions, visit_id, "confirmation")
    assert len(all_messages(sessions)) == 1


def test_confirmation_in_dutch_says_what_when_where_and_how_to_manage(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """The Dutch confirmation names the reference, service, local date and window, address, what
    to have ready, the manage link with its token and the municipality's contact details, and
    carries a REQUEST invite."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, "confirmation", manage_token="tok"))
    assert message is not None
    assert message.recipient == EMAIL
    assert message.kind == "confirmation"
    for expected in ("Bevestiging", "Wmo-intake", "maandag 15 juni 2026", "AH-TEST-"):
        assert expected in message.subject
    for expected in (
        "Beste Jan de Vries,",
        "tussen 09:00 en 11:00 uur",
        "Oudegracht 12, 3511 AB Utrecht",
        "Uw identiteitsbewijs.",
        f"{BASE}/afspraak/AH-TEST-",
        "?token=tok",
        "14 030",
        "huisbezoek@utrecht.example",
    ):
        assert expected in message.body, expected
    assert message.ics_method == "REQUEST"
    assert message.ics is not None
    event = icalendar.Calendar.from_ical(message.ics).walk("VEVENT")[0]
    assert event["DTSTART"].dt == dt.datetime(2026, 6, 15, 9, tzinfo=AMS)


def test_english_citizens_get_english_messages(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """language="en" (or an English tag such as en-GB) gives English subject, body and invite."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, "confirmation", "en-GB"))
    assert message is not None and message.ics is not None
    assert message.subject.startswith("Confirmed: home visit WMO intake on Monday 15 June 2026")
    assert "the expert arrives between 09:00 and 11:00" in message.body
    assert "Your ID." in message.body
    assert "Home visit WMO intake" in message.ics


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_kind_renders_in_both_languages(
    sessions: sessionmaker[Session], tenant: Tenant, kind: str, language: str
) -> None:
    """Every kind has a subject in its language with the reference, a body with the window, and
    the invite its kind calls for."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, kind, language))
    assert message is not None
    assert "AH-TEST-" in message.subject
    assert "09:00" in message.body and "11:00" in message.body
    expected_method = {"confirmation": "REQUEST", "reschedule": "REQUEST", "cancellation": "CANCEL"}
    assert message.ics_method == expected_method.get(kind)
    assert (message.ics is None) == (kind not in expected_method)
    assert ("home visit" in message.subject) == (language == "en")
    assert ("huisbezoek" in message.subject) == (language == "nl")


def test_disruption_apologises_and_links_to_a_new_window(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A visit that cannot be kept: the message apologises and links to picking a new time."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, "disruption", manage_token="t"))
    assert message is not None
    assert "excuses" in message.body
    assert f"Kies een nieuw moment dat u past: {BASE}/afspraak/AH-TEST-" in message.body
    assert "?token=t" in message.body
    assert "Was gepland" in message.body


def test_disruption_without_token_issues_a_working_link(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Planning code does not hold the citizen's manage token: the disruption issues a fresh one,
    stored hashed on the visit, so the link in the message really opens the visit."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, "disruption"))
    assert message is not None
    token = message.body.split("?token=")[1].split()[0]
    with transaction(sessions) as s:
        assert token_matches(token, s.get_one(Visit, visit_id).manage_token_hash)


@pytest.mark.parametrize("kind", ["confirmation", "reschedule", "reminder"])
def test_without_token_no_dead_link_is_printed(
    sessions: sessionmaker[Session], tenant: Tenant, kind: str
) -> None:
    """The manage page opens only with the token; without one the message points to the
    confirmation e-mail and the phone number instead of a link that would not open, and the
    invite carries no URL."""
    visit_id = add_visit(sessions, tenant)
    message = get_message(sessions, enqueue(sessions, visit_id, kind))
    assert message is not None
    assert "/afspraak/" not in message.body
    assert "14 030" in message.body
    # The confirmation is the first message: it cannot point to an earlier one.
    assert ("link in uw bevestigingsmail" in message.body) == (kind != "confirmation")
    assert message.ics is None or "URL:" not in message.ics


def test_unknown_kind_or_language_is_refused(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A typo in a kind or language is a bug in the caller, not a message to store."""
    visit_id = add_visit(sessions, tenant)
    with pytest.raises(ValueError, match="kind"):
        enqueue(sessions, visit_id, "birthday")
    with pytest.raises(ValueError, match="language"):
        enqueue(sessions, visit_id, "confirmation", "de")


def test_a_change_withdraws_the_visits_unsent_messages_it_makes_stale(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A reschedule withdraws the unsent confirmation and reminder (they name the old time), and
    a cancellation withdraws everything unsent; messages already sent stay."""
    visit_id = add_visit(sessions, tenant)
    sent = enqueue(sessions, visit_id, "confirmation")
    with transaction(sessions) as s:
        s.get_one(OutboxMessage, sent).sent_at = NOW
    enqueue(sessions, visit_id, "confirmation")
    enqueue(sessions, visit_id, "reminder")
    enqueue(sessions, visit_id, "reschedule")
    remaining = all_messages(sessions)
    assert [(m.kind, m.sent_at) for m in remaining] == [
        ("confirmation", NOW),
        ("reschedule", None),
    ]
    assert remaining[0].id == sent
    enqueue(sessions, visit_id, "cancellation")
    remaining = all_messages(sessions)
    assert [(m.kind, m.sent_at) for m in remaining] == [
        ("confirmation", NOW),
        ("cancellation", None),
    ]


# -- no e-mail: phone tasks -------------------------------------------------------------------


def test_without_email_the_message_becomes_a_phone_task(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """No address: the message is kept without recipient, marked for phoning, not e-mailed, listed
    for planners until one marks it handled."""
    handler, mailer = smtp
    visit_id = add_visit(sessions, tenant, citizen_email=None)
    message_id = enqueue(sessions, visit_id, "disruption")
    message = get_message(sessions, message_id)
    assert message is not None
    assert message.recipient is None
    assert message.subject.startswith(PHONE_PREFIX)
    assert message.ics is None

    assert outbox.send_pending(sessions, mailer, now=NOW) == 0
    assert handler.received == []
    with transaction(sessions) as s:
        municipality = s.get_one(Municipality, tenant.municipality_id)
        assert [m.id for m in outbox.phone_tasks(s, municipality=municipality)] == [message_id]
        outbox.mark_handled(s, municipality=municipality, message_id=message_id, now=NOW)
    with transaction(sessions) as s:
        municipality = s.get_one(Municipality, tenant.municipality_id)
        assert outbox.phone_tasks(s, municipality=municipality) == []


def test_mark_handled_stays_within_the_tenant(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A planner of another municipality cannot see or close this municipality's phone task."""
    visit_id = add_visit(sessions, tenant, citizen_email=None)
    message_id = enqueue(sessions, visit_id, "confirmation")
    with transaction(sessions) as s:
        other = Municipality(
            slug="zeist", name="Gemeente Zeist", center_lat=52.09, center_lon=5.23, radius_km=5,
            email="info@zeist.example",
        )  # fmt: skip
        s.add(other)
        s.flush()
        assert outbox.phone_tasks(s, municipality=other) == []
        with pytest.raises(NotFound):
            outbox.mark_handled(s, municipality=other, message_id=message_id, now=NOW)


# -- sending over SMTP ------------------------------------------------------------------------


def test_confirmation_arrives_over_smtp_with_its_invite(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """The SMTP server receives one e-mail with the municipality as display name and reply-to,
    the text body, a text/calendar; method=REQUEST; charset=UTF-8 part and an invite.ics
    attachment; the message is marked sent and is not sent again."""
    handler, mailer = smtp
    visit_id = add_visit(sessions, tenant)
    message_id = enqueue(sessions, visit_id, "confirmation")

    assert outbox.send_pending(sessions, mailer, now=NOW) == 1
    assert len(handler.received) == 1
    received = handler.received[0]
    assert received["From"].addresses[0].display_name == "Gemeente Utrecht"
    assert received["From"].addresses[0].addr_spec == SENDER
    assert received["To"] == EMAIL
    assert received["Reply-To"] == "huisbezoek@utrecht.example"
    # The subject may be folded onto a continuation line (valid RFC 5322); readers unfold it.
    assert received["Subject"].strip().startswith("Bevestiging: huisbezoek Wmo-intake")
    assert received["Message-ID"].startswith(f"<outbox.{message_id}.")
    assert received["Auto-Submitted"] == "auto-generated"
    assert handler.envelopes[0] == (SENDER, [EMAIL])

    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert "tussen 09:00 en 11:00 uur" in body.get_content()
    part = calendar_part(received)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert str(part.get_param("charset")).lower() == "utf-8"
    ics = part.get_content()
    assert icalendar.Calendar.from_ical(ics)["METHOD"] == "REQUEST"
    attachments = list(received.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["invite.ics"]

    message = get_message(sessions, message_id)
    assert message is not None and message.sent_at == NOW and message.attempts == 0
    assert outbox.send_pending(sessions, mailer, now=NOW + dt.timedelta(hours=1)) == 0
    assert len(handler.received) == 1


def test_cancellation_arrives_with_a_cancel_invite(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """A cancellation's calendar part is text/calendar; method=CANCEL with STATUS:CANCELLED."""
    handler, mailer = smtp
    visit_id = add_visit(sessions, tenant, ical_sequence=1, status=VisitStatus.CANCELLED)
    enqueue(sessions, visit_id, "cancellation")
    assert outbox.send_pending(sessions, mailer, now=NOW) == 1
    part = calendar_part(handler.received[0])
    assert part.get_param("method") == "CANCEL"
    event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1


def test_reminder_has_no_invite(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """A reminder is a plain e-mail: the calendar already holds the visit."""
    handler, mailer = smtp
    enqueue(sessions, add_visit(sessions, tenant), "reminder")
    assert outbox.send_pending(sessions, mailer, now=NOW) == 1
    received = handler.received[0]
    assert [p.get_content_type() for p in received.walk()] == ["text/plain"]


def test_messages_are_not_sent_before_send_after(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """A message waits until its send_after."""
    handler, mailer = smtp
    message_id = enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    assert outbox.send_pending(sessions, mailer, now=NOW - dt.timedelta(seconds=1)) == 0
    assert handler.received == []
    assert get_message(sessions, message_id).sent_at is None


def test_temporary_smtp_failure_is_recorded_and_retried_later(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """A 451 from the server: attempts goes up, the error is kept (without the address), the
    message waits for its backoff and is delivered on a later run."""
    handler, mailer = smtp
    handler.data_reply = "451 4.3.0 Mail server temporarily rejected message"
    message_id = enqueue(sessions, add_visit(sessions, tenant), "confirmation")

    assert outbox.send_pending(sessions, mailer, now=NOW) == 0
    message = get_message(sessions, message_id)
    assert message is not None
    assert message.attempts == 1
    assert message.sent_at is None
    assert message.last_error is not None and "451" in message.last_error
    assert EMAIL not in message.last_error
    assert message.send_after == NOW + outbox.backoff(1)

    handler.data_reply = None
    assert outbox.send_pending(sessions, mailer, now=NOW + dt.timedelta(seconds=30)) == 0
    assert outbox.send_pending(sessions, mailer, now=NOW + outbox.backoff(1)) == 1
    message = get_message(sessions, message_id)
    assert message is not None and message.sent_at is not None and message.attempts == 1
    assert len(handler.received) == 1


def test_server_down_is_recorded_and_not_lost(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Nothing listens on the port: the attempt is counted, the error class kept, the message
    stays unsent for the next run."""
    mailer = SmtpMailer("127.0.0.1", free_port(), None, None, False, SENDER, timeout=2)
    message_id = enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    assert outbox.send_pending(sessions, mailer, now=NOW) == 0
    message = get_message(sessions, message_id)
    assert message is not None
    assert message.attempts == 1 and message.sent_at is None
    assert message.last_error is not None and "ConnectionRefusedError" in message.last_error


def test_refused_recipient_goes_to_the_planners_phone_list(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """A 550 for the address will not get better: no more retries, and a planner phones."""
    handler, mailer = smtp
    handler.rcpt_reply = f"550 5.1.1 <{EMAIL}>: Recipient address rejected"
    message_id = enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    assert outbox.send_pending(sessions, mailer, now=NOW) == 0
    message = get_message(sessions, message_id)
    assert message is not None
    assert message.attempts >= outbox.MAX_ATTEMPTS
    assert message.last_error is not None and "550" in message.last_error
    assert EMAIL not in message.last_error
    handler.rcpt_reply = None
    assert outbox.send_pending(sessions, mailer, now=NOW + dt.timedelta(days=2)) == 0
    with transaction(sessions) as s:
        municipality = s.get_one(Municipality, tenant.municipality_id)
        assert [m.id for m in outbox.phone_tasks(s, municipality=municipality)] == [message_id]


def test_failures_use_up_attempts_with_growing_backoff(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Each failure waits longer (capped), and after MAX_ATTEMPTS the message is no longer tried
    but listed for a phone call."""
    mailer = SmtpMailer("127.0.0.1", free_port(), None, None, False, SENDER, timeout=2)
    message_id = enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    now = NOW
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.send_pending(sessions, mailer, now=now)
        message = get_message(sessions, message_id)
        assert message is not None
        waits.append(message.send_after - now)
        now = message.send_after
    assert waits == sorted(waits) and waits[0] < waits[-1] == outbox.MAX_BACKOFF
    outbox.send_pending(sessions, mailer, now=now + dt.timedelta(days=7))
    assert get_message(sessions, message_id).attempts == outbox.MAX_ATTEMPTS
    with transaction(sessions) as s:
        municipality = s.get_one(Municipality, tenant.municipality_id)
        assert [m.id for m in outbox.phone_tasks(s, municipality=municipality)] == [message_id]


def test_logs_name_message_ids_never_personal_data(
    sessions: sessionmaker[Session],
    tenant: Tenant,
    smtp: tuple[SmtpHandler, SmtpMailer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sending and failing log message ids and error classes; no address, name, phone, street."""
    handler, mailer = smtp
    caplog.set_level(logging.DEBUG)
    first = enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    outbox.send_pending(sessions, mailer, now=NOW)
    handler.rcpt_reply = f"550 5.1.1 <{EMAIL}> unknown"
    enqueue(sessions, add_visit(sessions, tenant), "confirmation")
    outbox.send_pending(sessions, mailer, now=NOW)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("aanhuis"))
    assert f"outbox message {first} sent" in logged
    assert "SMTPRecipientsRefused" in logged
    for secret in (EMAIL, NAME, PHONE, STREET, "3511"):
        assert secret not in logged


# -- several senders --------------------------------------------------------------------------


class CountingMailer:
    """Delivers through a real SMTP mailer, slowly, so two senders overlap."""

    def __init__(self, inner: SmtpMailer) -> None:
        self.inner = inner
        self.sender = inner.sender

    def send(self, message: EmailMessage) -> None:
        time.sleep(0.01)
        self.inner.send(message)


def test_two_senders_never_send_a_message_twice(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """Two workers draining the outbox at once deliver every message exactly once (PostgreSQL:
    FOR UPDATE SKIP LOCKED; SQLite: serialised writers)."""
    handler, mailer = smtp
    ids = {enqueue(sessions, add_visit(sessions, tenant), "confirmation") for _ in range(24)}
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            while outbox.send_pending(sessions, CountingMailer(mailer), now=NOW, batch=3):
                pass
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    message_ids = [m["Message-ID"] for m in handler.received]
    assert len(message_ids) == len(set(message_ids)) == len(ids)
    assert all(m.sent_at == NOW for m in all_messages(sessions))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgres_sender_skips_rows_another_worker_holds(
    backend: str,
    sessions: sessionmaker[Session],
    tenant: Tenant,
    smtp: tuple[SmtpHandler, SmtpMailer],
) -> None:
    """While one worker holds row locks on some messages, another sends the rest at once instead
    of waiting for (or sending) the locked ones: SKIP LOCKED."""
    handler, mailer = smtp
    ids = sorted(enqueue(sessions, add_visit(sessions, tenant), "confirmation") for _ in range(4))
    with sessions() as holder:
        held = holder.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids[:2])).with_for_update()
        ).all()
        assert len(held) == 2
        holder.execute(text("SET LOCAL lock_timeout = '5s'"))
        result: list[int] = []
        sender = threading.Thread(
            target=lambda: result.append(outbox.send_pending(sessions, mailer, now=NOW))
        )
        sender.start()
        sender.join(timeout=10)
        assert not sender.is_alive(), "the sender waited for locked rows"
        assert result == [2]
        holder.rollback()
    sent = {m.id for m in all_messages(sessions) if m.sent_at is not None}
    assert sent == set(ids[2:])
    assert len(handler.received) == 2


# -- reminders --------------------------------------------------------------------------------


def queue(sessions: sessionmaker[Session], tenant: Tenant, day: dt.date = DAY) -> int:
    with transaction(sessions) as s:
        municipality = s.get_one(Municipality, tenant.municipality_id)
        return outbox.queue_reminders(s, municipality=municipality, day=day, base_url=BASE, now=NOW)


def reminders(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    return [m for m in all_messages(sessions) if m.kind == "reminder"]


def test_reminders_go_to_active_visits_with_email_once(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Only active visits of the day with an e-mail get a reminder, at 10:00 local the day before
    (08:00 UTC in summer), and queueing again adds none."""
    wanted = add_visit(sessions, tenant)
    add_visit(sessions, tenant, citizen_email=None)
    add_visit(sessions, tenant, status=VisitStatus.CANCELLED)
    add_visit(sessions, tenant, day=DAY + dt.timedelta(days=1))
    assert queue(sessions, tenant) == 1
    assert queue(sessions, tenant) == 0
    (reminder,) = reminders(sessions)
    assert reminder.visit_id == wanted
    assert reminder.send_after == dt.datetime(2026, 6, 14, 8, 0, tzinfo=dt.UTC)
    assert reminder.subject.startswith("Herinnering: huisbezoek Wmo-intake op maandag 15 juni")


def test_reminder_is_in_the_language_the_citizen_booked_in(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A citizen who booked in English is reminded in English, one who booked in Dutch in Dutch."""
    english = add_visit(sessions, tenant, language="en")
    dutch = add_visit(sessions, tenant, language="nl")
    assert queue(sessions, tenant) == 2
    by_visit = {m.visit_id: m for m in reminders(sessions)}
    assert by_visit[english].subject.startswith("Reminder: home visit")
    assert by_visit[dutch].subject.startswith("Herinnering")


def test_visit_moved_to_the_day_gets_a_new_reminder(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """A reminder sent for the visit's earlier date does not count for its new date."""
    visit_id = add_visit(sessions, tenant, day=DAY - dt.timedelta(days=3))
    assert queue(sessions, tenant, DAY - dt.timedelta(days=3)) == 1
    with transaction(sessions) as s:
        old = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).one()
        old.sent_at = old.send_after
        visit = s.get_one(Visit, visit_id)
        visit.date = DAY
        visit.window_start = clock.at_local(DAY, dt.time(13), AMS)
        visit.window_end = clock.at_local(DAY, dt.time(15), AMS)
    assert queue(sessions, tenant) == 1
    assert len(reminders(sessions)) == 2


def test_late_reminders_are_due_at_once(sessions: sessionmaker[Session], tenant: Tenant) -> None:
    """Queued after 10:00 the day before, a reminder is due immediately, not in the past or
    tomorrow."""
    add_visit(sessions, tenant, day=NOW.date())
    assert queue(sessions, tenant, NOW.date()) == 1
    assert reminders(sessions)[0].send_after == NOW


def test_concurrent_reminder_runs_queue_each_reminder_once(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Two workers queueing the same day at once still give one reminder per visit."""
    visit_ids = {add_visit(sessions, tenant) for _ in range(5)}
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(queue(sessions, tenant))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(counts) == [0, 5]
    assert sorted(m.visit_id for m in reminders(sessions)) == sorted(visit_ids)


# -- expert feed tokens -----------------------------------------------------------------------


def add_expert(sessions: sessionmaker[Session], tenant: Tenant, name: str) -> int:
    with transaction(sessions) as s:
        expert = Expert(
            municipality_id=tenant.municipality_id,
            name=name,
            skills=["wmo"],
            start_lat=52.09,
            start_lon=5.12,
        )
        s.add(expert)
        s.flush()
        return expert.id


def plan(sessions: sessionmaker[Session], tenant: Tenant, expert_id: int, day: dt.date) -> int:
    """The expert's day plan row for ``day`` (visits point at it once planned)."""
    with transaction(sessions) as s:
        row = ExpertDay(
            municipality_id=tenant.municipality_id, expert_id=expert_id, date=day, updated_at=NOW
        )
        s.add(row)
        s.flush()
        return row.id


def test_feed_token_is_stored_hashed_and_rotates(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Only the token's hash is stored; the token finds its expert; a new token makes the old one
    useless; deactivating the expert switches the feed off."""
    expert_id = add_expert(sessions, tenant, "Anna Bakker")
    with transaction(sessions) as s:
        expert = s.get_one(Expert, expert_id)
        first = feeds.issue_feed_token(s, expert=expert)
        assert expert.feed_token_hash == hash_token(first) != first
    with transaction(sessions) as s:
        found = feeds.get_expert_by_feed_token(s, token=first)
        assert found is not None and found.id == expert_id
        assert feeds.get_expert_by_feed_token(s, token=first + "x") is None
        assert feeds.get_expert_by_feed_token(s, token="") is None
        second = feeds.issue_feed_token(s, expert=s.get_one(Expert, expert_id))
    with transaction(sessions) as s:
        assert feeds.get_expert_by_feed_token(s, token=first) is None
        assert feeds.get_expert_by_feed_token(s, token=second) is not None
        s.get_one(Expert, expert_id).active = False
    with transaction(sessions) as s:
        assert feeds.get_expert_by_feed_token(s, token=second) is None


def test_expert_feed_shows_only_that_experts_planned_visits(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """The feed behind a token lists the expert's planned visits in range, not a colleague's, not
    cancelled ones, not ones waiting for a new window, not ones outside the range; an unknown
    token is NotFound."""
    anna = add_expert(sessions, tenant, "Anna Bakker")
    bram = add_expert(sessions, tenant, "Bram Visser")
    anna_day, bram_day = plan(sessions, tenant, anna, DAY), plan(sessions, tenant, bram, DAY)
    far_day = DAY + dt.timedelta(days=feeds.DAYS_AHEAD + 5)
    anna_far = plan(sessions, tenant, anna, far_day)

    def planned(expert_id: int, day_id: int | None, hour: int, **fields: Any) -> int:
        day = fields.pop("day", DAY)
        return add_visit(
            sessions,
            tenant,
            day=day,
            expert_id=expert_id,
            expert_day_id=day_id,
            planned_arrival=clock.at_local(day, dt.time(hour, 10), AMS),
            planned_start=clock.at_local(day, dt.time(hour, 10), AMS),
            planned_end=clock.at_local(day, dt.time(hour + 1, 10), AMS),
            **fields,
        )

    shown = planned(anna, anna_day, 9)
    planned(anna, anna_day, 13, status=VisitStatus.CANCELLED)
    planned(anna, None, 15)  # waiting for a new window after a disruption
    planned(bram, bram_day, 9)
    planned(anna, anna_far, 9, day=far_day)
    with transaction(sessions) as s:
        token = feeds.issue_feed_token(s, expert=s.get_one(Expert, anna))
        uid = s.get_one(Visit, shown).ical_uid
    with transaction(sessions) as s:
        data = feeds.expert_feed(s, token=token, now=NOW)
        with pytest.raises(NotFound):
            feeds.expert_feed(s, token="not-a-token", now=NOW)
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [FEED_UID_PREFIX + uid]
    assert events[0]["DTSTART"].dt == dt.datetime(2026, 6, 15, 9, 10, tzinfo=AMS)


# -- the manage token at rest ---------------------------------------------------------------------


def test_a_waiting_message_keeps_its_manage_link_encrypted(
    sessions: sessionmaker[Session], tenant: Tenant, smtp: tuple[SmtpHandler, SmtpMailer]
) -> None:
    """With the application's keys, a message that carries the manage link waits in the outbox
    encrypted (body and invite): the token is nowhere in the row; the e-mail sent has the link."""
    keys = KeyRing.derive("test-secret-for-the-outbox-tests-0123456789")
    token = "Pl41nM4n4geT0ken-abcdefghijklmnopqrstuvwxy"
    visit_id = add_visit(sessions, tenant)
    message = get_message(
        sessions, enqueue(sessions, visit_id, "confirmation", manage_token=token, keys=keys)
    )
    assert message is not None and message.ics is not None
    assert token not in message.body and token not in message.ics
    assert "Beste" not in message.body  # the whole text, not just the link
    assert f"?token={token}" in outbox.readable(message.body, keys)
    with pytest.raises(ValueError):
        outbox.readable(message.body, None)
    handler, mailer = smtp
    assert outbox.send_pending(sessions, mailer, now=NOW, keys=keys) == 1
    (sent,) = handler.received
    text = sent.get_body(("plain",))
    assert text is not None and f"?token={token}" in text.get_content()


def test_not_home_proposes_the_free_windows_it_is_given(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Nobody was home: the message says so, lists the suggested windows one per line, points to
    booking anew (the visit itself is over: no manage link) and drops the unsent reminder."""
    visit_id = add_visit(sessions, tenant)
    enqueue(sessions, visit_id, "reminder")
    free = ["dinsdag 1 december 2026, tussen 10:00 en 12:00 uur", "woensdag 2 december 2026, 9:00"]
    message = get_message(sessions, enqueue(sessions, visit_id, "not_home", suggestions=free))
    assert message is not None
    assert "niemand open" in message.body
    assert "Deze momenten zijn nu nog vrij:\n- " + free[0] + "\n- " + free[1] in message.body
    assert "Maak een nieuwe afspraak via" in message.body
    assert "?token=" not in message.body
    assert [m.kind for m in all_messages(sessions)] == ["not_home"]

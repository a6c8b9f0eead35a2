"""Channels and NotifyNL: which channel a message takes, every kind as an SMS through a fake
Notify (real HTTP, JWT checked), retries after 429 and 5xx without duplicates, precompiled
letters, short links.

Fixtures (``tenant``, ``add_visit``) are the outbox tests' own: Utrecht, one Wmo intake, a visit
on Monday 15 June 2026 from 09:00 to 11:00.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notify_fake import FakeNotify, running
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from test_notify import BASE, NOW, Tenant, add_visit

from scheduler.booking.models import Visit, VisitStatus
from scheduler.catalog.models import ServiceType
from scheduler.db import transaction
from scheduler.notify import service as outbox
from scheduler.notify import shortlinks
from scheduler.notify.channels import choose_channel, is_mobile
from scheduler.notify.models import OutboxMessage, ShortLink
from scheduler.notify.notifynl import NotifyConfig, NotifyGateway, NotifyRoutes
from scheduler.notify.recipients import Recipient
from scheduler.notify.templates import KINDS
from scheduler.security import KeyRing
from scheduler.tenants.models import Municipality

KEYS = KeyRing.derive("k" * 40)
MOBILE = "+31612345678"


@pytest.fixture
def tenant(sessions: sessionmaker[Session]) -> Tenant:
    """Utrecht (phone 14 030) with one service: a 60-minute Wmo intake."""
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


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with running() as f:
        yield f


def routes(fake: FakeNotify, **config: Any) -> NotifyRoutes:
    sms = fake.add_template("sms", "((body))")
    email = fake.add_template("email", "((body))", "((subject))")
    values: dict[str, Any] = {"sms_template": sms, "email_template": email, **config}
    return NotifyRoutes(
        default=NotifyGateway(NotifyConfig(api_key=fake.api_key, base_url=fake.url, **values))
    )


def queue(sessions: sessionmaker[Session], visit_id: int, kind: str, **kw: Any) -> int:
    with transaction(sessions) as s:
        visit = s.get(Visit, visit_id)
        assert visit is not None
        token = "manage-token-" + kind
        message = outbox.enqueue(
            s,
            visit=visit,
            kind=kind,  # type: ignore[arg-type]
            language=kw.pop("language", "nl"),
            base_url=BASE,
            now=NOW,
            keys=KEYS,
            manage_token=token,
            **kw,
        )
        return message.id


def message(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with sessions() as s:
        m = s.get(OutboxMessage, message_id)
        assert m is not None
        s.expunge(m)
        return m


# -- choosing the channel ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "email", "post", "address", "kind", "channel"),
    [
        (MOBILE, None, False, True, "confirmation", "sms"),
        (MOBILE, "a@b.nl", False, True, "confirmation", "email"),
        ("+31301234567", None, False, True, "confirmation", "letter"),
        ("+31301234567", None, False, True, "reminder", "call"),
        (None, None, False, True, "confirmation", "letter"),
        (None, None, False, False, "confirmation", "call"),
        (MOBILE, "a@b.nl", True, True, "reschedule", "letter"),
        (MOBILE, "a@b.nl", True, True, "disruption", "call"),
    ],
)
def test_channel_follows_what_the_citizen_gave(
    phone: str | None, email: str | None, post: bool, address: bool, kind: str, channel: str
) -> None:
    """SMS only for a mobile number alone; a landline or nothing gets a letter (for the kinds
    that exist as letters) or a call; asking for post wins; e-mail otherwise."""
    to = Recipient(name="Jan", phone=phone, email=email)
    got = choose_channel(to, kind=kind, wants_post=post, has_address=address)  # type: ignore[arg-type]
    assert got == channel


@given(st.from_regex(r"\+31[1-9]\d{8}", fullmatch=True))
def test_only_dutch_mobile_numbers_take_an_sms(phone: str) -> None:
    """Exactly the numbers +316xxxxxxxx are mobile."""
    assert is_mobile(phone) == phone.startswith("+316")


# -- every kind reaches an SMS-only citizen ---------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_sms_only_citizen_gets_every_kind(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify, language: str
) -> None:
    """Each kind goes out as one short SMS to the mobile number, with the reference, the day,
    the window (or the expected band) and a short link (none for a cancellation; nobody home
    links to booking a new visit, since that visit is over)."""
    visit_id = add_visit(
        sessions,
        tenant,
        citizen_email=None,
        citizen_phone=MOBILE,
        planned_arrival=dt.datetime(2026, 6, 15, 7, 32, tzinfo=dt.UTC),  # 09:32 local
        language=language,
    )
    notify = routes(fake)
    for kind in KINDS:
        mid = queue(sessions, visit_id, kind, language=language)
        assert message(sessions, mid).channel == "sms"
        assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 1
        sms = fake.sent("sms")[-1]
        text = sms["body"]
        assert sms["phone_number"] == MOBILE
        assert "AH-TEST-" in text and len(text) <= 306, (kind, text)
        if kind in ("on_the_way", "late"):
            assert "09:20" in text and "09:40" in text, text
        else:
            assert "09:00" in text and "11:00" in text, text
            assert ("juni" if language == "nl" else "June") in text
        if kind == "not_home":
            assert text.endswith("https://aanhuis.example/utrecht/"), text
        elif kind != "cancellation":
            assert re.search(r"/m/[A-Z2-9]{10}", text), text
        stored = message(sessions, mid)
        assert stored.notify_id == sms["id"] and stored.delivery_status == "created"
    assert len(fake.sent("sms")) == len(KINDS)


def test_the_short_link_is_stored_hashed_and_opens_the_visit(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """The code is 10 characters (50 bits) from the reading alphabet, stored only as an HMAC;
    typed in lower case with a dash it still resolves, a changed code does not."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    queue(sessions, visit_id, "confirmation")
    outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=routes(fake))
    code = re.search(r"/m/([A-Z2-9]{10})", fake.sent("sms")[0]["body"])
    assert code is not None
    assert shortlinks.CODE_BITS >= 50
    with sessions() as s:
        links = s.scalars(select(ShortLink)).all()
        assert len(links) == 1
        assert code.group(1) not in links[0].code_hash
        assert code.group(1) not in links[0].sealed_token
        typed = code.group(1).lower()[:5] + "-" + code.group(1).lower()[5:]
        found = shortlinks.resolve(s, code=typed, keys=KEYS, now=NOW)
        assert found is not None and found[0].id == visit_id
        assert found[1] == "manage-token-confirmation"
        other = ("B" if code.group(1)[0] != "B" else "C") + code.group(1)[1:]
        assert shortlinks.resolve(s, code=other, keys=KEYS, now=NOW) is None
        later = links[0].expires_at + dt.timedelta(seconds=1)
        assert shortlinks.resolve(s, code=code.group(1), keys=KEYS, now=later) is None


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_after_429_and_5xx_without_duplicates(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify, status: int
) -> None:
    """A refused send is retried after the backoff, sent once, and never again."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    mid = queue(sessions, visit_id, "confirmation")
    notify = routes(fake)
    fake.failures = [status, status]
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 0
    failed = message(sessions, mid)
    assert failed.attempts == 1 and failed.last_error == f"NotifyFailed {status}"
    # Not due before the backoff.
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 0
    later = NOW + outbox.backoff(1)
    assert outbox.send_pending(sessions, None, now=later, keys=KEYS, notify=notify) == 0
    assert message(sessions, mid).attempts == 2
    latest = later + outbox.backoff(2)
    assert outbox.send_pending(sessions, None, now=latest, keys=KEYS, notify=notify) == 1
    far = latest + dt.timedelta(days=1)
    assert outbox.send_pending(sessions, None, now=far, keys=KEYS, notify=notify) == 0
    assert len(fake.sent("sms")) == 1
    assert sum(1 for r in fake.requests if r[0] == "POST" and r[4] == 201) == 1


def test_rate_limit_of_the_service_holds_the_rest_for_later(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """When Notify's rate limit is reached (429), the messages over it wait and go later."""
    ids = [
        queue(sessions, add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE), k)
        for k in ("confirmation", "confirmation", "confirmation")
    ]
    notify = routes(fake)
    fake.rate_limit = 2
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 2
    fake.rate_limit = None
    later = NOW + outbox.backoff(1)
    assert outbox.send_pending(sessions, None, now=later, keys=KEYS, notify=notify) == 1
    assert all(message(sessions, i).sent_at is not None for i in ids)
    assert len(fake.sent("sms")) == 3


def test_a_missing_placeholder_is_a_permanent_failure_on_the_call_list(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A template with a placeholder we do not fill answers 400: not retried, a planner calls."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    mid = queue(sessions, visit_id, "confirmation")
    bad = fake.add_template("sms", "((body)) ((naam))")
    notify = routes(fake, sms_template=bad)
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 0
    assert fake.sent() == []
    assert any(r[4] == 400 for r in fake.requests)
    with sessions() as s:
        m = s.get(OutboxMessage, mid)
        assert m is not None and m.attempts >= outbox.MAX_ATTEMPTS
        municipality = s.get(Visit, visit_id).municipality_id  # type: ignore[union-attr]
        town = s.get(Municipality, municipality)
        assert town is not None
        assert [t.id for t in outbox.phone_tasks(s, municipality=town)] == [mid]


def test_a_wrong_key_is_refused_by_the_jwt_check(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A key with another secret fails Notify's JWT check (403): nothing is sent, it retries."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    mid = queue(sessions, visit_id, "confirmation")
    sms = fake.add_template("sms", "((body))")
    wrong = f"aanhuis_test-{fake.service_id}-{'0' * 36}"
    notify = NotifyRoutes(
        default=NotifyGateway(NotifyConfig(api_key=wrong, base_url=fake.url, sms_template=sms))
    )
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=notify) == 0
    assert message(sessions, mid).last_error == "NotifyFailed 403"
    assert message(sessions, mid).attempts == 1  # a setup error: retried, not given up
    assert fake.sent() == []


def test_per_municipality_service_and_none_without_a_key(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A municipality's own Notify service is used for its messages; a municipality without one
    keeps its messages in the outbox."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    mid = queue(sessions, visit_id, "confirmation")
    own = routes(fake).default
    elsewhere = NotifyRoutes(by_slug={"amsterdam": own})  # type: ignore[dict-item]
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=elsewhere) == 0
    assert message(sessions, mid).sent_at is None and message(sessions, mid).attempts == 0
    mine = NotifyRoutes(by_slug={"utrecht": own})  # type: ignore[dict-item]
    later = NOW + outbox.FIRST_BACKOFF
    assert outbox.send_pending(sessions, None, now=later, keys=KEYS, notify=mine) == 1


# -- letters --------------------------------------------------------------------------------------


def test_letters_go_as_precompiled_pdfs(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A citizen who asked for post gets the confirmation as a precompiled letter: an A4 PDF
    with the address block, reference, window, preparation and the short link."""
    visit_id = add_visit(sessions, tenant, wants_post=True)
    mid = queue(sessions, visit_id, "confirmation")
    assert message(sessions, mid).channel == "letter"
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=routes(fake)) == 1
    letters = fake.sent("letter")
    assert len(letters) == 1
    reader = PdfReader(io.BytesIO(letters[0]["pdf"]))
    text = " ".join(p.extract_text() for p in reader.pages)
    for expected in ("AH-TEST-", "09:00", "11:00", "3511 AB", "Oudegracht 12", "identiteitsbewijs"):
        assert expected in text, expected
    assert re.search(r"/m/[A-Z2-9]{10}", text)
    assert len(reader.pages) <= 10
    assert message(sessions, mid).notify_id == letters[0]["id"]


def test_live_messages_are_withdrawn_for_finished_or_cancelled_visits(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A reminder or "on the way" whose visit was finished or cancelled before sending is
    dropped, not sent."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    queue(sessions, visit_id, "reminder")
    queue(sessions, visit_id, "on_the_way")
    with transaction(sessions) as s:
        visit = s.get(Visit, visit_id)
        assert visit is not None
        visit.status = VisitStatus.COMPLETED
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=routes(fake)) == 0
    assert fake.sent() == []
    with sessions() as s:
        assert s.scalars(select(OutboxMessage)).all() == []


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # The night summer time starts (29 March 2026) and the night it ends (25 October 2026).
        (dt.datetime(2026, 3, 28, 23, 30), dt.datetime(2026, 3, 29, 8, 0)),
        (dt.datetime(2026, 3, 29, 2, 30), dt.datetime(2026, 3, 29, 8, 0)),
        (dt.datetime(2026, 10, 24, 22, 0), dt.datetime(2026, 10, 25, 8, 0)),
        (dt.datetime(2026, 10, 25, 12, 0), dt.datetime(2026, 10, 25, 12, 0)),
        (dt.datetime(2026, 10, 25, 7, 59), dt.datetime(2026, 10, 25, 8, 0)),
    ],
)
def test_reminders_wait_for_a_civil_hour(local: dt.datetime, expected: dt.datetime) -> None:
    """A reminder due at night goes out at 08:00 local, also on both DST nights."""
    from zoneinfo import ZoneInfo

    ams = ZoneInfo("Europe/Amsterdam")
    got = outbox.civil_hour(local.replace(tzinfo=ams).astimezone(dt.UTC), ams)
    assert got.astimezone(ams).replace(tzinfo=None) == expected
    assert outbox.CIVIL_FROM <= got.astimezone(ams).time() < outbox.CIVIL_UNTIL


def test_a_late_booking_gets_its_reminder_in_the_morning(
    sessions: sessionmaker[Session], tenant: Tenant
) -> None:
    """Reminders queued at 23:00 the evening before are sent at 08:00, once."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    with transaction(sessions) as s:
        town = s.get(Municipality, tenant.municipality_id)
        assert town is not None
        visit = s.get(Visit, visit_id)
        assert visit is not None
        evening = dt.datetime(2026, 6, 14, 21, 0, tzinfo=dt.UTC)  # 23:00 local
        queued = outbox.queue_reminders(
            s, municipality=town, day=visit.date, base_url=BASE, now=evening
        )
        again = outbox.queue_reminders(
            s, municipality=town, day=visit.date, base_url=BASE, now=evening
        )
    assert (queued, again) == (1, 0)
    with sessions() as s:
        reminder = s.scalars(select(OutboxMessage)).one()
        assert reminder.channel == "sms"
        assert reminder.send_after == dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC)


def test_a_worker_that_died_after_sending_does_not_send_twice(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A message claimed for Notify whose sending was never recorded (the worker died after
    Notify accepted it) is looked up by its reference when claimed again: Notify's id is
    recorded and nothing is sent a second time. After a timeout the mark stays as well."""
    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    mid = queue(sessions, visit_id, "confirmation")
    notify = routes(fake)
    gateway = notify.default
    assert gateway is not None
    with transaction(sessions) as s:
        m = s.get(OutboxMessage, mid)
        assert m is not None
        reference = f"aanhuis-{m.id}-{m.created_at:%Y%m%d%H%M%S}"
        # What the dead worker did: claimed it, and Notify accepted it.
        m.delivery_status = "claimed"
        body = outbox.readable(m.body, KEYS)
    earlier = gateway.send_sms(phone=MOBILE, kind="confirmation", body=body, reference=reference)
    later = NOW + outbox.CLAIM_LEASE
    assert outbox.send_pending(sessions, None, now=later, keys=KEYS, notify=notify) == 1
    assert len(fake.sent("sms")) == 1
    stored = message(sessions, mid)
    assert stored.notify_id == earlier and stored.sent_at is not None
    # A message Notify never got is sent after the look-up finds nothing.
    other = queue(
        sessions,
        add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE),
        "confirmation",
    )
    with transaction(sessions) as s:
        s.get(OutboxMessage, other).delivery_status = "claimed"  # type: ignore[union-attr]
    assert outbox.send_pending(sessions, None, now=later, keys=KEYS, notify=notify) == 1
    assert len(fake.sent("sms")) == 2


def test_a_disruption_sms_lists_the_new_windows(
    sessions: sessionmaker[Session], tenant: Tenant, fake: FakeNotify
) -> None:
    """A disruption's SMS names the first free windows offered to move the visit (live offers
    only) and the short link to choose one; the e-mail text lists up to three."""
    from scheduler.booking.models import Offer

    visit_id = add_visit(sessions, tenant, citizen_email=None, citizen_phone=MOBILE)
    with transaction(sessions) as s:
        for n, (day, start, expires) in enumerate(
            [
                (16, 7, NOW + dt.timedelta(minutes=10)),  # 09:00 local on Tuesday 16 June
                (17, 11, NOW + dt.timedelta(minutes=10)),  # 13:00 local on Wednesday 17 June
                (16, 5, NOW - dt.timedelta(minutes=1)),  # expired: not offered any more
            ]
        ):
            begin = dt.datetime(2026, 6, day, start, 0, tzinfo=dt.UTC)
            s.add(
                Offer(
                    id=f"offer{n}",
                    municipality_id=tenant.municipality_id,
                    service_type_id=tenant.service_id,
                    date=begin.date(),
                    window_start=begin,
                    window_end=begin + dt.timedelta(hours=2),
                    lat=52.09,
                    lon=5.12,
                    reschedule_of=visit_id,
                    created_at=NOW,
                    expires_at=expires,
                )
            )
    queue(sessions, visit_id, "disruption")
    assert outbox.send_pending(sessions, None, now=NOW, keys=KEYS, notify=routes(fake)) == 1
    text = fake.sent("sms")[0]["body"]
    assert "Vrij: dinsdag 16 juni, 09:00-11:00; woensdag 17 juni, 13:00-15:00." in text, text
    assert "07:00" not in text and re.search(r"/m/[A-Z2-9]{10}", text)
    with sessions() as s:
        visit = s.get(Visit, visit_id)
        assert visit is not None
        windows = outbox.free_windows(s, visit, ZoneInfo("Europe/Amsterdam"), "en", NOW)
    assert windows == ("Tuesday 16 June 2026, 09:00-11:00", "Wednesday 17 June 2026, 13:00-15:00")

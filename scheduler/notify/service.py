"""The outbox: messages to citizens are stored in the transaction that causes them, sent later.

* :func:`enqueue` renders a message (text and invite) and adds it to the caller's transaction; it
  only flushes. A booking that rolls back therefore never sends anything, and a committed booking
  never loses its message.
* :func:`send_pending` runs after commit (a worker loop or a CLI command). It *claims* a batch in a
  short transaction by moving the messages' ``send_after`` a lease ahead (on PostgreSQL with
  ``SELECT … FOR UPDATE SKIP LOCKED``, so workers never wait for or double-claim each other; on
  SQLite every writer is serialised by ``BEGIN IMMEDIATE``), then talks SMTP *outside* any
  transaction, so a slow mail server never holds the SQLite write lock that bookings need. Each
  result is recorded in its own short transaction. Delivery is at least once: a worker that dies
  between the SMTP hand-over and the record resends after the lease; the stable Message-ID lets
  mail clients drop that duplicate.
* A citizen without an e-mail address still gets a message, with no recipient and
  :data:`~scheduler.notify.templates.PHONE_PREFIX` before the subject: it is a task for a planner,
  who phones and then marks it handled. A message that could not be delivered after
  :data:`MAX_ATTEMPTS` (or that the mail server refused for good) joins the same list. Nothing is
  dropped silently.

Logs name message ids, attempt counts and error classes only: never an address, name or text.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from scheduler import clock
from scheduler.booking.live import COMING, expected_instants
from scheduler.booking.models import ACTIVE_STATUSES, Offer, Visit, VisitEvent, VisitStatus
from scheduler.calendar import render_invite
from scheduler.capacity.models import Expert
from scheduler.catalog.models import ServiceType
from scheduler.db import transaction
from scheduler.errors import NotFound
from scheduler.notify import shortlinks
from scheduler.notify.channels import (
    MessageChannel,
    choose_channel,
    recipient_address,
    render_sms,
)
from scheduler.notify.letters import compose_letter, letter_json, letter_of_json, letter_pdf
from scheduler.notify.mailer import Mailer, build_email
from scheduler.notify.models import OutboxMessage
from scheduler.notify.notifynl import NotifyFailed, NotifyRoutes
from scheduler.notify.recipients import is_reachable_live, recipient_of
from scheduler.notify.templates import (
    KINDS,
    PHONE_PREFIX,
    Kind,
    Language,
    MessageFacts,
    format_address,
    format_date,
    format_house_number,
    format_postcode,
    format_time,
    normalise_language,
    preparation,
    render_message,
    service_name,
)
from scheduler.security import KeyRing, hash_token, is_sealed, new_token
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.notify")

#: After this many failed attempts a message is no longer retried; a planner phones instead.
MAX_ATTEMPTS = 10
#: How long a claimed message is reserved for the worker that claimed it. It must exceed a batch's
#: worst case (``batch`` × the mailer's timeout: 50 × 20 s), or a slow batch could be claimed twice.
CLAIM_LEASE = dt.timedelta(minutes=30)
#: The first retry waits this long; each further one twice as long, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = dt.timedelta(minutes=2)
MAX_BACKOFF = dt.timedelta(hours=4)
#: Reminders go out at this local time the day before the visit (not at night).
REMINDER_TIME = dt.time(10, 0)

#: What a new message of a kind makes obsolete among the visit's unsent messages.
_SUPERSEDES: dict[Kind, tuple[Kind, ...]] = {
    "confirmation": (),
    "reminder": (),
    "reschedule": ("confirmation", "reschedule", "reminder", "disruption"),
    "disruption": ("confirmation", "reschedule", "reminder", "disruption"),
    "cancellation": KINDS,
    "waiting_list_offer": ("waiting_list_offer",),
    # A new link makes the links of unsent messages dead: those messages are withdrawn.
    "manage_link": ("manage_link", "waiting_list_offer"),
    # Nobody was home: the visit is over, so its unsent reminder is pointless.
    "not_home": ("reminder", "not_home"),
    "on_the_way": (),
    "late": ("late",),
}
#: Kinds whose point is a link: without the manage token at hand, a fresh one is issued.
_NEED_LINK: tuple[Kind, ...] = ("disruption", "waiting_list_offer", "manage_link")
#: The kinds that carry the calendar invite (REQUEST, or CANCEL for a cancellation).
_WITH_INVITE: tuple[Kind, ...] = ("confirmation", "reschedule", "cancellation")
#: Kinds only worth sending while the expert is still to come, and the statuses that means.
_WHILE_COMING: tuple[str, ...] = ("reminder", "on_the_way", "late")
#: First key of the advisory lock that serialises reminder queueing per municipality.
_REMINDER_LOCK = 0x41480001
_EMAIL = re.compile(r"[^\s<>@,;:]+@[^\s<>@,;:]+")


def manage_link(base_url: str, municipality: Municipality, visit: Visit, token: str | None) -> str:
    """The citizen's link to view, reschedule or cancel ``visit``: ``/afspraak/{reference}``.

    References are unique across municipalities, so the path needs no municipality. The page
    opens only with the manage token (``?token=…``), which exists in plain text only right after
    booking (it is stored hashed).
    """
    del municipality  # part of the signature so callers need not know the layout
    url = f"{base_url.rstrip('/')}/afspraak/{quote(visit.reference)}"
    return f"{url}?token={quote(token)}" if token else url


def manage_url_of(base_url: str, visit: Visit, token: str) -> str:
    """:func:`manage_link` without the municipality (the path needs none)."""
    return f"{base_url.rstrip('/')}/afspraak/{quote(visit.reference)}?token={quote(token)}"


def earlier_link(base_url: str, visit: Visit, token: str) -> str:
    """The page with earlier windows for a visit on the waiting list (``/afspraak/…/eerder``)."""
    return f"{base_url.rstrip('/')}/afspraak/{quote(visit.reference)}/eerder?token={quote(token)}"


def letter_address(visit: Visit, name: str | None) -> tuple[str, ...]:
    """The address block of a letter: name, street and number, postcode and place."""
    number = format_house_number(visit.house_number, visit.addition)
    street = " ".join(p for p in (visit.street or "", number) if p)
    place = "  ".join(p for p in (format_postcode(visit.postcode), (visit.city or "").upper()) if p)
    return tuple(p for p in (name or "", street, place) if p)


def expected_band(visit: Visit, tz: ZoneInfo, language: Language) -> tuple[str, str] | None:
    """The expected arrival band as wall-clock times, or None while there is no estimate."""
    low, high = expected_instants(visit)
    if low is None or high is None:
        return None
    return format_time(low, tz, language), format_time(high, tz, language)


#: Free windows a disruption message lists at most.
NEW_WINDOWS = 3


def free_windows(
    session: Session, visit: Visit, tz: ZoneInfo, language: Language, now: dt.datetime
) -> tuple[str, ...]:
    """The first windows offered to move ``visit`` (a disruption's alternatives), in words."""
    offers = session.scalars(
        select(Offer)
        .where(Offer.reschedule_of == visit.id, Offer.expires_at > now)
        .order_by(Offer.window_start, Offer.id)
        .limit(NEW_WINDOWS)
    ).all()
    return tuple(
        f"{format_date(clock.local_date(o.window_start, tz), language)}, "
        f"{format_time(o.window_start, tz, language)}-{format_time(o.window_end, tz, language)}"
        for o in offers
    )


def booking_link(base_url: str, municipality: Municipality) -> str:
    """Where a citizen books a new visit with ``municipality``: ``/{slug}/``."""
    return f"{base_url.rstrip('/')}/{municipality.slug}/"


def enqueue(
    session: Session,
    *,
    visit: Visit,
    kind: Kind,
    language: str,
    base_url: str,
    manage_token: str | None = None,
    now: dt.datetime | None = None,
    keys: KeyRing | None = None,
    suggestions: Sequence[str] = (),
) -> OutboxMessage:
    """Add the message of ``kind`` about ``visit`` to the caller's transaction (flush, no commit).

    Call it after the change is applied to ``visit`` (a reschedule or cancel has bumped
    ``ical_sequence``). Confirmations and reschedules carry a REQUEST invite, cancellations a
    CANCEL; reminders and disruptions carry none (the calendar already holds the visit, and a
    disruption keeps the old time until the citizen picks a new one). The visit's unsent messages
    that the new one makes obsolete are withdrawn, so a stale time is never sent after a new one.
    The message goes to the visit's recipient (:func:`~scheduler.notify.recipients.recipient_of`:
    the contact person who booked for the citizen, or the citizen); without an e-mail address it
    becomes a phone task for a planner.

    The manage link needs ``manage_token`` (known in plain text only where it was just issued).
    Without it, messages point to the link in the confirmation e-mail instead of printing a link
    that would not open (``suggestions``: free windows in words, which a "not home" message
    proposes), except the kinds whose whole point is a link (a disruption, a
    waiting-list offer, a link asked for with the look-up): these issue a fresh token for the
    visit (the old link stops working; the citizen uses the newest message). A body and invite
    that carry the link are stored encrypted with ``keys`` (:func:`readable` opens them), so no
    manage token waits in plain text.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    lang = normalise_language(language)
    now = now or clock.now()
    municipality = session.get(Municipality, visit.municipality_id)
    service = session.get(ServiceType, visit.service_type_id)
    if municipality is None or service is None:
        raise ValueError("the visit's municipality or service type does not exist")
    to = recipient_of(visit)
    channel = choose_channel(
        to, kind=kind, wants_post=visit.wants_post, has_address=bool(visit.street and visit.city)
    )
    if kind in _NEED_LINK and manage_token is None:
        manage_token = new_token()
        visit.manage_token_hash = hash_token(manage_token)
    manage_url = manage_link(base_url, municipality, visit, manage_token) if manage_token else None
    if kind == "waiting_list_offer" and manage_token:
        manage_url = earlier_link(base_url, visit, manage_token)
    short: str | None = None
    if manage_token and keys is not None and keys.short_links and channel in ("sms", "letter"):
        code = shortlinks.issue(session, visit=visit, manage_token=manage_token, keys=keys, now=now)
        short = shortlinks.short_url(base_url, code)
        if kind == "waiting_list_offer":
            short += "/eerder"
    with_invite = channel == "email" and kind in _WITH_INVITE
    tz = clock.zone(municipality.timezone)
    expected = expected_band(visit, tz, lang) if kind in ("on_the_way", "late") else None
    expert = session.get(Expert, visit.expert_id) if visit.expert_id is not None else None
    facts = MessageFacts(
        reference=visit.reference,
        service=service_name(service, lang),
        date=format_date(clock.local_date(visit.window_start, tz), lang),
        window_start=format_time(visit.window_start, tz, lang),
        window_end=format_time(visit.window_end, tz, lang),
        duration_minutes=visit.duration_minutes,
        address=format_address(visit),
        preparation=preparation(service, lang),
        manage_url=manage_url,
        book_url=booking_link(base_url, municipality),
        municipality=municipality.name,
        municipality_phone=municipality.phone,
        municipality_email=municipality.email,
        municipality_website=municipality.website,
        citizen_name=to.name,
        invite_attached=with_invite,
        on_behalf_of=to.on_behalf_of,
        suggestions=tuple(suggestions),
        short_url=short,
        expert_name=expert.name.split()[0] if expert and expert.name.strip() else None,
        expected_from=expected[0] if expected else None,
        expected_until=expected[1] if expected else None,
        new_windows=free_windows(session, visit, tz, lang, now) if kind == "disruption" else (),
    )
    subject, body = render_message(kind, facts, lang)
    if channel == "sms":
        body = render_sms(kind, facts, lang)
    elif channel == "letter":
        letter = compose_letter(
            kind,
            facts,
            letter_address(visit, to.name),
            lang,
            date_line=f"{municipality.name}, {format_date(clock.local_date(now, tz), lang)}",
        )
        body = letter_json(letter)

    ics: str | None = None
    method: Literal["REQUEST", "CANCEL"] | None = None
    if with_invite:
        method = "CANCEL" if kind == "cancellation" else "REQUEST"
        ics = render_invite(
            visit,
            municipality,
            service,
            manage_url=manage_url,
            language=lang,
            method=method,
            now=now,
        ).decode()
    if channel == "call":
        subject = PHONE_PREFIX + subject
    if (manage_url or short or channel == "letter") and keys is not None:
        body = keys.tokens.seal(body.encode(), OUTBOX_CONTEXT)
        ics = keys.tokens.seal(ics.encode(), OUTBOX_CONTEXT) if ics else None

    obsolete = _SUPERSEDES[kind]
    if obsolete:
        session.flush()  # sessions do not autoflush; the DELETE must see earlier messages
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.visit_id == visit.id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.kind.in_(obsolete),
            )
        )
    message = OutboxMessage(
        municipality_id=municipality.id,
        visit_id=visit.id,
        kind=kind,
        channel=channel,
        recipient=recipient_address(to, channel),
        subject=subject[:300],
        body=body,
        ics=ics,
        ics_method=method,
        created_at=now,
        send_after=now,
        attempts=0,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class _Outgoing:
    """What a worker needs to send one claimed message, read inside the claim transaction."""

    id: int
    created_at: dt.datetime
    kind: str
    channel: str
    recipient: str | None
    subject: str
    body: str
    ics: str | None
    ics_method: str | None
    municipality_slug: str
    municipality_name: str
    municipality_email: str
    #: An earlier claim of this message through Notify ended without a record (a worker died):
    #: Notify may have it already, so it is looked up by reference before sending again.
    resumed: bool = False

    @property
    def notify_reference(self) -> str:
        """Our reference at Notify: stable across retries of the same message."""
        return f"aanhuis-{self.id}-{self.created_at:%Y%m%d%H%M%S}"


#: What sealed outbox texts are bound to (they open nowhere else).
OUTBOX_CONTEXT = b"outbox-message"


def readable(text: str, keys: KeyRing | None) -> str:
    """A message text as written: opened when it was stored encrypted (``ValueError`` when it
    cannot be opened: no keys, or another secret)."""
    if not is_sealed(text):
        return text
    if keys is None:
        raise ValueError("this message is encrypted; the application secret is needed")
    return keys.tokens.open(text, OUTBOX_CONTEXT).decode()


def sendable_channels(mailer: Mailer | None, notify: NotifyRoutes | None) -> tuple[str, ...]:
    """The channels a sender with ``mailer`` and ``notify`` can carry (never "call")."""
    channels: list[MessageChannel] = []
    if mailer is not None or notify:
        channels.append("email")
    if notify:
        channels += ["sms", "letter"]
    return tuple(channels)


def send_pending(
    session_factory: sessionmaker[Session],
    mailer: Mailer | None,
    *,
    now: dt.datetime,
    batch: int = 50,
    keys: KeyRing | None = None,
    notify: NotifyRoutes | None = None,
) -> int:
    """Send up to ``batch`` due messages; returns how many were handed over.

    E-mail goes over SMTP when ``mailer`` is given, else through Notify; SMS and letters go
    through the municipality's Notify service (``notify``). Without a sender for its channel, a
    message stays in the outbox (planners see it). Safe to run in several workers at once: each
    message is claimed by exactly one of them. Failures are recorded on the message (attempts,
    error without personal data, a later ``send_after`` with exponential backoff; Notify's 429
    and 5xx are retried like an SMTP failure) and never stop the rest of the batch. A message is
    marked sent only once Notify gave it an id, and never sent again after that.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    channels = sendable_channels(mailer, notify)
    if not channels:
        return 0
    with transaction(session_factory) as session:
        claimed = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.channel.in_(channels),
                    or_(OutboxMessage.recipient.is_not(None), OutboxMessage.channel == "letter"),
                    OutboxMessage.attempts < MAX_ATTEMPTS,
                    OutboxMessage.send_after <= now,
                )
                .order_by(OutboxMessage.send_after, OutboxMessage.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        towns = {
            m.id: m
            for m in session.scalars(
                select(Municipality).where(
                    Municipality.id.in_({c.municipality_id for c in claimed})
                )
            )
        }
        statuses: dict[int, VisitStatus] = {
            row.id: row.status
            for row in session.execute(
                select(Visit.id, Visit.status).where(
                    Visit.id.in_({c.visit_id for c in claimed if c.visit_id is not None})
                )
            )
        }
        outgoing = []
        for message in claimed:
            status = statuses.get(message.visit_id) if message.visit_id is not None else None
            if message.kind in _WHILE_COMING and status not in COMING:
                # A reminder or "on the way" for a visit cancelled or finished meanwhile.
                session.delete(message)
                continue
            message.send_after = now + CLAIM_LEASE
            via_notify = message.channel != "email" or mailer is None
            resumed = via_notify and message.delivery_status == _CLAIMED
            if via_notify:
                message.delivery_status = _CLAIMED
            town = towns[message.municipality_id]
            outgoing.append(
                _Outgoing(
                    id=message.id,
                    created_at=message.created_at,
                    kind=message.kind,
                    channel=message.channel,
                    recipient=message.recipient,
                    subject=message.subject,
                    body=message.body,
                    ics=message.ics,
                    ics_method=message.ics_method,
                    municipality_slug=town.slug,
                    municipality_name=town.name,
                    municipality_email=town.email,
                    resumed=resumed,
                )
            )

    sent = 0
    for item in outgoing:
        notify_id: str | None = None
        gateway = notify.gateway(item.municipality_slug) if notify else None
        try:
            if item.channel == "email" and mailer is not None:
                mailer.send(_email_of(item, mailer.sender, keys))
            elif gateway is None or not gateway.can_send(item.channel):
                # This municipality has no Notify service (for this channel): it waits.
                _release(session_factory, item.id, now)
                continue
            elif item.resumed and (found := gateway.find(item.notify_reference)) is not None:
                notify_id = found  # sent before the last worker could record it: not again
            elif item.channel == "email":
                assert item.recipient is not None
                notify_id = gateway.send_email(
                    email=item.recipient,
                    kind=item.kind,
                    subject=item.subject,
                    body=readable(item.body, keys),
                    reference=item.notify_reference,
                )
            elif item.channel == "sms":
                assert item.recipient is not None
                notify_id = gateway.send_sms(
                    phone=item.recipient,
                    kind=item.kind,
                    body=readable(item.body, keys),
                    reference=item.notify_reference,
                )
            else:
                pdf = letter_pdf(letter_of_json(readable(item.body, keys)))
                notify_id = gateway.send_letter(pdf=pdf, reference=item.notify_reference)
        except Exception as exc:  # any failure is recorded on the message and retried
            _record_failure(session_factory, item.id, exc, now)
            continue
        with transaction(session_factory) as session:
            done = session.get(OutboxMessage, item.id)
            if done is not None:  # withdrawn meanwhile (superseded or erased)
                done.sent_at = now
                if notify_id is not None:
                    done.notify_id = notify_id
                    done.delivery_status = "created"
                    done.delivery_updated_at = now
        log.info("outbox message %d sent (%s)", item.id, item.channel)
        sent += 1
    return sent


#: The delivery status of a message claimed for Notify and not yet recorded as sent.
_CLAIMED = "claimed"


def _release(session_factory: sessionmaker[Session], message_id: int, now: dt.datetime) -> None:
    with transaction(session_factory) as session:
        message = session.get(OutboxMessage, message_id)
        if message is not None:
            message.send_after = now + FIRST_BACKOFF
            if message.delivery_status == _CLAIMED:
                message.delivery_status = None


def _email_of(item: _Outgoing, sender: str, keys: KeyRing | None) -> EmailMessage:
    domain = sender.rpartition("@")[2]
    method: Literal["REQUEST", "CANCEL"] | None = None
    if item.ics_method == "REQUEST":
        method = "REQUEST"
    elif item.ics_method == "CANCEL":
        method = "CANCEL"
    return build_email(
        sender=sender,
        sender_name=item.municipality_name,
        reply_to=item.municipality_email,
        recipient=item.recipient or "",
        subject=item.subject,
        body=readable(item.body, keys),
        # Stable across retries, so a message sent twice (a worker died after sending) is shown
        # once by mail clients that deduplicate on Message-ID. The creation time keeps it unique
        # where the database reuses the id of a withdrawn message (SQLite).
        message_id=f"<outbox.{item.id}.{item.created_at:%Y%m%d%H%M%S%f}@{domain}>",
        ics=readable(item.ics, keys) if method and item.ics else None,
        ics_method=method,
    )


def _record_failure(
    session_factory: sessionmaker[Session], message_id: int, exc: Exception, now: dt.datetime
) -> None:
    with transaction(session_factory) as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return
        message.attempts += 1
        refused = isinstance(exc, NotifyFailed) and 400 <= exc.status < 500
        if message.delivery_status == _CLAIMED and refused:
            # Notify refused it, so it has nothing: a retry need not look it up first. After a
            # timeout or a 5xx it may have it, so the mark stays and the retry looks first.
            message.delivery_status = None
        if _is_permanent(exc):
            # The server refused the address for good: retrying cannot help, a phone call can.
            message.attempts = max(message.attempts, MAX_ATTEMPTS)
        message.last_error = _describe(exc)
        message.send_after = now + backoff(message.attempts)
        attempts = message.attempts
    log.warning(
        "outbox message %d not sent (attempt %d): %s", message_id, attempts, type(exc).__name__
    )


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before the next attempt, after ``attempts`` failed ones."""
    delay: dt.timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(delay, MAX_BACKOFF)


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, NotifyFailed):
        return exc.permanent
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _describe(exc: Exception) -> str:
    """The error as stored on the message: class and SMTP code, with any address blanked out."""
    name = type(exc).__name__
    if isinstance(exc, NotifyFailed):
        return f"{name} {exc.status}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        text = f"{name} {','.join(map(str, codes))}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error
        raw = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
        text = f"{name} {exc.smtp_code} {raw}"
    else:
        text = f"{name}: {exc}"
    return _EMAIL.sub("<address>", text)[:300]


#: Messages that can wait (reminders) go out between these local times, never at night.
CIVIL_FROM, CIVIL_UNTIL = dt.time(8, 0), dt.time(21, 0)


def civil_hour(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``instant``, or the next 08:00 local when it falls between 21:00 and 08:00."""
    local = instant.astimezone(tz)
    if local.time() < CIVIL_FROM:
        return clock.at_local(local.date(), CIVIL_FROM, tz)
    if local.time() >= CIVIL_UNTIL:
        return clock.at_local(local.date() + dt.timedelta(days=1), CIVIL_FROM, tz)
    return instant


def queue_reminders(
    session: Session,
    *,
    municipality: Municipality,
    day: dt.date,
    base_url: str,
    now: dt.datetime | None = None,
) -> int:
    """Queue a reminder for every active visit on ``day`` reached by e-mail or SMS, once.

    Idempotent: running it twice (or on two workers) for the same day queues each reminder once;
    a visit moved to ``day`` after an earlier reminder gets a new one. The reminder is sent at
    :data:`REMINDER_TIME` the day before, or at once when that has passed, in the language the
    citizen booked in. Flushes only.
    """
    now = now or clock.now()
    session.flush()  # sessions do not autoflush; the query must see the caller's changes
    if session.get_bind().dialect.name == "postgresql":
        # Two workers queueing the same municipality's reminders would both see "none yet";
        # this lock (held until commit) makes the second wait and then see the first's rows.
        # SQLite needs nothing: its writers are serialised by BEGIN IMMEDIATE.
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :municipality)"),
            {"namespace": _REMINDER_LOCK, "municipality": municipality.id},
        )
    tz = clock.zone(municipality.timezone)
    day_before = day - dt.timedelta(days=1)
    # A reminder for this date is due from the day before; one queued for an earlier date of a
    # visit that was moved since was due before that (a pending one was withdrawn by the move).
    reminded = exists().where(
        OutboxMessage.visit_id == Visit.id,
        OutboxMessage.kind == "reminder",
        OutboxMessage.send_after >= clock.local_midnight(day_before, tz),
    )
    visits = session.scalars(
        select(Visit)
        .where(
            Visit.municipality_id == municipality.id,
            Visit.date == day,
            Visit.status.in_(ACTIVE_STATUSES),
            is_reachable_live(),
            ~reminded,
        )
        .order_by(Visit.id)
    ).all()
    send_after = civil_hour(max(clock.at_local(day_before, REMINDER_TIME, tz), now), tz)
    for visit in visits:
        message = enqueue(
            session,
            visit=visit,
            kind="reminder",
            language=visit.language,
            base_url=base_url,
            now=now,
        )
        message.send_after = send_after
    session.flush()
    return len(visits)


#: Kinds whose permanent delivery failure puts the citizen on the call list: without them the
#: citizen does not know the time, or does not know it changed.
CALL_ON_FAILURE: tuple[Kind, ...] = ("confirmation", "disruption", "reschedule")
#: Notify's final delivery statuses, and the ones it sends that are still underway.
DELIVERY_STATUSES = (
    "created",
    "sending",
    "pending",
    "sent",
    "delivered",
    "permanent-failure",
    "temporary-failure",
    "technical-failure",
    "accepted",
    "received",
    "cancelled",
    "validation-failed",
    "virus-scan-failed",
    "pending-virus-check",
)
_FAILED_FOR_GOOD = ("permanent-failure", "validation-failed", "virus-scan-failed")


def phone_tasks(
    session: Session,
    *,
    municipality: Municipality,
    sendable: Collection[str] = ("email", "sms", "letter"),
) -> list[OutboxMessage]:
    """The call list: messages a planner must phone about. Oldest first.

    * no channel reaches the recipient (no mobile number or e-mail, nor a letter for the kind);
    * undeliverable after :data:`MAX_ATTEMPTS` (or refused for good by the mail server);
    * Notify reported a permanent failure of a confirmation, change or disruption;
    * its channel cannot be sent here (not in ``sendable``: no SMTP for e-mail, no Notify service
      for SMS and letters), so it would wait for ever: as before Notify, a planner phones.
    A planner's "handled" takes a message off the list.
    """
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.municipality_id == municipality.id,
                OutboxMessage.handled_at.is_(None),
                or_(
                    and_(
                        OutboxMessage.sent_at.is_(None),
                        or_(
                            OutboxMessage.channel == "call",
                            OutboxMessage.channel.not_in(tuple(sendable)),
                            OutboxMessage.attempts >= MAX_ATTEMPTS,
                        ),
                    ),
                    and_(
                        OutboxMessage.delivery_status.in_(_FAILED_FOR_GOOD),
                        OutboxMessage.kind.in_(CALL_ON_FAILURE),
                    ),
                ),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )


def call_reason(
    message: OutboxMessage,
) -> Literal["no_channel", "undeliverable", "delivery_failed"]:
    """Why a message is on the call list (see :func:`phone_tasks`)."""
    if message.delivery_status in _FAILED_FOR_GOOD:
        return "delivery_failed"
    if message.attempts >= MAX_ATTEMPTS:
        return "undeliverable"
    return "no_channel"


def display_text(message: OutboxMessage, keys: KeyRing | None) -> str:
    """The message's text as a planner reads it out (a letter's paragraphs, not its JSON);
    ``ValueError`` when it cannot be opened."""
    text = readable(message.body, keys)
    if message.channel != "letter":
        return text
    letter = letter_of_json(text)
    return "\n\n".join((letter.subject, *letter.paragraphs))


#: Not-home visits stay on the call list this long (a planner calls to make a new appointment).
NOT_HOME_DAYS = 7


def not_home_calls(
    session: Session, *, municipality: Municipality, now: dt.datetime
) -> list[Visit]:
    """Visits of the last :data:`NOT_HOME_DAYS` days where nobody was home and nobody has
    called since (a ``called`` event in the visit's history). Oldest first."""
    called = exists().where(VisitEvent.visit_id == Visit.id, VisitEvent.status == "called")
    return list(
        session.scalars(
            select(Visit)
            .where(
                Visit.municipality_id == municipality.id,
                Visit.status == VisitStatus.NOT_HOME,
                Visit.window_end >= now - dt.timedelta(days=NOT_HOME_DAYS),
                Visit.erased_at.is_(None),
                ~called,
            )
            .order_by(Visit.window_start, Visit.id)
        )
    )


def mark_called(
    session: Session, *, municipality: Municipality, visit_id: int, actor: str, now: dt.datetime
) -> Visit:
    """Record that a planner called about a not-home visit; it leaves the call list. Flushes."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.municipality_id != municipality.id:
        raise NotFound("visit not found", nl="Bezoek niet gevonden")
    session.add(VisitEvent(visit_id=visit.id, status="called", at=now, actor=actor))
    session.flush()
    return visit


def record_delivery(
    session: Session, *, notify_id: str, status: str, now: dt.datetime
) -> OutboxMessage:
    """Store Notify's delivery status of a message (a callback); flushes only.

    Raises :class:`NotFound` for a notification that is not ours and ``ValueError`` for a status
    Notify does not send. A status never goes back from final to underway (callbacks may arrive
    out of order)."""
    if status not in DELIVERY_STATUSES:
        raise ValueError(f"unknown delivery status {status!r}")
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.notify_id == notify_id))
    if message is None:
        raise NotFound("notification not found", nl="Bericht niet gevonden")
    final = ("delivered", *_FAILED_FOR_GOOD, "temporary-failure", "technical-failure")
    if message.delivery_status in final and status not in final:
        return message
    message.delivery_status = status
    message.delivery_updated_at = now
    session.flush()
    if status in _FAILED_FOR_GOOD:
        log.warning("outbox message %d: delivery failed for good (%s)", message.id, status)
    return message


def mark_handled(
    session: Session, *, municipality: Municipality, message_id: int, now: dt.datetime
) -> OutboxMessage:
    """Record that a planner passed the message on (by phone); it leaves the task list."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.municipality_id != municipality.id:
        raise NotFound("message not found", nl="Bericht niet gevonden")
    if message.sent_at is None:
        message.sent_at = now
    if message.handled_at is None:
        message.handled_at = now
    session.flush()
    return message


def desk_letter(session: Session, *, visit: Visit, keys: KeyRing | None, now: dt.datetime) -> bytes:
    """The visit's letter as a PDF for the desk to print.

    The newest letter queued for the visit when there is one (it holds the short link, which is
    kept only hashed otherwise); else a fresh confirmation (or cancellation) letter, which names
    the municipality's phone number and the reference instead of a link."""
    stored = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.visit_id == visit.id, OutboxMessage.channel == "letter")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if stored is not None:
        try:
            return letter_pdf(letter_of_json(readable(stored.body, keys)))
        except ValueError:
            pass  # written under another secret: draw a fresh one
    municipality = session.get(Municipality, visit.municipality_id)
    service = session.get(ServiceType, visit.service_type_id)
    if municipality is None or service is None:
        raise NotFound("visit not found", nl="Bezoek niet gevonden")
    lang = normalise_language(visit.language)
    tz = clock.zone(municipality.timezone)
    to = recipient_of(visit)
    facts = MessageFacts(
        reference=visit.reference,
        service=service_name(service, lang),
        date=format_date(clock.local_date(visit.window_start, tz), lang),
        window_start=format_time(visit.window_start, tz, lang),
        window_end=format_time(visit.window_end, tz, lang),
        duration_minutes=visit.duration_minutes,
        address=format_address(visit),
        preparation=preparation(service, lang),
        manage_url=None,
        book_url="",
        municipality=municipality.name,
        municipality_phone=municipality.phone,
        municipality_email=municipality.email,
        municipality_website=municipality.website,
        citizen_name=to.name,
        on_behalf_of=to.on_behalf_of,
    )
    kind: Kind = "cancellation" if visit.status == VisitStatus.CANCELLED else "confirmation"
    letter = compose_letter(
        kind,
        facts,
        letter_address(visit, to.name),
        lang,
        date_line=f"{municipality.name}, {format_date(clock.local_date(now, tz), lang)}",
    )
    return letter_pdf(letter)

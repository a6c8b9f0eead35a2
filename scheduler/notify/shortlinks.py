"""Short manage links: ``/m/{code}``, short enough for an SMS and to read out over the phone.

The code is 10 characters from :data:`~scheduler.security.REFERENCE_ALPHABET` (32 letters and
digits without 0/O and 1/I), so 50 random bits: guessing one among even a million live links
takes about a billion tries, and the look-up limit allows a handful per hour. Only an HMAC of
the code (keyed with the ``short-link`` key derived from ``AANHUIS_SECRET_KEY``) is stored; the
manage token it leads to is sealed with the token key and bound to that hash. A link lives as
long as the booking's personal data (its window's end plus the service's retention period).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scheduler.booking.models import Visit
from scheduler.catalog.models import ServiceType
from scheduler.notify.models import ShortLink
from scheduler.security import REFERENCE_ALPHABET, KeyRing

CODE_LENGTH = 10
#: Bits of randomness in a code: log2(32) × 10.
CODE_BITS = 5 * CODE_LENGTH


def new_code() -> str:
    """A fresh random code: ``K7M3QXD9RB``."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """The code as stored from what a person typed (any case, spaces or dashes), else None."""
    code = raw.replace("-", "").replace(" ", "").upper()
    if len(code) != CODE_LENGTH or any(c not in REFERENCE_ALPHABET for c in code):
        return None
    return code


def code_hash(key: bytes, code: str) -> str:
    """The keyed hash under which a code is stored."""
    if not key:
        raise ValueError("a short-link key is needed")
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def short_url(base_url: str, code: str) -> str:
    """``https://…/m/K7M3QXD9RB``."""
    return f"{base_url.rstrip('/')}/m/{code}"


def issue(
    session: Session, *, visit: Visit, manage_token: str, keys: KeyRing, now: dt.datetime
) -> str:
    """A new short link to the visit's manage page (with ``manage_token``); flushes only.

    A visit keeps one live short link: issuing a new one removes the older ones (their manage
    token was replaced anyway when a new one was issued)."""
    service = session.get(ServiceType, visit.service_type_id)
    retention = dt.timedelta(days=service.retention_days if service else 365)
    session.execute(delete(ShortLink).where(ShortLink.visit_id == visit.id))
    code = new_code()
    digest = code_hash(keys.short_links, code)
    session.add(
        ShortLink(
            code_hash=digest,
            visit_id=visit.id,
            sealed_token=keys.tokens.seal(manage_token.encode(), digest.encode()),
            created_at=now,
            expires_at=max(visit.window_end, now) + retention,
        )
    )
    session.flush()
    return code


def resolve(
    session: Session, *, code: str, keys: KeyRing, now: dt.datetime
) -> tuple[Visit, str] | None:
    """The visit and manage token a code leads to, or None (unknown, expired, or not ours)."""
    normal = normalise_code(code)
    if normal is None:
        return None
    digest = code_hash(keys.short_links, normal)
    link = session.scalar(select(ShortLink).where(ShortLink.code_hash == digest))
    if link is None or link.expires_at <= now:
        return None
    visit = session.get(Visit, link.visit_id)
    if visit is None or visit.erased_at is not None:
        return None
    try:
        token = keys.tokens.open(link.sealed_token, digest.encode()).decode()
    except ValueError:
        return None
    return visit, token

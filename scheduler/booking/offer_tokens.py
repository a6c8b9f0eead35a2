"""Stateless offers: an offer's content sealed into its id, so an anonymous search stores nothing.

The id of an offer made for an anonymous client is its content (service, window, place, the
expert it was computed for, expiry) as compact JSON, encrypted and authenticated with AES-GCM under
a key derived from the application secret (:data:`scheduler.security.OFFER_SIGNING`). Encrypted,
not just signed: the id travels in page URLs and forms, and it holds the address. Nobody can make
or alter one without the secret; booking opens it, checks the expiry and re-checks the window
under lock, as for a stored offer. A booked offer's digest is kept until the offer expires
(:class:`scheduler.booking.models.SpentOffer`), so one offer books one visit.

Offers that must be listed later (alternatives held for a visit after a disruption) stay rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from scheduler.booking.models import Offer
from scheduler.security import Sealer

#: Sealed offer ids are bound to this context (a sealed token of another kind never opens here).
CONTEXT = b"offer/v1"
#: The fields, in order, of the sealed JSON array.
_FIELDS = (
    "municipality_id",
    "service_type_id",
    "date",
    "window_start",
    "window_end",
    "lat",
    "lon",
    "postcode",
    "house_number",
    "addition",
    "street",
    "city",
    "expert_id",
    "extra_travel_seconds",
    "reschedule_of",
    "created_at",
    "expires_at",
)


def is_sealed_id(offer_id: str) -> bool:
    return offer_id.startswith(Sealer.PREFIX)


def seal(sealer: Sealer, offer: Offer) -> str:
    """The id of ``offer``: its content, sealed."""
    values = [getattr(offer, name) for name in _FIELDS]
    packed = [_pack(v) for v in values]
    payload = json.dumps(packed, separators=(",", ":"), ensure_ascii=False).encode()
    return sealer.seal(payload, CONTEXT)


def open_offer(sealer: Sealer, offer_id: str) -> Offer | None:
    """The offer sealed in ``offer_id`` (not in any session), or None when it is not one of ours."""
    try:
        values = json.loads(sealer.open(offer_id, CONTEXT))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(_FIELDS):
        return None
    fields = dict(zip(_FIELDS, values, strict=True))
    try:
        for name in ("window_start", "window_end", "created_at", "expires_at"):
            fields[name] = dt.datetime.fromtimestamp(int(fields[name]), dt.UTC)
        fields["date"] = dt.date.fromordinal(int(fields["date"]))
    except (TypeError, ValueError, OverflowError):
        return None
    return Offer(id=offer_id, **fields)


def digest(offer_id: str) -> str:
    """What is kept of a booked sealed offer (so it cannot book twice)."""
    return hashlib.sha256(offer_id.encode()).hexdigest()


def _pack(value: object) -> object:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return value.toordinal()
    return value

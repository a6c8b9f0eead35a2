"""API shapes of offers, bookings and personal data, and the problem document they can answer with.

Times go out as ISO 8601 with the municipality's offset (``2026-12-01T09:00:00+01:00``): the
``of`` constructors convert the stored UTC instants. Requests are strict (unknown fields are
refused) and every free text is bounded and free of control characters, so nothing a client sends
can reach the database in a shape it would refuse.

Citizen details are checked twice: the schema bounds lengths (cheap, documented in OpenAPI), and
:meth:`CitizenIn.to_citizen` checks formats with messages in Dutch and English (a citizen reads
them), normalising phone numbers to E.164 (``+31612345678``) and e-mail domains to lower case.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from scheduler.booking import needs as need_catalogue
from scheduler.booking.live import live_of
from scheduler.booking.models import Offer, Relation, Visit, VisitStatus
from scheduler.booking.service import Citizen, Contact
from scheduler.bounds import Day
from scheduler.catalog.models import ServiceType
from scheduler.errors import InvalidInput

#: One line of text: no control characters at all.
_LINE = r"^[^\x00-\x1f\x7f]*$"
#: Free text (notes): line breaks and tabs allowed, other control characters not.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Line = Annotated[str, StringConstraints(pattern=_LINE)]
NOTES_MAX = 1000
#: Offer ids are 32 hex digits (a stored offer, ``scheduler.security.new_id``) or a sealed offer
#: (``scheduler.booking.offer_tokens``: ``v1.`` and URL-safe base64).
OFFER_ID = r"^(?:[0-9a-f]{32}|v1\.[A-Za-z0-9_\-]{40,1500})$"
#: Booking references look like ``AH-7K3M-9QXD`` (compared case-insensitively).
REFERENCE = re.compile(r"^AH-[A-Z0-9]{4}-[A-Z0-9]{4}$", re.IGNORECASE)
#: What a person may type for a reference: letters and digits, with any dashes, dots and spaces.
_REFERENCE_TYPED = re.compile(r"^(?:AH)?([A-Z0-9]{8})$")


def normalise_reference(raw: str) -> str | None:
    """``AH-7K2M-9QXC`` from the ways people type or read out a reference, or None.

    Accepts any case, with or without dashes, dots and spaces, and without the ``AH`` prefix:
    ``ah 7k2m 9qxc``, ``AH7K2M9QXC``, ``7k2m-9qxc``.
    """
    compact = re.sub(r"[\s\-./_]", "", raw).upper()
    found = _REFERENCE_TYPED.fullmatch(compact)
    if found is None:
        return None
    chars = found.group(1)
    return f"AH-{chars[:4]}-{chars[4:]}"


PartOfDay = Literal["morning", "afternoon", "evening"]
Language = Literal["nl", "en"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------
# Requests


class AddressIn(_Strict):
    """A Dutch address: postcode and house number, with an optional addition (``A``, ``bis``)."""

    postcode: Annotated[str, StringConstraints(max_length=8, pattern=_LINE)] = Field(
        examples=["3511 AB"]
    )
    house_number: int = Field(ge=1, le=99999, examples=[12])
    addition: Annotated[str, StringConstraints(max_length=10, pattern=_LINE)] | None = None


class LocationIn(_Strict):
    """Coordinates (WGS84), for an address the register does not know."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class NeedIn(_Strict):
    """A need: its code and, where the need asks for one, a language code or a short text."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_LINE)] = Field(
        examples=["interpreter"]
    )
    detail: (
        Annotated[str, StringConstraints(max_length=need_catalogue.DETAIL_MAX, pattern=_LINE)]
        | None
    ) = Field(default=None, examples=["ar"])


def clean_needs(needs: list[NeedIn]) -> list[dict[str, Any]]:
    """The needs as the booking stores them, or :class:`InvalidInput`."""
    return need_catalogue.clean_needs((n.code, n.detail) for n in needs)


class OfferRequest(_Strict):
    """Ask for arrival windows for a service at an address (or a location)."""

    service: (
        Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_LINE)] | None
    ) = Field(
        default=None,
        description="The service's code (see `GET /municipalities/{slug}/services`). "
        "Required, except for a reschedule (then it is the booked visit's service).",
        examples=["wmo-intake"],
    )
    address: AddressIn | None = None
    location: LocationIn | None = None
    earliest: Day | None = Field(default=None, description="First date to offer.")
    latest: Day | None = Field(default=None, description="Last date to offer.")
    limit: int = Field(default=12, ge=1, le=50, description="At most this many windows.")
    reschedule_of: Annotated[str, StringConstraints(max_length=20, pattern=_LINE)] | None = Field(
        default=None,
        description="The reference of a booking to move. Send that booking's manage token as "
        "`Authorization: Bearer`. The visit's own place is left out of the day, so a window "
        "that overlaps its current one can be offered, but never the current window itself; "
        "the address defaults to the visit's, and the visit keeps its needs.",
    )
    needs: list[NeedIn] = Field(
        default_factory=list,
        max_length=len(need_catalogue.NEEDS),
        description="The needs the booking will state (see `GET /municipalities/{slug}/needs`): "
        "a need the service ties to a skill (an interpreter's language) limits the windows to "
        "experts who have it. Not for a reschedule (the visit keeps its own).",
    )


def normalise_phone(raw: str, *, field: str = "citizen.phone") -> str:
    """A phone number in E.164 (``+31612345678``), from the ways Dutch people write them.

    Accepts ``06-12345678``, ``020 123 4567``, ``+31 6 12345678``, ``+31 (0)6 12345678``,
    ``0031 6 12345678`` and international numbers starting with ``+`` or ``00``.
    """
    compact = re.sub(r"[\s\-./]", "", raw.replace("(0)", ""))
    compact = re.sub(r"[()]", "", compact)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+31"):
        national = compact[3:]
        if re.fullmatch(r"[1-9][0-9]{8}", national):
            return "+31" + national
    elif compact.startswith("+"):
        if re.fullmatch(r"\+[1-9][0-9]{6,13}", compact):
            return compact
    elif re.fullmatch(r"0[1-9][0-9]{8}", compact):
        return "+31" + compact[1:]
    raise InvalidInput(
        "This is not a phone number we can call. Write it like 06 12345678 or +31 6 12345678.",
        nl="Dit telefoonnummer klopt niet. Schrijf het zoals 06 12345678 of +31 6 12345678.",
        field=field,
    )


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalise_email(raw: str, *, field: str = "citizen.email") -> str:
    """The e-mail address with its domain in lower case; refuses what cannot be an address."""
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value) or ".." in value:
        raise InvalidInput(
            "This is not an e-mail address we can write to. Write it like name@example.nl.",
            nl="Dit e-mailadres klopt niet. Schrijf het zoals naam@voorbeeld.nl.",
            field=field,
        )
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


class CitizenIn(_Strict):
    """Who is visited, and how to reach them: a name, and a phone number or an e-mail address
    (optional when a ``contact`` makes the booking for them: the contact is reached instead)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_LINE)]
    phone: Annotated[str, StringConstraints(max_length=40, pattern=_LINE)] | None = Field(
        default=None, examples=["06 12345678"]
    )
    email: Annotated[str, StringConstraints(max_length=254, pattern=_LINE)] | None = Field(
        default=None, examples=["naam@voorbeeld.nl"]
    )
    by_post: bool = Field(
        default=False,
        description="Send the confirmation, changes and cancellation by post (a letter).",
    )

    def to_citizen(self, *, reach_needed: bool = True) -> Citizen:
        """The checked and normalised citizen, or :class:`InvalidInput` saying what to fix."""
        name = " ".join(self.name.split())
        if not name:
            raise InvalidInput(
                "Please fill in your name.", nl="Vul uw naam in.", field="citizen.name"
            )
        phone = self.phone.strip() if self.phone else ""
        email = self.email.strip() if self.email else ""
        if reach_needed and not phone and not email:
            raise InvalidInput(
                "Give a phone number or an e-mail address, so we can reach you.",
                nl="Geef een telefoonnummer of een e-mailadres op, zodat we u kunnen bereiken.",
                field="citizen",
            )
        return Citizen(
            name=name,
            phone=normalise_phone(phone) if phone else None,
            email=normalise_email(email) if email else None,
            wants_post=self.by_post,
        )


RelationName = Literal["partner", "child", "carer", "professional", "other"]


class ContactIn(_Strict):
    """The person who makes the booking for the citizen (a daughter, a carer, a social worker):
    messages about the visit go to them, naming the citizen. A phone number or an e-mail."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_LINE)]
    phone: Annotated[str, StringConstraints(max_length=40, pattern=_LINE)] | None = Field(
        default=None, examples=["06 87654321"]
    )
    email: Annotated[str, StringConstraints(max_length=254, pattern=_LINE)] | None = Field(
        default=None, examples=["dochter@voorbeeld.nl"]
    )
    relation: RelationName = Field(
        description="partner, child, carer (mantelzorger), professional or other."
    )

    def to_contact(self) -> Contact:
        """The checked and normalised contact, or :class:`InvalidInput` saying what to fix."""
        name = " ".join(self.name.split())
        if not name:
            raise InvalidInput(
                "Please fill in the contact person's name.",
                nl="Vul de naam van de contactpersoon in.",
                field="contact.name",
            )
        phone = self.phone.strip() if self.phone else ""
        email = self.email.strip() if self.email else ""
        if not phone and not email:
            raise InvalidInput(
                "Give the contact person's phone number or e-mail address.",
                nl="Geef het telefoonnummer of e-mailadres van de contactpersoon op.",
                field="contact",
            )
        return Contact(
            name=name,
            phone=normalise_phone(phone, field="contact.phone") if phone else None,
            email=normalise_email(email, field="contact.email") if email else None,
            relation=Relation(self.relation),
        )


class BookingRequest(_Strict):
    """Book the window of an offer."""

    offer_id: str = Field(pattern=OFFER_ID)
    citizen: CitizenIn = Field(description="The person visited, at the offer's address.")
    contact: ContactIn | None = Field(
        default=None,
        description="Who makes the booking for the citizen, when that is someone else: every "
        "message about the visit goes to the contact, naming the citizen.",
    )
    needs: list[NeedIn] = Field(
        default_factory=list,
        max_length=len(need_catalogue.NEEDS),
        description="What the expert should know or bring (see "
        "`GET /municipalities/{slug}/needs`); shown on the expert's route card and the planner's "
        "day. A need the service ties to a skill (an interpreter's language) is kept by "
        "booking and by every re-plan; ask for offers with the same needs.",
    )
    notes: Annotated[str, StringConstraints(max_length=NOTES_MAX, pattern=_TEXT)] | None = Field(
        default=None, description="Something the expert should know (at most 1000 signs)."
    )
    language: Language | None = Field(
        default=None,
        description="Language of the messages and the invite; by default the request's "
        "Accept-Language (Dutch unless English is asked for).",
    )

    def clean_notes(self) -> str | None:
        notes = (self.notes or "").strip()
        return notes or None

    def parties(self) -> tuple[Citizen, Contact | None]:
        """The citizen visited and the contact person (if any), checked and normalised."""
        contact = self.contact.to_contact() if self.contact is not None else None
        return self.citizen.to_citizen(reach_needed=contact is None), contact


class RescheduleRequest(_Strict):
    """Move a booking to the window of an offer (ask for offers with ``reschedule_of``)."""

    offer_id: str = Field(pattern=OFFER_ID)


# --------------------------------------------------------------------------------------------
# Responses


class ServiceBrief(BaseModel):
    code: str
    name: str
    duration_minutes: int
    window_minutes: int

    @classmethod
    def of(cls, s: ServiceType, *, dutch: bool) -> ServiceBrief:
        return cls(
            code=s.code,
            name=(s.name_nl if dutch else s.name_en) or s.name_nl,
            duration_minutes=s.duration_minutes,
            window_minutes=s.window_minutes,
        )


class AddressRead(BaseModel):
    """Where the visit is; the address fields are null for a location or after erasure."""

    postcode: str | None
    house_number: int | None
    addition: str | None
    street: str | None
    city: str | None
    lat: float
    lon: float

    @classmethod
    def of(cls, p: Offer | Visit) -> AddressRead:
        return cls(
            postcode=p.postcode,
            house_number=p.house_number,
            addition=p.addition,
            street=p.street,
            city=p.city,
            lat=p.lat,
            lon=p.lon,
        )


class OfferRead(BaseModel):
    """An arrival window that can be booked until ``expires_at`` (it reserves nothing)."""

    id: str
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    part_of_day: PartOfDay
    expires_at: dt.datetime

    @classmethod
    def of(cls, o: Offer, tz: ZoneInfo) -> OfferRead:
        start = o.window_start.astimezone(tz)
        part: PartOfDay = (
            "morning" if start.hour < 12 else "afternoon" if start.hour < 17 else "evening"
        )
        return cls(
            id=o.id,
            date=o.date,
            window_start=start,
            window_end=o.window_end.astimezone(tz),
            part_of_day=part,
            expires_at=o.expires_at.astimezone(tz),
        )


class OffersResponse(BaseModel):
    """Windows to choose from (chronological), for this service at this address."""

    offers: list[OfferRead]
    service: ServiceBrief
    address: AddressRead
    reschedule_of: str | None = None


class CitizenRead(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class ContactRead(BaseModel):
    """The person who booked for the citizen and receives the messages."""

    name: str | None
    phone: str | None
    email: str | None
    relation: str | None

    @classmethod
    def of(cls, v: Visit) -> ContactRead | None:
        if v.contact_name is None and v.contact_relation is None:
            return None
        return cls(
            name=v.contact_name,
            phone=v.contact_phone,
            email=v.contact_email,
            relation=v.contact_relation.value if v.contact_relation else None,
        )


class NeedRead(BaseModel):
    code: str
    detail: str | None


class NeedOption(BaseModel):
    code: str
    label_nl: str
    label_en: str


class NeedInfo(BaseModel):
    """A need a booking can state; ``detail`` says what to give with it."""

    code: str
    label_nl: str
    label_en: str
    detail: Literal["none", "language", "text"]
    options: list[NeedOption] | None = Field(
        default=None, description="For `language`: the languages that can be asked for."
    )

    @classmethod
    def all(cls) -> list[NeedInfo]:
        languages = [
            NeedOption(code=code, label_nl=nl, label_en=en)
            for code, (nl, en) in need_catalogue.LANGUAGES.items()
        ]
        return [
            cls(
                code=n.code,
                label_nl=n.label_nl,
                label_en=n.label_en,
                detail=n.detail,
                options=languages if n.detail == "language" else None,
            )
            for n in need_catalogue.NEEDS
        ]


class LookupRequest(_Strict):
    """Ask for a fresh manage link: the booking's reference and the visit's address."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_LINE)] = (
        Field(
            description="As on the confirmation, in any case, with or without dashes and "
            "spaces: `AH-7K2M-9QXC`, `ah 7k2m 9qxc`.",
            examples=["AH-7K2M-9QXC"],
        )
    )
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=8, pattern=_LINE)] = Field(
        examples=["3511 AB"]
    )
    house_number: int = Field(ge=1, le=99999, examples=[12])


class LookupAccepted(BaseModel):
    """Always the same answer: whether a booking matched is never told."""

    detail: str


class LiveRead(BaseModel):
    """The live status of a visit (:func:`scheduler.booking.live.live_of`)."""

    status: str
    expected_from: dt.datetime | None
    expected_until: dt.datetime | None

    @classmethod
    def of(cls, v: Visit, tz: ZoneInfo) -> LiveRead:
        live = live_of(v)
        return cls(
            status=live.status,
            expected_from=live.expected_from.astimezone(tz) if live.expected_from else None,
            expected_until=live.expected_until.astimezone(tz) if live.expected_until else None,
        )


class BookingRead(BaseModel):
    """A booking as its citizen sees it.

    ``manage_token`` is only returned when a booking is made (and, for a day, to a retry with the
    same Idempotency-Key); it is stored hashed, so keep it: it opens ``manage_url`` and
    authorises the manage endpoints (``Authorization: Bearer``).
    """

    reference: str
    status: VisitStatus
    service: ServiceBrief
    date: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    address: AddressRead
    citizen: CitizenRead
    contact: ContactRead | None
    needs: list[NeedRead]
    notes: str | None
    language: Language
    manage_token: str | None
    manage_url: str
    invite_url: str
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None
    #: Where the expert is: the status and, while on the way or running late, when they come.
    live: LiveRead | None = None

    @classmethod
    def of(
        cls,
        v: Visit,
        service: ServiceType,
        tz: ZoneInfo,
        *,
        manage_token: str | None,
        manage_url: str,
        invite_url: str,
    ) -> BookingRead:
        return cls(
            reference=v.reference,
            status=v.status,
            service=ServiceBrief.of(service, dutch=v.language != "en"),
            date=v.date,
            window_start=v.window_start.astimezone(tz),
            window_end=v.window_end.astimezone(tz),
            address=AddressRead.of(v),
            citizen=CitizenRead(name=v.citizen_name, phone=v.citizen_phone, email=v.citizen_email),
            contact=ContactRead.of(v),
            needs=[NeedRead(code=n["code"], detail=n.get("detail")) for n in v.needs or []],
            notes=v.notes,
            language="en" if v.language == "en" else "nl",
            manage_token=manage_token,
            manage_url=manage_url,
            invite_url=invite_url,
            created_at=v.created_at.astimezone(tz),
            updated_at=v.updated_at.astimezone(tz),
            cancelled_at=v.cancelled_at.astimezone(tz) if v.cancelled_at else None,
            live=LiveRead.of(v, tz),
        )


class HistoryItem(BaseModel):
    status: str
    at: dt.datetime
    by: str


class MessageItem(BaseModel):
    kind: str
    to: str | None
    subject: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


class PersonalData(BaseModel):
    """Everything stored about the citizen of a booking and the contact person who made it
    (the right of access, GDPR art. 15)."""

    reference: str
    service: dict[str, str]
    status: str
    channel: str
    window_start: dt.datetime
    window_end: dt.datetime
    citizen: CitizenRead
    contact: ContactRead | None
    needs: list[NeedRead]
    address: AddressRead
    notes: str | None
    language: str
    created_at: dt.datetime
    erased_at: dt.datetime | None
    history: list[HistoryItem]
    messages: list[MessageItem]
    retention_days: int

    @classmethod
    def of(cls, data: dict[str, Any], tz: ZoneInfo) -> PersonalData:
        """From :func:`scheduler.booking.service.export_personal_data`, times in ``tz``."""

        def local(value: dt.datetime | None) -> dt.datetime | None:
            return value.astimezone(tz) if value is not None else None

        out = dict(data)
        for key in ("window_start", "window_end", "created_at", "erased_at"):
            out[key] = local(data[key])
        out["history"] = [{**h, "at": local(h["at"])} for h in data["history"]]
        out["messages"] = [
            {**m, "created_at": local(m["created_at"]), "sent_at": local(m["sent_at"])}
            for m in data["messages"]
        ]
        return cls.model_validate(out)

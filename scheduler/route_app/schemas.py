"""The shapes of the expert's route app (the API's ``/me/route`` and the pages read them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from scheduler.booking.models import VisitStatus

Language = Literal["nl", "en"]


class Point(BaseModel):
    lat: float
    lon: float


class Navigation(BaseModel):
    """Links that open the phone's own navigation; the server never calls a map service."""

    geo: str = Field(description="RFC 5870 geo URI: Android and most apps offer to navigate.")
    openstreetmap: str = Field(description="Directions on openstreetmap.org from the stop before.")
    google_maps: str = Field(description="Directions in Google Maps from where the phone is.")


class AddressRead(BaseModel):
    street: str | None
    house_number: str
    postcode: str
    city: str | None
    line: str = Field(description="One line, as on an envelope: 'Oudegracht 12A, 3511 AB Utrecht'.")


class ServiceRef(BaseModel):
    code: str
    name: str
    duration_minutes: int


class Window(BaseModel):
    start: dt.datetime
    end: dt.datetime


class Actuals(BaseModel):
    """When the expert said what (from the visit's status history)."""

    on_the_way: dt.datetime | None = None
    arrived: dt.datetime | None = None
    finished: dt.datetime | None = None


class Citizen(BaseModel):
    """Whom to ask for at the door, and whom to call when running late."""

    name: str | None
    phone: str | None


class ContactPerson(BaseModel):
    """Who booked for the citizen (a daughter, a carer): call them about the visit."""

    name: str | None
    phone: str | None
    relation: str | None = Field(description="partner, child, carer, professional or other.")


class NeedRead(BaseModel):
    code: str
    detail: str | None
    text: str = Field(description="In words, in the asked language: 'Tolk: Arabisch'.")


class VisitStop(BaseModel):
    kind: Literal["visit"] = "visit"
    number: int = Field(description="1 for the day's first visit, 2 for the second, …")
    visit_id: int
    reference: str
    status: VisitStatus
    service: ServiceRef
    window: Window = Field(description="The promised arrival window.")
    planned_arrival: dt.datetime | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    travel_seconds: int = Field(description="The leg from the previous place to this visit.")
    at_risk: bool = Field(description="The forecast arrival lies after the promised window.")
    address: AddressRead
    location: Point
    notes: str | None
    citizen: Citizen
    contact: ContactPerson | None = Field(description="Set when someone booked for the citizen.")
    needs: list[NeedRead] = Field(description="What the citizen asked the expert to know.")
    shown: list[str] = Field(
        default_factory=list,
        description="The citizen's data shown here: address always; name, phone, contact, needs "
        "and notes from the working day before the visit to the day after it, unless the citizen "
        "withheld their phone number or notes.",
    )
    navigation: Navigation
    actual: Actuals
    next_statuses: list[VisitStatus] = Field(
        description="The statuses the expert can set now (empty for another day's visit)."
    )


class BreakStop(BaseModel):
    kind: Literal["break"] = "break"
    break_id: int
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    minutes: int


Stop = Annotated[VisitStop | BreakStop, Field(discriminator="kind")]


class ExpertRef(BaseModel):
    id: int
    name: str
    travel_mode: str


class Shift(BaseModel):
    start: dt.datetime
    end: dt.datetime


class RouteStart(BaseModel):
    label: str
    location: Point
    departure: dt.datetime | None


class RouteEnd(BaseModel):
    label: str
    location: Point
    arrival: dt.datetime | None
    travel_seconds: int = Field(description="The leg from the last stop to the end.")


class RouteRead(BaseModel):
    """One expert's day: stops in order with planned (re-timed) times, legs and flags."""

    date: dt.date
    timezone: str
    expert: ExpertRef
    shift: Shift | None = Field(description="None when the expert does not work that day.")
    version: int = Field(description="Goes up whenever this day's route is written.")
    final: bool = Field(
        default=False,
        description="The day's plan is frozen: this is the route as planned (the app shows "
        "'definitief'); only a disruption changes it now.",
    )
    changed_at: dt.datetime | None = Field(
        default=None, description="When a re-plan last changed this route (a disruption)"
    )
    freezes_at: dt.datetime | None = Field(
        default=None,
        description="When the day's plan freezes (the municipality's freeze time, local): until "
        "then the route is a draft that planning may still change.",
    )
    start: RouteStart
    stops: list[Stop]
    end: RouteEnd
    travel_seconds: int
    visits: int
    at_risk: list[int] = Field(description="Ids of the visits whose promise is at risk.")
    ends_after_shift: bool


class FeedLink(BaseModel):
    """The expert's secret calendar feed address (no sign-in needed: the secret is the key)."""

    active: bool
    url: str | None = Field(
        description="Shown when it is issued: only a hash is stored, so it cannot be shown again."
    )
    webcal_url: str | None = Field(description="The same address for calendar apps (webcal://).")

"""NotifyNL: delivery callbacks, the planner's call list, desk letters and short manage links.

* ``POST /api/v1/notify/callback``: Notify reports a message's delivery status, with the bearer
  token of ``AANHUIS_NOTIFY_CALLBACK_TOKEN``. A permanent failure of a confirmation, change or
  disruption puts the citizen on the call list.
* ``GET /api/v1/municipalities/{slug}/call-list``: whom a planner must phone, and why.
* ``GET …/desk/bookings/{reference}/letter.pdf``: the visit's letter for the desk to print.
* ``GET /m/{code}``: a short manage link (from an SMS or a letter) opens the manage page. It is
  under the look-up limit: a wrong code counts toward it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from api import audit
from api.deps import MunicipalityDep, SessionDep, SettingsDep, require_planner
from api.problems import problem_responses
from api.ratelimit import LookupsDep
from api.runtime import KeysDep, sendable_channels
from scheduler import clock
from scheduler.booking import service as booking
from scheduler.booking.models import Visit
from scheduler.booking.schemas import normalise_reference
from scheduler.errors import NotFound, Unauthenticated
from scheduler.notify import service as notify
from scheduler.notify import shortlinks
from scheduler.notify.recipients import recipient_of

router = APIRouter(tags=["notify"])

_bearer = HTTPBearer(auto_error=False, description="The callback token set in Notify.")


class NotifyCallback(BaseModel):
    """The body Notify posts for a delivery receipt (fields beyond these are ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    status: Literal[
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "sending",
        "sent",
        "pending",
        "created",
        "validation-failed",
        "virus-scan-failed",
        "pending-virus-check",
        "accepted",
        "received",
        "cancelled",
    ]
    reference: str | None = None
    notification_type: str | None = None
    completed_at: dt.datetime | None = None


class CallbackAck(BaseModel):
    id: str
    status: str
    on_call_list: bool


@router.post(
    "/api/v1/notify/callback",
    response_model=CallbackAck,
    responses=problem_responses(401, 404, 422),
)
def delivery_callback(
    body: NotifyCallback,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CallbackAck:
    """Notify's delivery receipt: store the status (401 without the callback token)."""
    expected = settings.notify_callback_token
    given = credentials.credentials if credentials is not None else ""
    if expected is None or not hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        raise Unauthenticated(
            "A callback needs the callback token.", nl="Een callback heeft het token nodig."
        )
    message = notify.record_delivery(
        session, notify_id=body.id, status=body.status, now=clock.now()
    )
    on_list = message.kind in notify.CALL_ON_FAILURE and body.status in (
        "permanent-failure",
        "validation-failed",
        "virus-scan-failed",
    )
    session.commit()
    return CallbackAck(id=body.id, status=body.status, on_call_list=on_list)


class CallItem(BaseModel):
    """A citizen a planner must phone: which message, why, and whom to call."""

    #: The message to pass on; None for a visit where nobody was home (reason ``not_home``).
    message_id: int | None
    kind: str
    channel: str
    reason: Literal["no_channel", "not_sent", "undeliverable", "delivery_failed", "not_home"]
    delivery_status: str | None
    reference: str | None
    name: str | None
    phone: str | None
    created_at: dt.datetime


#: What a call list shows of each citizen on it.
CALL_FIELDS = ("name", "phone")


@router.get(
    "/api/v1/municipalities/{slug}/call-list",
    response_model=list[CallItem],
    responses=problem_responses(401, 403, 404),
    dependencies=[Depends(require_planner)],
)
def call_list(
    municipality: MunicipalityDep, session: SessionDep, settings: SettingsDep
) -> list[CallItem]:
    """Whom to phone: no channel reaches them, undeliverable, delivery failed, or not home."""
    tz = clock.zone(municipality.timezone)
    out = []
    sendable = sendable_channels(settings, municipality.slug)
    for message in notify.phone_tasks(session, municipality=municipality, sendable=sendable):
        visit = session.get(Visit, message.visit_id) if message.visit_id is not None else None
        to = recipient_of(visit) if visit is not None else None
        if visit is not None:  # the access log: a call list shows name and phone (BIO, Logboek)
            audit.note("read", visit, CALL_FIELDS, "calls")
        out.append(
            CallItem(
                message_id=message.id,
                kind=message.kind,
                channel=message.channel,
                reason=notify.call_reason(message),
                delivery_status=message.delivery_status,
                reference=visit.reference if visit is not None else None,
                name=to.name if to else None,
                phone=to.phone if to else None,
                created_at=message.created_at.astimezone(tz),
            )
        )
    for visit in notify.not_home_calls(session, municipality=municipality, now=clock.now()):
        to = recipient_of(visit)
        audit.note("read", visit, CALL_FIELDS, "calls")
        out.append(
            CallItem(
                message_id=None,
                kind="not_home",
                channel="call",
                reason="not_home",
                delivery_status=None,
                reference=visit.reference,
                name=to.name,
                phone=to.phone,
                created_at=visit.updated_at.astimezone(tz),
            )
        )
    return out


@router.get(
    "/api/v1/municipalities/{slug}/desk/bookings/{reference}/letter.pdf",
    response_class=Response,
    responses={
        200: {"description": "The letter (A4 PDF).", "content": {"application/pdf": {}}},
        **problem_responses(401, 403, 404, 422),
    },
    dependencies=[Depends(require_planner)],
)
def desk_letter(
    reference: str, municipality: MunicipalityDep, session: SessionDep, keys: KeysDep
) -> Response:
    """The visit's letter, to print at the desk."""
    normal = normalise_reference(reference)
    if normal is None:
        raise NotFound("No such booking.", nl="Deze afspraak bestaat niet.")
    visit = booking.get_for_planner(session, municipality=municipality, reference=normal)
    pdf = notify.desk_letter(session, visit=visit, keys=keys, now=clock.now())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{visit.reference}.pdf"'},
    )


def _follow(
    code: str, session: SessionDep, keys: KeysDep, lookups: LookupsDep
) -> tuple[Visit, str]:
    lookups.check()
    found = shortlinks.resolve(session, code=code[:40], keys=keys, now=clock.now())
    if found is None:
        lookups.failed()
        raise NotFound("This link does not work (any more).", nl="Deze link werkt niet (meer).")
    return found


@router.get(
    "/m/{code}",
    response_class=RedirectResponse,
    status_code=303,
    responses=problem_responses(404, 429),
    include_in_schema=False,
)
def short_link(
    code: str, session: SessionDep, settings: SettingsDep, keys: KeysDep, lookups: LookupsDep
) -> RedirectResponse:
    """A short manage link: on to the manage page."""
    visit, token = _follow(code, session, keys, lookups)
    return RedirectResponse(notify.manage_url_of(settings.base_url, visit, token), status_code=303)


@router.get(
    "/m/{code}/eerder",
    response_class=RedirectResponse,
    status_code=303,
    responses=problem_responses(404, 429),
    include_in_schema=False,
)
def short_link_earlier(
    code: str, session: SessionDep, settings: SettingsDep, keys: KeysDep, lookups: LookupsDep
) -> RedirectResponse:
    """A short link of a waiting-list offer: on to the earlier windows."""
    visit, token = _follow(code, session, keys, lookups)
    return RedirectResponse(notify.earlier_link(settings.base_url, visit, token), status_code=303)

"""Who a message about a visit goes to: the one rule every message, invite and reminder follows.

When someone booked on the citizen's behalf (a daughter, a carer), every message goes to that
contact person and names the citizen visited; otherwise it goes to the citizen. How it travels
(e-mail, or a phone call by the desk when there is no e-mail address) follows from the
recipient's details alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_

from scheduler.booking.models import Visit


@dataclass(frozen=True)
class Recipient:
    name: str | None
    phone: str | None
    email: str | None
    #: The person visited, when the message goes to a contact person on their behalf.
    on_behalf_of: str | None = None


def recipient_of(visit: Visit) -> Recipient:
    """The contact person when the booking names one, else the citizen."""
    if visit.contact_name is not None:
        return Recipient(
            name=visit.contact_name,
            phone=visit.contact_phone,
            email=visit.contact_email,
            on_behalf_of=visit.citizen_name,
        )
    return Recipient(name=visit.citizen_name, phone=visit.citizen_phone, email=visit.citizen_email)


def has_email() -> ColumnElement[bool]:
    """SQL: the visit's recipient (as :func:`recipient_of` picks it) has an e-mail address."""
    return or_(
        and_(Visit.contact_name.is_not(None), Visit.contact_email.is_not(None)),
        and_(Visit.contact_name.is_(None), Visit.citizen_email.is_not(None)),
    )


def is_reachable_live() -> ColumnElement[bool]:
    """SQL: a message to the visit's recipient goes by e-mail or SMS (not by post, not a call):
    the channels that may carry reminders and "on the way" (see ``scheduler.notify.channels``)."""
    mobile = "+316%"
    return and_(
        Visit.wants_post.is_(False),
        or_(
            has_email(),
            and_(Visit.contact_name.is_not(None), Visit.contact_phone.like(mobile)),
            and_(Visit.contact_name.is_(None), Visit.citizen_phone.like(mobile)),
        ),
    )

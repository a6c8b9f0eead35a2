"""What the citizen sees of the access log, and the choices they make."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from scheduler.audit.service import REASONS, ROLES, SeenBy
from scheduler.booking.models import Visit


class AccessEntry(BaseModel):
    """Someone looked at or changed the booking: their role (and the visiting expert's first
    name), when, what, and why in plain words. Never more of a staff member's identity."""

    at: dt.datetime
    role: str = Field(description="planner, expert, admin, citizen (you), system or operator.")
    who: str = Field(description="The role in words; the visiting expert's first name added.")
    action: str = Field(description="read, create, update, cancel, export, erase or decide.")
    fields: list[str]
    reason: str
    why: str = Field(description="The processing activity in plain words.")

    @classmethod
    def of(cls, seen: SeenBy, tz: ZoneInfo, dutch: bool) -> AccessEntry:
        role_words = ROLES.get(seen.role, (seen.role, seen.role))[0 if dutch else 1]
        who = f"{role_words} ({seen.expert_first_name})" if seen.expert_first_name else role_words
        return cls(
            at=seen.at.astimezone(tz),
            role=seen.role,
            who=who,
            action=seen.action,
            fields=list(seen.fields),
            reason=seen.reason,
            why=REASONS.get(seen.reason, (seen.reason, seen.reason))[0 if dutch else 1],
        )


class AccessLogRead(BaseModel):
    reference: str
    entries: list[AccessEntry] = Field(description="Newest first.")


class ChoicesRead(BaseModel):
    """What the citizen decided about their booking."""

    share_phone: bool = Field(description="The expert may see the phone number before the visit.")
    share_notes: bool = Field(description="The expert may read the notes before the visit.")
    same_expert_followups: bool = Field(description="Follow-up visits go to the same expert.")
    other_expert_requested: bool = Field(
        description="The citizen asked for another expert: that expert never comes."
    )

    @classmethod
    def of(cls, visit: Visit) -> ChoicesRead:
        return cls(
            share_phone=visit.share_phone,
            share_notes=visit.share_notes,
            same_expert_followups=visit.same_expert_followups,
            other_expert_requested=bool(visit.excluded_expert_ids),
        )


class ChoicesChange(BaseModel):
    """Change one or more choices; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    share_phone: bool | None = None
    share_notes: bool | None = None
    same_expert_followups: bool | None = None


class OtherExpertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: Literal[True] = Field(
        description="true: the current expert will not come to this booking again."
    )

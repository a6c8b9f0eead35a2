"""The access log and the processing log: write a request's records in one batch, seal the hash
chain, verify it, purge old records behind a signed checkpoint, export, and show a citizen who
looked at their booking.

Keys are passed in (derived from ``AANHUIS_SECRET_KEY`` by ``api/``): the chain's hashes are
HMACs, so someone who can write to the database but does not hold the secret cannot rewrite the
chain after changing a record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from scheduler.accounts.models import User
from scheduler.audit.models import AuditCheckpoint, AuditRecord, ProcessingRecord
from scheduler.booking.models import Visit
from scheduler.capacity.models import Expert

#: The hash before the first record.
GENESIS = "0" * 64

#: Why staff touch a citizen's data (the processing activities), in plain words for the citizen.
REASONS: dict[str, tuple[str, str]] = {
    "desk": ("U helpen aan de balie of aan de telefoon", "Helping you at the desk or on the phone"),
    "planning": ("Het bezoek inplannen", "Planning the visit"),
    "visit": ("Het bezoek voorbereiden en afleggen", "Preparing and making the visit"),
    "calls": ("U bellen over een wijziging", "Calling you about a change"),
    "citizen": ("Uw eigen keuze of verzoek", "Your own choice or request"),
    "retention": (
        "De bewaartermijn was voorbij: uw gegevens zijn gewist",
        "The retention period ended: your data was erased",
    ),
}

ROLES: dict[str, tuple[str, str]] = {
    "planner": ("Planner", "Planner"),
    "expert": ("Medewerker die op bezoek komt", "The expert who visits"),
    "admin": ("Beheerder", "Administrator"),
    "citizen": ("U zelf", "You"),
    "system": ("Het systeem", "The system"),
    "operator": ("Technisch beheer", "Operations"),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (id and role), the citizen or the system; from where."""

    user_id: int | None
    role: str
    origin: str


@dataclass(frozen=True)
class Access:
    """One read or write of one data subject's (one visit's) personal data."""

    action: str
    reference: str
    fields: tuple[str, ...]
    reason: str
    municipality_id: int | None = None
    #: The service's code: the processing activity is configured per service type.
    service_code: str | None = None


@dataclass
class Trail:
    """What one request (or CLI command) did to personal data, written in one batch at its end."""

    trace_id: str
    #: The request's own span: every record's span is a child of it.
    span_id: str
    origin: str
    started: dt.datetime
    actor: Actor | None = None
    accesses: list[Access] = field(default_factory=list)

    @classmethod
    def new(cls, *, origin: str, now: dt.datetime, trace_id: str | None = None) -> Trail:
        return cls(
            trace_id=trace_id or secrets.token_hex(16),
            span_id=secrets.token_hex(8),
            origin=origin,
            started=now,
        )

    def act_as(self, user_id: int | None, role: str) -> None:
        self.actor = Actor(user_id, role, self.origin)

    def note(
        self,
        action: str,
        reference: str,
        municipality_id: int | None,
        fields: Sequence[str],
        reason: str,
        service_code: str | None = None,
    ) -> None:
        """Record that ``fields`` of the visit ``reference`` were read or written for ``reason``."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        self.accesses.append(
            Access(
                action,
                reference,
                tuple(sorted(set(fields))),
                reason,
                municipality_id,
                service_code,
            )
        )


@dataclass(frozen=True)
class Keys:
    """The access log's keys, each derived from the application secret for its own purpose."""

    chain: bytes
    checkpoint: bytes
    pseudonym: bytes


def pseudonym(key: bytes, reference: str) -> str:
    """The data subject's id in the processing log: a keyed hash of the visit, not reversible."""
    return hmac.new(key, f"visit:{reference}".encode(), hashlib.sha256).hexdigest()


def write(
    session: Session,
    trail: Trail,
    *,
    now: dt.datetime,
    failed: bool,
    keys: Keys,
    activity: Callable[[Access], str],
) -> int:
    """Insert the trail's audit and processing records (two bulk inserts; the caller commits).

    Unsealed: :func:`seal` chains them. Returns how many audit records were written.
    """
    if not trail.accesses:
        return 0
    actor = trail.actor or Actor(None, "system", trail.origin)
    audit_rows: list[dict[str, Any]] = []
    processing_rows: list[dict[str, Any]] = []
    for access in trail.accesses:
        span = secrets.token_hex(8)
        audit_rows.append(
            {
                "at": now,
                "action": access.action,
                "reference": access.reference,
                "municipality_id": access.municipality_id,
                "fields": ",".join(access.fields)[:200],
                "result": "failed" if failed else "ok",
                "actor_user_id": actor.user_id,
                "actor_role": actor.role,
                "origin": actor.origin[:64],
                "reason": access.reason,
                "trace_id": trail.trace_id,
                "span_id": span,
            }
        )
        processing_rows.append(
            {
                "trace_id": trail.trace_id,
                "span_id": span,
                "parent_span_id": trail.span_id,
                "name": f"{access.action} {access.reason}"[:80],
                "status": "ERROR" if failed else "OK",
                "start_at": trail.started,
                "end_at": now,
                "processing_activity_id": activity(access)[:300],
                "data_subject_id": pseudonym(keys.pseudonym, access.reference),
                "data_subject_id_type": "aanhuis:visit-reference",
            }
        )
    session.execute(insert(AuditRecord), audit_rows)
    session.execute(insert(ProcessingRecord), processing_rows)
    return len(audit_rows)


# -- the chain ------------------------------------------------------------------------------------


def _at(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(key: bytes, r: AuditRecord | Any, seq: int, prev: str) -> str:
    """The record's hash: an HMAC over its content, its position and the previous hash."""
    body = json.dumps(
        [
            seq,
            prev,
            _at(r.at),
            r.action,
            r.reference,
            r.municipality_id,
            r.fields,
            r.result,
            r.actor_user_id,
            r.actor_role,
            r.origin,
            r.reason,
            r.trace_id,
            r.span_id,
        ],
        separators=(",", ":"),
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _lock_chain(session: Session) -> None:
    """One sealer at a time (SQLite serialises writers anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))


def _head(session: Session) -> tuple[int, str]:
    """The last sealed position and hash (a checkpoint's when everything was purged)."""
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash)
        .where(AuditRecord.seq.is_not(None))
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    ).first()
    if last is not None:
        return int(last[0] or 0), str(last[1])
    cp = _checkpoint(session)
    return (cp.seq, cp.hash) if cp is not None else (0, GENESIS)


def _checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    ).first()


def seal(session: Session, keys: Keys, *, batch: int = 5000) -> int:
    """Chain every unsealed record, in id order, and commit. Returns how many were sealed."""
    total = 0
    while True:
        _lock_chain(session)
        seq, prev = _head(session)
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.seq.is_(None))
            .order_by(AuditRecord.id)
            .limit(batch)
        ).all()
        if not rows:
            session.commit()
            return total
        params = []
        for r in rows:
            seq += 1
            digest = record_hash(keys.chain, r, seq, prev)
            params.append({"b_id": r.id, "seq": seq, "prev_hash": prev, "hash": digest})
            prev = digest
        session.expunge_all()
        session.connection().execute(
            update(AuditRecord.__table__)  # type: ignore[arg-type]
            .where(AuditRecord.__table__.c.id == text(":b_id"))
            .values(seq=text(":seq"), prev_hash=text(":prev_hash"), hash=text(":hash")),
            params,
        )
        session.commit()
        total += len(rows)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: intact, or the first broken record and why."""

    checked: int
    broken_id: int | None = None
    broken_seq: int | None = None
    why: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None and self.why is None


def checkpoint_signature(key: bytes, seq: int, digest: str, purged: int) -> str:
    return hmac.new(key, f"{seq}:{digest}:{purged}".encode(), hashlib.sha256).hexdigest()


def verify(session: Session, keys: Keys) -> Verdict:
    """Seal what waits, then check every record from the newest checkpoint (or the start) on."""
    seal(session, keys)
    cp = _checkpoint(session)
    expected_seq, prev = 1, GENESIS
    if cp is not None:
        if not hmac.compare_digest(
            cp.signature, checkpoint_signature(keys.checkpoint, cp.seq, cp.hash, cp.purged)
        ):
            return Verdict(0, why=f"checkpoint {cp.id} is not signed with this key")
        expected_seq, prev = cp.seq + 1, cp.hash
    checked = 0
    rows = session.execute(
        select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=2000)
    ).scalars()
    for r in rows:
        assert r.seq is not None
        if r.seq != expected_seq:
            return Verdict(
                checked, r.id, r.seq, f"expected position {expected_seq}: records are missing"
            )
        if r.prev_hash != prev:
            return Verdict(checked, r.id, r.seq, "its link to the previous record does not match")
        if not hmac.compare_digest(r.hash or "", record_hash(keys.chain, r, r.seq, prev)):
            return Verdict(checked, r.id, r.seq, "its content does not match its hash")
        prev = r.hash or ""
        expected_seq += 1
        checked += 1
    return Verdict(checked)


def purge(session: Session, keys: Keys, *, before: dt.datetime, now: dt.datetime) -> int:
    """Delete the chain's oldest records (all before ``before``) behind a signed checkpoint.

    Only a prefix of the chain goes, so verification continues from the checkpoint; processing
    records older than ``before`` go too. Commits; returns how many audit records were deleted.
    """
    seal(session, keys)
    _lock_chain(session)
    keep_from = session.scalar(select(func.min(AuditRecord.seq)).where(AuditRecord.at >= before))
    if keep_from is None:
        keep_from = (session.scalar(select(func.max(AuditRecord.seq))) or 0) + 1
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).where(AuditRecord.seq == keep_from - 1)
    ).first()
    session.execute(delete(ProcessingRecord).where(ProcessingRecord.start_at < before))
    if last is None:
        session.commit()
        return 0
    seq, digest = int(last[0] or 0), str(last[1])
    purged = session.scalar(select(func.count()).where(AuditRecord.seq <= seq)) or 0
    session.execute(delete(AuditRecord).where(AuditRecord.seq <= seq))
    previous = _checkpoint(session)
    total = purged + (previous.purged if previous is not None else 0)
    session.add(
        AuditCheckpoint(
            at=now,
            seq=seq,
            hash=digest,
            purged=total,
            signature=checkpoint_signature(keys.checkpoint, seq, digest, total),
        )
    )
    session.commit()
    return int(purged)


# -- reading --------------------------------------------------------------------------------------


def export(session: Session, *, start: dt.datetime, end: dt.datetime) -> Iterator[dict[str, Any]]:
    """The audit records with ``start <= at < end``, in chain order, for the security officer."""
    rows = session.execute(
        select(AuditRecord)
        .where(AuditRecord.at >= start, AuditRecord.at < end)
        .order_by(AuditRecord.seq.is_(None), AuditRecord.seq, AuditRecord.id)
        .execution_options(yield_per=2000)
    ).scalars()
    for r in rows:
        yield {
            "id": r.id,
            "seq": r.seq,
            "time": _at(r.at),
            "action": r.action,
            "object": r.reference,
            "fields": r.fields.split(",") if r.fields else [],
            "result": r.result,
            "actor": {"user_id": r.actor_user_id, "role": r.actor_role},
            "origin": r.origin,
            "reason": r.reason,
            "trace_id": r.trace_id,
            "span_id": r.span_id,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
        }


def export_processing(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> Iterator[dict[str, Any]]:
    """Processing records as Logboek Dataverwerkingen spans (OpenTelemetry's JSON field names)."""
    rows = session.execute(
        select(ProcessingRecord)
        .where(ProcessingRecord.start_at >= start, ProcessingRecord.start_at < end)
        .order_by(ProcessingRecord.id)
        .execution_options(yield_per=2000)
    ).scalars()
    for r in rows:
        yield {
            "traceId": r.trace_id,
            "spanId": r.span_id,
            "parentSpanId": r.parent_span_id or "",
            "name": r.name,
            "startTimeUnixNano": str(int(r.start_at.timestamp() * 1_000_000) * 1000),
            "endTimeUnixNano": str(int(r.end_at.timestamp() * 1_000_000) * 1000),
            "status": {"code": "STATUS_CODE_OK" if r.status == "OK" else "STATUS_CODE_ERROR"},
            "attributes": {
                "dpl.core.processing_activity_id": r.processing_activity_id,
                "dpl.core.data_subject_id": r.data_subject_id,
                "dpl.core.data_subject_id_type": r.data_subject_id_type,
            },
        }


@dataclass(frozen=True)
class SeenBy:
    """One line of a citizen's access log: who (a role, the visiting expert's first name), when,
    what and why; never more of a staff member's identity."""

    at: dt.datetime
    role: str
    expert_first_name: str | None
    action: str
    fields: tuple[str, ...]
    reason: str


def seen_by(session: Session, visit: Visit, *, limit: int = 200) -> list[SeenBy]:
    """Who looked at or changed ``visit``, newest first."""
    rows = session.execute(
        select(AuditRecord, User.expert_id)
        .outerjoin(User, User.id == AuditRecord.actor_user_id)
        .where(AuditRecord.reference == visit.reference)
        .order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        .limit(limit)
    ).all()
    expert = session.get(Expert, visit.expert_id) if visit.expert_id is not None else None
    first = expert.name.split()[0] if expert is not None and expert.name.split() else None
    out = []
    for record, expert_id in rows:
        named = (
            first
            if record.actor_role == "expert" and expert is not None and expert_id == expert.id
            else None
        )
        out.append(
            SeenBy(
                at=record.at,
                role=record.actor_role,
                expert_first_name=named,
                action=record.action,
                fields=tuple(f for f in record.fields.split(",") if f),
                reason=record.reason,
            )
        )
    return out

"""The access log (audit trail) and the processing log, kept apart.

``audit_record`` is who (user id, role, origin) did what (action, fields, result) to whose data
(the visit reference), when and why (the reason, a processing activity). It is append-only and
hash-chained: ``seq``, ``prev_hash`` and ``hash`` are set when the record is sealed, in one
order, each hash covering the record and the hash before it. A request writes its records
unsealed in one batch; sealing follows within a minute (``aanhuis worker``) and always before a
verification. ``audit_checkpoint`` keeps, signed, where the chain stood when older records were
purged, so verification starts there.

``processing_record`` follows the Logboek Dataverwerkingen: a span (trace id, span id, name,
status, times) with the processing activity and a pseudonymised data subject, and no staff
identity. An audit record points at its processing record by ``span_id``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.db import Base

#: An id column that is BIGINT on PostgreSQL and INTEGER (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_reference", "reference", "at"),
        Index("ix_audit_record_seq", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime]
    #: read, create, update, cancel, export, erase, decide (a citizen's choice).
    action: Mapped[str] = mapped_column(String(20))
    #: The object: the visit's reference.
    reference: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int | None] = mapped_column(default=None)
    #: The personal fields read or written, comma-separated and sorted ("name,phone").
    fields: Mapped[str] = mapped_column(String(200))
    #: ok, or failed (the request answered with an error after the access was noted).
    result: Mapped[str] = mapped_column(String(10))
    #: None for the citizen themselves and for the system.
    actor_user_id: Mapped[int | None] = mapped_column(default=None)
    #: planner, expert, admin, citizen or system.
    actor_role: Mapped[str] = mapped_column(String(10))
    #: The client address, or "cli".
    origin: Mapped[str] = mapped_column(String(64))
    #: Why: the processing activity (:data:`scheduler.audit.service.REASONS`).
    reason: Mapped[str] = mapped_column(String(40))
    trace_id: Mapped[str] = mapped_column(String(32))
    span_id: Mapped[str] = mapped_column(String(16))
    #: Set when sealed (None before): its position, the previous hash and its own.
    seq: Mapped[int | None] = mapped_column(BigId, default=None)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditCheckpoint(Base):
    """Where the chain stood after a purge: the last purged record's position and hash, signed."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime]
    #: The chain's last purged record: the first remaining one has ``seq + 1`` and this hash.
    seq: Mapped[int] = mapped_column(BigId)
    hash: Mapped[str] = mapped_column(String(64))
    purged: Mapped[int] = mapped_column(BigId)
    signature: Mapped[str] = mapped_column(String(64))


class ProcessingRecord(Base):
    """One processing of one data subject's data, in the Logboek Dataverwerkingen shape."""

    __tablename__ = "processing_record"
    __table_args__ = (Index("ix_processing_record_start", "start_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trace_id: Mapped[str] = mapped_column(String(32))
    span_id: Mapped[str] = mapped_column(String(16), unique=True)
    parent_span_id: Mapped[str | None] = mapped_column(String(16), default=None)
    name: Mapped[str] = mapped_column(String(80))
    #: OK or ERROR (OpenTelemetry's status codes, as the standard uses them).
    status: Mapped[str] = mapped_column(String(10))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    #: ``dpl.core.processing_activity_id``: a URI into the register of processing activities.
    processing_activity_id: Mapped[str] = mapped_column(String(300))
    #: ``dpl.core.data_subject_id``: a keyed hash of the visit, never a name or address.
    data_subject_id: Mapped[str] = mapped_column(String(64))
    data_subject_id_type: Mapped[str] = mapped_column(String(40))

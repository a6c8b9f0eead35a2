"""The access log's hash chain: sealing, verification, purge behind a checkpoint, the CLI.

Records are written as a request writes them (:func:`scheduler.audit.service.write`), unsealed;
``seal`` chains them; ``verify`` seals what waits and checks every record on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from api.cli import main
from api.settings import get_settings
from scheduler.audit import service as audit
from scheduler.audit.models import AuditCheckpoint, AuditRecord, ProcessingRecord

KEYS = audit.Keys(chain=b"c" * 32, checkpoint=b"k" * 32, pseudonym=b"p" * 32)
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _write(session: Session, refs: list[str], at: dt.datetime, role: str = "planner") -> None:
    trail = audit.Trail.new(origin="10.0.0.7", now=at)
    trail.act_as(12, role)
    for ref in refs:
        trail.note("read", ref, 1, ["name", "phone"], "desk", "wmo-intake")
    audit.write(session, trail, now=at, failed=False, keys=KEYS, activity=lambda a: "urn:x")
    session.commit()


def _chain(session: Session, n: int, start: dt.datetime = T0) -> None:
    for i in range(n):
        _write(session, [f"AH-AAAA-{i:04d}"], start + dt.timedelta(hours=i))


def test_a_fresh_log_verifies_and_sealing_chains_in_order(session: Session) -> None:
    """Unsealed records get positions 1…n, each linking the previous hash; verify passes."""
    assert audit.verify(session, KEYS).intact  # empty
    _chain(session, 5)
    _write(session, ["AH-BBBB-0001", "AH-BBBB-0002"], T0)  # a day view: one batch, two records
    assert audit.seal(session, KEYS) == 7
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
    assert [r.seq for r in rows] == list(range(1, 8))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    verdict = audit.verify(session, KEYS)
    assert verdict.intact and verdict.checked == 7


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_user_id", 13),
        ("fields", "name"),
        ("reference", "AH-ZZZZ-ZZZZ"),
        ("result", "failed"),
        ("reason", "planning"),
    ],
)
def test_an_altered_row_is_named(session: Session, column: str, value: object) -> None:
    """Changing any one column of one sealed row directly in the database breaks the chain at
    exactly that row (on SQLite and PostgreSQL)."""
    _chain(session, 6)
    audit.seal(session, KEYS)
    victim = session.scalars(select(AuditRecord).where(AuditRecord.seq == 4)).one()
    session.execute(update(AuditRecord).where(AuditRecord.id == victim.id).values({column: value}))
    session.commit()
    verdict = audit.verify(session, KEYS)
    assert not verdict.intact
    assert (verdict.broken_id, verdict.broken_seq, verdict.checked) == (victim.id, 4, 3)


def test_a_deleted_row_and_a_rehashed_row_are_noticed(session: Session) -> None:
    """Deleting a middle record names the next one; recomputing a plain SHA-256 does not help
    without the key."""
    _chain(session, 5)
    audit.seal(session, KEYS)
    session.execute(text("DELETE FROM audit_record WHERE seq = 2"))
    session.commit()
    verdict = audit.verify(session, KEYS)
    assert verdict.broken_seq == 3 and "missing" in (verdict.why or "")
    assert not audit.verify(
        session, audit.Keys(chain=b"x" * 32, checkpoint=b"k" * 32, pseudonym=b"p" * 32)
    ).intact


def test_purge_keeps_verification_working_behind_a_signed_checkpoint(session: Session) -> None:
    """Records before the cut go, a checkpoint remembers the last one; verify still passes, and
    still notices a change after the purge, and a forged checkpoint."""
    _chain(session, 10)
    purged = audit.purge(session, KEYS, before=T0 + dt.timedelta(hours=4), now=T0)
    assert purged == 4
    assert session.scalar(select(AuditCheckpoint.seq)) == 4
    assert [r.seq for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))] == list(
        range(5, 11)
    )
    assert session.scalar(select(ProcessingRecord.id).limit(1)) is not None
    verdict = audit.verify(session, KEYS)
    assert verdict.intact and verdict.checked == 6
    _chain(session, 2, start=T0 + dt.timedelta(days=1))
    assert audit.verify(session, KEYS).checked == 8
    session.execute(update(AuditCheckpoint).values(seq=3))
    session.commit()
    assert "checkpoint" in (audit.verify(session, KEYS).why or "")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=6))
def test_sealing_in_rounds_gives_the_same_intact_chain(
    sessions: sessionmaker[Session], batches: list[int]
) -> None:
    """However writes and seals interleave, every record is sealed once, in a gapless chain."""
    with sessions() as session:
        session.execute(text("DELETE FROM processing_record"))
        session.execute(text("DELETE FROM audit_record"))
        session.commit()
        total = 0
        for i, n in enumerate(batches):
            _write(session, [f"AH-CCCC-{i}{k:03d}" for k in range(n)], T0)
            total += n
            if i % 2:
                audit.seal(session, KEYS)
        verdict = audit.verify(session, KEYS)
        assert verdict.intact and verdict.checked == total


def test_the_processing_log_holds_no_staff_identity_and_links_by_span(session: Session) -> None:
    """Each audit record has a processing record with its span id; the processing record names
    no user, role or origin, and the data subject is a keyed hash of the visit."""
    _write(session, ["AH-DDDD-0001"], T0)
    record = session.scalars(select(AuditRecord)).one()
    [span] = list(audit.export_processing(session, start=T0, end=T0 + dt.timedelta(seconds=1)))
    assert span["spanId"] == record.span_id and span["traceId"] == record.trace_id
    attributes = span["attributes"]
    assert attributes["dpl.core.processing_activity_id"] == "urn:x"
    assert attributes["dpl.core.data_subject_id"] == audit.pseudonym(KEYS.pseudonym, "AH-DDDD-0001")
    text_of = json.dumps(span)
    assert "10.0.0.7" not in text_of and "planner" not in text_of and "AH-DDDD" not in text_of


@pytest.fixture
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_the_cli_verifies_names_the_broken_record_and_exports(
    configured: str,
    sessions: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``aanhuis audit verify`` exits 0 on a fresh log and 1 naming the altered record;
    ``export`` writes one JSON line per record in the range."""
    from api.audit import keys

    cli_keys = keys(get_settings())
    with sessions() as session:
        for i in range(3):
            trail = audit.Trail.new(origin="cli", now=T0 + dt.timedelta(hours=i))
            trail.note("read", f"AH-EEEE-000{i}", 1, ["name"], "planning")
            audit.write(
                session,
                trail,
                now=T0 + dt.timedelta(hours=i),
                failed=False,
                keys=cli_keys,
                activity=lambda a: "urn:x",
            )
        session.commit()
    assert main(["audit", "verify"]) == 0
    assert "3 records checked" in capsys.readouterr().out
    assert main(["audit", "export", "--from", "2026-03-02", "--to", "2026-03-02T09:30"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["object"], x["seq"], x["actor"]["role"]) for x in lines] == [
        ("AH-EEEE-0000", 1, "system"),
        ("AH-EEEE-0001", 2, "system"),
    ]
    with sessions() as session:
        victim = session.scalars(select(AuditRecord).where(AuditRecord.seq == 2)).one()
        session.execute(
            update(AuditRecord).where(AuditRecord.id == victim.id).values(origin="10.6.6.6")
        )
        session.commit()
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"record {victim.id} (position 2)" in err


def test_the_retention_purge_on_the_command_line_is_in_the_access_log(
    configured: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    """``aanhuis purge`` wipes visits past retention; each wipe is an erase record from "cli"
    by the operator, and the chain verifies."""
    from route_app_world import DAY, at, build

    from scheduler import clock

    previous = clock.set_clock(lambda: at(DAY, "07:00"))
    try:
        with sessions() as session:
            world = build(session)
        clock.set_clock(lambda: at(DAY + dt.timedelta(days=91), "12:00"))
        assert main(["purge"]) == 0
        assert "wiped from 4 visits" in capsys.readouterr().out
    finally:
        clock.set_clock(previous)
    with sessions() as session:
        records = session.scalars(select(AuditRecord)).all()
        assert sorted(r.reference for r in records) == sorted(
            v.reference for v in world.visits.values()
        )
        assert {(r.action, r.origin, r.actor_role, r.reason) for r in records} == {
            ("erase", "cli", "operator", "retention")
        }
    assert main(["audit", "verify"]) == 0

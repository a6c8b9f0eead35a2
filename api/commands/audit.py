"""``aanhuis audit``: verify the access log's hash chain, export it, purge it past retention.

* ``verify`` seals what waits, then checks every record from the newest checkpoint on: exit 0
  when intact, 1 naming the first broken record.
* ``export --from --to`` writes the access log as JSON lines (``--processing`` the processing
  log, as Logboek Dataverwerkingen spans) for the municipality's security officer.
* ``purge`` deletes records older than ``AANHUIS_AUDIT_RETENTION_DAYS`` behind a signed
  checkpoint, so ``verify`` keeps passing.
* ``seal`` chains the records written since the last round (the worker does it each round).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from api.audit import keys
from api.settings import Settings, get_settings
from scheduler import clock
from scheduler.audit import service as audit
from scheduler.db import make_engine, make_sessionmaker


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "audit",
        help="verify, export or purge the access log",
        description="The access log of staff reading and changing citizens' data.",
    )
    sub = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check the hash chain (exit 1 names the first break)")
    verify.set_defaults(handler=_verify)
    export = sub.add_parser("export", help="write records as JSON lines")
    export.add_argument("--from", dest="start", type=_instant, required=True, metavar="WHEN")
    export.add_argument("--to", dest="end", type=_instant, required=True, metavar="WHEN")
    export.add_argument(
        "--processing",
        action="store_true",
        help="the processing log (Logboek Dataverwerkingen spans) instead of the access log",
    )
    export.set_defaults(handler=_export)
    purge = sub.add_parser("purge", help="delete records past AANHUIS_AUDIT_RETENTION_DAYS")
    purge.set_defaults(handler=_purge)
    seal = sub.add_parser("seal", help="chain the records that wait")
    seal.set_defaults(handler=_seal)


def _instant(raw: str) -> dt.datetime:
    """A date (its UTC midnight) or an ISO 8601 instant (UTC when it has no offset)."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date or time: {raw!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


T = TypeVar("T")


def _run(fn: Callable[[Session, Settings], T]) -> T:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return fn(session, settings)
    finally:
        engine.dispose()


def _verify(args: argparse.Namespace) -> int:
    verdict: audit.Verdict = _run(lambda s, settings: audit.verify(s, keys(settings)))
    if verdict.intact:
        print(f"audit log intact: {verdict.checked} records checked")
        return 0
    where = f"record {verdict.broken_id} (position {verdict.broken_seq})"
    if verdict.broken_id is None:
        where = "the checkpoint"
    print(f"audit log BROKEN at {where}: {verdict.why}", file=sys.stderr)
    print(f"{verdict.checked} records before it are intact", file=sys.stderr)
    return 1


def _export(args: argparse.Namespace) -> int:
    if args.end <= args.start:
        print("error: --to must lie after --from", file=sys.stderr)
        return 2

    def write(session: Session, settings: Settings) -> int:
        audit.seal(session, keys(settings))
        reader = audit.export_processing if args.processing else audit.export
        n = 0
        for row in reader(session, start=args.start, end=args.end):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n

    n = _run(write)
    print(f"{n} records exported", file=sys.stderr)
    return 0


def _purge(args: argparse.Namespace) -> int:
    def purge(session: Session, settings: Settings) -> int:
        now = clock.now()
        before = now - dt.timedelta(days=settings.audit_retention_days)
        return audit.purge(session, keys(settings), before=before, now=now)

    print(f"audit records purged: {_run(purge)}")
    return 0


def _seal(args: argparse.Namespace) -> int:
    print(f"audit records sealed: {_run(lambda s, settings: audit.seal(s, keys(settings)))}")
    return 0

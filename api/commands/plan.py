"""``aanhuis plan``: optimise a day (and apply it) from the command line, e.g. as a nightly job.

``aanhuis plan --municipality SLUG --date DATE [--apply] [--time-limit S]`` prints the proposal's
before/after figures and, with ``--apply``, applies it. Exit codes: 0 done, 1 the apply was refused
because the day changed meanwhile (run again), 2 bad input. Output names experts by id only, so a
job log holds no personal data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping
from typing import Any

from api.runtime import travel_provider
from api.settings import get_settings
from scheduler.db import make_engine, make_sessionmaker
from scheduler.errors import Conflict, DomainError
from scheduler.planning import service as planning
from scheduler.tenants import service as tenants

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plan`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "plan",
        help="optimise a day's routes (our ruin-and-recreate search, then OR-Tools) and print "
        "before/after figures",
        description="Optimise the routes of a municipality's day into a proposal (never worse "
        "than the current plan) and print its before/after figures; --apply applies it.",
    )
    parser.add_argument("--municipality", required=True, metavar="SLUG")
    parser.add_argument("--date", required=True, type=date_argument, metavar="YYYY-MM-DD")
    parser.add_argument("--apply", action="store_true", help="apply the proposal")
    parser.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="seconds the optimiser may spend (default: AANHUIS_OPTIMIZE_TIME_LIMIT)",
    )
    parser.set_defaults(handler=_plan)


def date_argument(text: str) -> dt.date:
    """An argparse type: a YYYY-MM-DD date (a clear usage error otherwise)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds: {text!r}")
    return value


def _duration(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def report(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The before/after figures of a proposal as aligned text lines."""
    rows = [
        ("travel", _duration(before["travel_seconds"]), _duration(after["travel_seconds"])),
        ("distance", f"{before['distance_km']:.1f} km", f"{after['distance_km']:.1f} km"),
        ("waiting", _duration(before["waiting_seconds"]), _duration(after["waiting_seconds"])),
        ("overtime", _duration(before["overtime_seconds"]), _duration(after["overtime_seconds"])),
        ("visits assigned", str(before["visits_assigned"]), str(after["visits_assigned"])),
        ("visits unassigned", str(before["visits_unassigned"]), str(after["visits_unassigned"])),
    ]
    lines = [f"{'':<20}{'before':>12}{'after':>12}"]
    lines += [f"{name:<20}{b:>12}{a:>12}" for name, b, a in rows]
    after_by_expert = {e["expert_id"]: e for e in after["experts"]}
    for b in before["experts"]:
        a = after_by_expert.get(b["expert_id"], b)
        lines.append(
            f"  expert {b['expert_id']:<11}"
            f"{b['visits']:>3} visits {_duration(b['travel_seconds']):>6}"
            f"  ->{a['visits']:>3} visits {_duration(a['travel_seconds']):>6}"
        )
    return lines


def _plan(args: argparse.Namespace) -> int:
    settings = get_settings()
    limit = args.time_limit or settings.optimize_time_limit
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            municipality = tenants.get_by_slug(session, args.municipality)
            proposal = planning.propose(
                session,
                municipality=municipality,
                date=args.date,
                travel=travel_provider(settings),
                time_limit=limit,
                actor="cli",
            )
            print(f"proposal {proposal.id} for {municipality.slug} on {proposal.date}:")
            print(f"  {proposal.plan['note']}")
            for line in report(proposal.before, proposal.after):
                print(line)
            if not args.apply:
                return EXIT_OK
            try:
                planning.apply(
                    session,
                    municipality=municipality,
                    proposal_id=proposal.id,
                    travel=travel_provider(settings),
                    actor="cli",
                )
            except Conflict as exc:
                print(f"not applied: {exc.detail}", file=sys.stderr)
                return EXIT_REFUSED
            print(f"applied: {proposal.after['visits_assigned']} visits planned")
            return EXIT_OK
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()

"""``aanhuis rota`` and ``aanhuis forecast``: propose (and apply) a rota, print the forecast.

``aanhuis rota --municipality SLUG --start DATE --weeks N [--apply] [--replan]
[--time-limit S]`` prints the proposal's coverage and fairness before and after, or the reasons
it is infeasible. Exit codes: 0 done, 1 infeasible or refused (stale, or it would break booked
visits: repeat with ``--replan``), 2 bad input. ``aanhuis forecast --municipality SLUG --start
DATE [--weeks N]`` prints forecast against current capacity in expert-hours. Output names experts
by id only, so a job log holds no personal data.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.commands.plan import date_argument
from api.runtime import expert_notifier, notifier, travel_provider
from api.settings import get_settings
from scheduler.db import make_engine, make_sessionmaker
from scheduler.errors import Conflict, DomainError
from scheduler.rota import service as rota
from scheduler.tenants import service as tenants
from scheduler.usecases import capacity_changes
from scheduler.usecases import rota as rota_usecases

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``rota`` and ``forecast`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "rota",
        help="propose a rota for 2-8 weeks with CP-SAT (and apply it)",
        description="Propose who works which shift for 2-8 weeks, covering the forecast within "
        "contracts, limits and the Working Hours Act; --apply writes it.",
    )
    parser.add_argument("--municipality", required=True, metavar="SLUG")
    parser.add_argument("--start", required=True, type=date_argument, metavar="YYYY-MM-DD")
    parser.add_argument("--weeks", type=int, default=4, choices=range(2, 9), metavar="N")
    parser.add_argument("--apply", action="store_true", help="apply the proposal")
    parser.add_argument(
        "--replan", action="store_true", help="apply even if booked visits must be re-planned"
    )
    parser.add_argument("--time-limit", type=float, default=30.0, metavar="SECONDS")
    parser.set_defaults(handler=_rota)
    fc = subparsers.add_parser(
        "forecast",
        help="print forecast demand against current capacity (expert-hours)",
        description="Forecast demand per week and part of day, against the current shifts.",
    )
    fc.add_argument("--municipality", required=True, metavar="SLUG")
    fc.add_argument("--start", required=True, type=date_argument, metavar="YYYY-MM-DD")
    fc.add_argument("--weeks", type=int, default=4, choices=range(1, 9), metavar="N")
    fc.set_defaults(handler=_forecast)


def report(result: dict[str, Any]) -> list[str]:
    """Coverage and fairness before and after, as aligned text lines."""
    cb, ca = result["coverage"]["before"], result["coverage"]["after"]
    fb, fa = result["fairness"]["before"], result["fairness"]["after"]
    lines = [f"{'':<28}{'before':>10}{'after':>10}"]
    lines.append(f"{'forecast covered (h)':<28}{cb['covered_hours']:>10}{ca['covered_hours']:>10}")
    for part in ("morning", "afternoon", "evening", "saturday"):
        b, a = cb["by_part"][part], ca["by_part"][part]
        label = f"  {part} of {b['demand_hours']} h"
        lines.append(f"{label:<28}{b['covered_hours']:>10}{a['covered_hours']:>10}")
    for key in ("evening_spread", "saturday_spread", "evening_stdev", "saturday_stdev"):
        lines.append(f"{key:<28}{fb[key]:>10}{fa[key]:>10}")
    after = {e["expert_id"]: e for e in fa["per_expert"]}
    for e in fb["per_expert"]:
        a = after.get(e["expert_id"], e)
        lines.append(
            f"  expert {e['expert_id']:<6}{e['hours']:>6} h "
            f"{e['evenings']:>2} ev {e['saturdays']:>2} sa"
            f"  ->{a['hours']:>6} h {a['evenings']:>2} ev {a['saturdays']:>2} sa"
        )
    return lines


def _reason_line(reason: dict[str, Any]) -> str:
    """A reason in words; one about an expert names them by id only (job logs hold no names)."""
    if "expert_id" not in reason:
        return f"{reason['text']} {reason['loosen']}"
    when = f"week {reason['week']}" if "week" in reason else reason.get("month", "")
    return f"{when}: rule {reason['rule']} cannot hold for expert {reason['expert_id']}".strip(": ")


def _rota(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            municipality = tenants.get_by_slug(session, args.municipality)
            proposal = rota.propose(
                session,
                municipality=municipality,
                start=args.start,
                weeks=args.weeks,
                time_limit=args.time_limit,
                actor="cli",
                travel=travel_provider(settings),
            )
            result = proposal.result
            solver = result["solver"]
            print(
                f"rota {proposal.id} for {municipality.slug} from {proposal.start}, "
                f"{proposal.weeks} weeks: {result['status']} in {solver['seconds']} s"
            )
            if not proposal.feasible:
                for reason in result["reasons"]:
                    print(f"  {_reason_line(reason)}")
                return EXIT_REFUSED
            print(
                f"  {len(result['assignments'])} shifts; "
                f"penalty {solver['penalty']}, bound {solver['bound']}"
            )
            for line in report(result):
                print(line)
            if result["replan"]:
                print(f"  {len(result['replan'])} booked visit(s) would need re-planning")
            if not args.apply:
                return EXIT_OK
            replan = capacity_changes.Replan(
                enabled=args.replan,
                travel=travel_provider(settings),
                notify=notifier(settings),
                actor="cli",
                hold_minutes=settings.offer_hold_minutes,
                time_limit=settings.optimize_time_limit,
                tell_experts=expert_notifier(settings),
            )
            try:
                applied = rota_usecases.apply(
                    session, municipality=municipality, proposal_id=proposal.id, replan=replan
                )
            except Conflict as exc:
                print(f"not applied: {exc.detail}", file=sys.stderr)
                return EXIT_REFUSED
            print(f"applied: {applied.shifts} shifts written")
            return EXIT_OK
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()


def _forecast(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            municipality = tenants.get_by_slug(session, args.municipality)
            rows, predicted = rota.forecast_table(
                session, municipality=municipality, start=args.start, weeks=args.weeks
            )
            print(f"{'week':<6}{'part':<11}{'forecast h':>11}{'capacity h':>11}")
            for r in rows:
                if r["skill"] is None:
                    print(
                        f"{r['week']:<6}{r['part'].value:<11}"
                        f"{r['demand_hours']:>11}{r['capacity_hours']:>11}"
                    )
            bt = predicted.backtest.public()
            print(
                f"backtest over {bt['weeks']} weeks: mean error {bt['mae_hours']} h per cell "
                f"(naive: {bt['naive_mae_hours']} h); WAPE {bt['wape']} (naive {bt['naive_wape']})"
            )
            return EXIT_OK
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()

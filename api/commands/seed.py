"""``aanhuis seed``: fill the configured database with the demo municipality."""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import select

from api.runtime import travel_provider
from api.settings import get_settings
from scheduler import demo, migrate
from scheduler.db import make_engine, make_sessionmaker
from scheduler.tenants.models import Municipality

DEMO_SLUG = "demo"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("seed", help="fill the database with the demo municipality")
    parser.add_argument("--demo", action="store_true", required=True, help="the demo data set")
    add_size_arguments(parser)
    parser.set_defaults(handler=_seed)


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experts", type=int, default=12, help="number of experts (12)")
    parser.add_argument("--days", type=int, default=14, help="days of bookings ahead (14)")
    parser.add_argument("--fill", type=float, default=0.5, help="share of capacity booked (0.5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--history", type=int, default=28, help="days of past visits with outcomes (28)"
    )
    parser.add_argument(
        "--peers", type=int, default=3, help="peer municipalities for the KPI comparison (3)"
    )


def seed_demo(
    url: str, size: demo.DemoSize, *, history: int = 0, peers: int = 0, quiet: bool = False
) -> bool:
    """Create the demo municipality with its bookings; False when it already exists."""
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = get_settings()
    started = time.perf_counter()
    try:
        with sessions() as session:
            if session.scalar(select(Municipality).where(Municipality.slug == DEMO_SLUG)):
                return False
            municipality = demo.create_municipality(session, size=size, slug=DEMO_SLUG)
            session.commit()
            demo.fill_rota(session, municipality)
            demo.fill_demand(session, municipality)

            def progress(made: int, share: float) -> None:
                if not quiet:
                    print(f"  {made} bookings, {share:.0%} of capacity", flush=True)

            travel = travel_provider(settings)
            if history:
                past = demo.DemoSize(
                    experts=size.experts,
                    days=history,
                    fill=min(0.85, size.fill + 0.15),
                    seed=size.seed + 100,
                )
                demo.fill_history(session, municipality, size=past, travel=travel)
                if not quiet:
                    print(f"  {history} days of history", flush=True)
            made = demo.fill_bookings(
                session, municipality, size=size, travel=travel, progress=progress
            )
            if peers:
                demo.create_peers(session, count=peers, travel=travel, seed=size.seed)
                if not quiet:
                    print(f"  {peers} peer municipalities", flush=True)
        if not quiet:
            took = time.perf_counter() - started
            print(f"seeded {DEMO_SLUG!r}: {size.experts} experts, {made} bookings ({took:.0f} s)")
        return True
    finally:
        engine.dispose()


def _seed(args: argparse.Namespace) -> int:
    if not 0 <= args.fill <= 1:
        print("error: --fill is a share between 0 and 1", file=sys.stderr)
        return 2
    if args.experts < 1 or args.days < 1:
        print("error: --experts and --days must be at least 1", file=sys.stderr)
        return 2
    size = demo.DemoSize(experts=args.experts, days=args.days, fill=args.fill, seed=args.seed)
    if not seed_demo(get_settings().database_url, size, history=args.history, peers=args.peers):
        print(f"error: municipality {DEMO_SLUG!r} already exists in this database", file=sys.stderr)
        return 1
    return 0

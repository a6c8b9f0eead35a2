"""``aanhuis worker``: run the day optimisations queued through the API.

``aanhuis worker`` keeps running: it takes the oldest due job, solves it, stores the proposal and
takes the next; when none is due it looks again every ``--poll`` seconds. ``--once`` runs what is
due and stops (cron, tests). Any number of workers may run against one database, on any machine:
each job is claimed by exactly one of them. Output names job ids only.
"""

from __future__ import annotations

import argparse
import time

from api.runtime import travel_provider
from api.settings import get_settings
from scheduler.db import make_engine, make_sessionmaker
from scheduler.planning import jobs


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "worker",
        help="run queued day optimisations (POST …/optimize with Prefer: respond-async)",
        description="Run the day optimisations queued through the API, one at a time.",
    )
    parser.add_argument("--once", action="store_true", help="run what is due, then stop")
    parser.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help="look for jobs this often"
    )
    parser.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    travel = travel_provider(settings)
    try:
        while True:
            ran = jobs.run_pending(sessions, travel)
            if ran:
                print(f"ran {ran} optimisation job(s)", flush=True)
            if args.once:
                return 0
            time.sleep(max(0.1, args.poll))
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()

"""``aanhuis purge``: remove personal data past retention, expired offers and old replay tokens."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from api.audit import ALL_FIELDS as ERASED_FIELDS
from api.audit import cli_trail, note_ref
from api.settings import get_settings
from scheduler.booking.purge import OFFER_GRACE, purge
from scheduler.db import make_engine, make_sessionmaker


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``purge`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "purge",
        help="remove personal data past its retention, expired offers and old replay tokens",
        description="Wipe the personal data of visits past their service's retention, delete "
        "expired offers and clear manage tokens kept for retries for more than a day. "
        "Idempotent: run it as often as you like (e.g. nightly).",
    )
    parser.add_argument(
        "--offer-grace-minutes",
        type=int,
        default=int(OFFER_GRACE.total_seconds() // 60),
        metavar="MINUTES",
        help="keep expired offers this long, so late bookers hear 'expired' (default: %(default)s)",
    )
    parser.set_defaults(handler=_purge)


def _purge(args: argparse.Namespace) -> int:
    if args.offer_grace_minutes < 0:
        print("error: --offer-grace-minutes must not be negative", file=sys.stderr)
        return 2
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        # Wiping personal data is processing too: each wiped visit goes in the access log.
        with sessions() as session, cli_trail(sessions, settings):
            done = purge(session, offer_grace=dt.timedelta(minutes=args.offer_grace_minutes))
            for reference, municipality_id, code in done.wiped:
                note_ref("erase", reference, municipality_id, ERASED_FIELDS, "retention", code)
    finally:
        engine.dispose()
    print(f"personal data wiped from {done.visits_wiped} visits past retention")
    print(f"expired offers deleted: {done.offers_deleted}")
    print(f"replay tokens cleared: {done.replay_tokens_cleared}")
    return 0

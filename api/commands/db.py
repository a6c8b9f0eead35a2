"""``aanhuis db``: database migrations."""

from __future__ import annotations

import argparse

from api.settings import get_settings
from scheduler import migrate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database migrations")
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = sub.add_parser("upgrade", help="migrate the configured database to the newest schema")
    up.add_argument("--revision", default="head")
    up.set_defaults(handler=_upgrade)
    cur = sub.add_parser("current", help="print the database's schema revision")
    cur.set_defaults(handler=_current)


def _upgrade(args: argparse.Namespace) -> int:
    url = get_settings().database_url
    migrate.upgrade(url, args.revision)
    print(f"database at revision {migrate.current(url)}")
    return 0


def _current(args: argparse.Namespace) -> int:
    print(migrate.current(get_settings().database_url) or "(empty database)")
    return 0

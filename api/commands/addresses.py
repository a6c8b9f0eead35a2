"""``aanhuis addresses``: the municipality's address register extract."""

from __future__ import annotations

import argparse
import pathlib
import sys

from api.settings import get_settings
from scheduler.addresses import service as addresses
from scheduler.db import make_engine, make_sessionmaker, transaction
from scheduler.errors import DomainError
from scheduler.tenants import service as tenants


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("addresses", help="the address register extract")
    sub = parser.add_subparsers(dest="addresses_command", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="import a CSV (postcode, house_number, addition, street, city, lat, lon)",
    )
    imp.add_argument("file", type=pathlib.Path)
    imp.add_argument("--municipality", required=True, help="slug")
    imp.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            municipality = tenants.get_by_slug(session, args.municipality)
            rows = addresses.parse_csv(text)
            count = addresses.import_rows(session, municipality=municipality, rows=rows)
            municipality.capacity_version += 1
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"imported {count} addresses into {args.municipality}")
    return 0

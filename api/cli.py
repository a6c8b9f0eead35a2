"""The ``aanhuis`` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules in ``api.commands`` that register subcommands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "server",
    "seed",
    "db",
    "users",
    "addresses",
    "outbox",
    "route",
    "purge",
    "plan",
    "rota",
    "worker",
    "audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aanhuis", description="Aan Huis: home visits for municipalities."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"api.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

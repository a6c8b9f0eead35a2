"""Run every benchmark and print its table; ``--quick`` for a smoke-sized run.

Each suite is a module in this package with ``run(quick: bool) -> str`` returning a Markdown
section. Results are also written to ``benchmarks/results/<suite>.md`` so the README can quote the
latest run.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
import time

SUITES = (
    "insertion",
    "search",
    "solver",
    "phases",
    "offers",
    "load",
    "stability",
    "audit",
    "rota",
)
RESULTS = pathlib.Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="small instances, short limits")
    parser.add_argument("suites", nargs="*", default=list(SUITES), help=f"any of {SUITES}")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    for name in args.suites:
        if name not in SUITES:
            parser.error(f"unknown suite {name!r}")
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        section: str = module.run(quick=args.quick)
        took = time.perf_counter() - started
        print(section)
        print(f"\n({name}: {took:.0f} s)\n", flush=True)
        if not args.quick:
            (RESULTS / f"{name}.md").write_text(section + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

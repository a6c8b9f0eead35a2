"""``aanhuis route``: solve and check routing problems in VROOM's JSON formats.

- ``aanhuis route solve INSTANCE.json [--time-limit SECONDS] [--mode MODE]`` prints the solution
  (VROOM output, with ``summary.computing_times.solving`` from the solve's own timing). The
  planner's objective comes from the instance's ``x_aanhuis`` or from ``--mode``; without either
  the instance keeps VROOM's meaning.
- ``aanhuis route check INSTANCE.json SOLUTION.json`` prints each violation and exits 1, or prints
  a one-line summary and exits 0 (plus a line with the objective's terms when the instance gives
  the planner's objective in ``x_aanhuis``).

A file that is missing, not JSON or not in VROOM's format gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from routing.check import check
from routing.model import Objective, Problem, StepType
from routing.objective import objective_of
from routing.vroom import (
    VroomFormatError,
    VroomSolution,
    problem_from_vroom,
    solution_from_vroom,
    solution_to_vroom,
)

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


class _BadInput(Exception):
    """A file cannot be used; the message is the one line shown to the user."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``route solve`` and ``route check`` to the ``aanhuis`` command line."""
    route = subparsers.add_parser(
        "route",
        help="solve or check a routing problem in VROOM's JSON format",
        description="Solve or check routing problems in VROOM's JSON formats.",
    )
    commands = route.add_subparsers(dest="route_command", required=True, metavar="COMMAND")

    solve = commands.add_parser(
        "solve",
        help="solve a problem and print the solution (VROOM output format)",
        description="Solve INSTANCE (VROOM input format) and print the solution as VROOM does.",
    )
    solve.add_argument("instance", type=Path, metavar="INSTANCE.json")
    solve.add_argument(
        "--time-limit",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="wall-clock limit for the search (default: the solver's)",
    )
    solve.add_argument(
        "--mode",
        choices=("keep_experts", "balanced", "free"),
        default=None,
        help="plan with the planner's objective in this mode (overrides the instance's "
        "x_aanhuis.objective; without either, VROOM's objective)",
    )
    solve.set_defaults(handler=_solve)

    check_ = commands.add_parser(
        "check",
        help="check a solution (VROOM output format) against a problem",
        description="Replay SOLUTION's routes and times under VROOM's rules for INSTANCE.",
    )
    check_.add_argument("instance", type=Path, metavar="INSTANCE.json")
    check_.add_argument("solution", type=Path, metavar="SOLUTION.json")
    check_.set_defaults(handler=_check)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _BadInput(f"{path}: is a directory, not a JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _BadInput(f"{path}: cannot be read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def _read_problem(path: Path) -> Problem:
    data = _read_json(path)
    try:
        return problem_from_vroom(data)
    except VroomFormatError as exc:
        raise _BadInput(f"{path}: not a VROOM problem: {exc}") from None


def _fail(args: argparse.Namespace, error: _BadInput) -> int:
    print(f"aanhuis route {args.route_command}: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _solve(args: argparse.Namespace) -> int:
    # Imported here so that ``check`` and ``--help`` do not load OR-Tools.
    from routing.solver import SolveParams, solve

    try:
        started = time.perf_counter()
        problem = _read_problem(args.instance)
        loaded = time.perf_counter()
    except _BadInput as error:
        return _fail(args, error)
    if args.mode is not None:
        base = problem.objective or Objective()
        problem = dataclasses.replace(
            problem,
            objective=Objective.for_mode(
                args.mode,
                move_cost=base.move_cost,
                preferred_cost=base.preferred_cost,
                balance_weight=base.balance_weight,
            ),
        )
    params = SolveParams() if args.time_limit is None else SolveParams(time_limit=args.time_limit)
    timings: dict[str, float] = {}
    solution = solve(problem, params, timings=timings)

    output = solution_to_vroom(
        problem,
        solution,
        computing_times={
            "loading": round((loaded - started) * 1000),
            # The solve's own timing, as VROOM reports its search (the limit applies to it).
            "solving": round(timings["total"] * 1000),
            "routing": 0,
        },
    )
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    try:
        problem = _read_problem(args.instance)
        data = _read_json(args.solution)
        try:
            parsed = solution_from_vroom(data)
        except VroomFormatError as exc:
            raise _BadInput(f"{args.solution}: not a VROOM solution: {exc}") from None
    except _BadInput as error:
        return _fail(args, error)
    violations = check(problem, parsed)
    for violation in violations:
        print(violation)
    if violations:
        return EXIT_VIOLATIONS
    served = sum(
        1 for route in parsed.routes for step in route.steps if step.type is StepType.VISIT
    )
    costs = [route.cost for route in parsed.routes]
    # The checker has verified every reported cost against the matrices.
    cost = "not reported" if None in costs else str(sum(c for c in costs if c is not None))
    print(
        f"OK: {len(parsed.routes)} routes, {served} jobs served, "
        f"{len(parsed.unassigned)} unassigned, cost {cost}"
    )
    if problem.objective is not None:
        print(_objective_line(problem, parsed))
    return EXIT_OK


def _objective_line(problem: Problem, parsed: VroomSolution) -> str:
    """The planner's objective terms of a checked solution, in one line."""
    value = objective_of(problem, parsed.to_solution(problem))
    assert problem.objective is not None
    return (
        f"objective ({problem.objective.mode}): working {value.working} s "
        f"(travel {value.travel}, waiting {value.waiting}), moved {value.moved} "
        f"(cost {value.move_cost}), not preferred {value.not_preferred}, "
        f"balance {value.balance} s, total {value.total:g}"
    )

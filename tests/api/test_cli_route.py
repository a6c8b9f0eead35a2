"""``aanhuis route solve|check``: output, exit codes, and one clear line for bad files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from routing.check import check
from routing.model import Solution
from routing.vroom import problem_from_vroom

DATA = Path(__file__).parents[1] / "routing" / "data"
INSTANCE = DATA / "small_instance.json"
SOLUTION = DATA / "small_solution.json"
ROOT = Path(__file__).parents[2]


def _solution() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SOLUTION.read_text())
    return data


def test_check_valid_solution(capsys: pytest.CaptureFixture[str]) -> None:
    """A valid solution: exit 0 and one OK line with routes, jobs served, unassigned and cost."""
    code = main(["route", "check", str(INSTANCE), str(SOLUTION)])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.splitlines() == ["OK: 2 routes, 4 jobs served, 1 unassigned, cost 45"]
    assert err == ""


def test_check_prints_each_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken solution: exit 1 and one line per violation, as the checker reports them."""
    broken = copy.deepcopy(_solution())
    broken["unassigned"] = []
    broken["routes"][0]["cost"] = 1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    code = main(["route", "check", str(INSTANCE), str(path)])
    out, _ = capsys.readouterr()
    expected = [str(v) for v in check(problem_from_vroom(json.loads(INSTANCE.read_text())), broken)]
    assert code == 1
    assert len(expected) >= 2
    assert out.splitlines() == expected


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("instance", "solution", "message"),
    [
        ("missing.json", "solution", "no such file"),
        ("instance", "missing.json", "no such file"),
        ("garbage", "solution", "not valid JSON"),
        ("instance", "garbage", "not valid JSON"),
        ("solution", "solution", "not a VROOM problem: 'vehicles'"),
        ("instance", "instance", "not a VROOM solution: 'routes' is required"),
        ("bad_job", "solution", "job 101: 'service'"),
        ("directory", "solution", "is a directory"),
    ],
)
def test_check_bad_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    instance: str,
    solution: str,
    message: str,
) -> None:
    """Missing, non-JSON or non-VROOM files: exit 2 and one clear line on stderr."""
    bad_job = json.loads(INSTANCE.read_text())
    bad_job["jobs"][0]["service"] = "half an hour"
    files = {
        "instance": INSTANCE,
        "solution": SOLUTION,
        "missing.json": tmp_path / "missing.json",
        "garbage": _write(tmp_path, "garbage.json", "{not json"),
        "bad_job": _write(tmp_path, "bad_job.json", json.dumps(bad_job)),
        "directory": tmp_path,
    }
    code = main(["route", "check", str(files[instance]), str(files[solution])])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err and err.startswith("aanhuis route check: ")


def test_bad_file_has_no_traceback(tmp_path: Path) -> None:
    """Run as a program, a bad file gives exactly one line on stderr, no traceback."""
    garbage = _write(tmp_path, "garbage.json", "[1, 2")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "route", "solve", str(garbage)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "not valid JSON" in result.stderr


def test_solve_prints_a_valid_solution(capsys: pytest.CaptureFixture[str]) -> None:
    """``solve`` prints VROOM output that the checker accepts, serving every reachable job."""
    code = main(["route", "solve", str(INSTANCE), "--time-limit", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    solution = json.loads(out)
    problem = problem_from_vroom(json.loads(INSTANCE.read_text()))
    assert check(problem, solution) == []
    assert solution["code"] == 0
    assert [u["id"] for u in solution["unassigned"]] == [104]  # 104 cannot be reached in time
    assert set(solution["summary"]) >= {"cost", "routes", "unassigned", "computing_times"}


def test_solve_passes_the_time_limit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--time-limit`` reaches the solver as ``SolveParams.time_limit``."""
    import routing.solver

    seen: list[float] = []

    def fake_solve(
        problem: Any, params: Any, initial: Any = None, *, timings: Any = None
    ) -> Solution:
        seen.append(params.time_limit)
        timings["total"] = 0.25
        return Solution((), tuple(v.id for v in problem.visits))

    monkeypatch.setattr(routing.solver, "solve", fake_solve)
    assert main(["route", "solve", str(INSTANCE), "--time-limit", "2.5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert seen == [2.5]
    assert out["summary"]["unassigned"] == 5 and out["routes"] == []
    # ``solving`` is the solve's own timing, in milliseconds, as VROOM reports it.
    assert out["summary"]["computing_times"]["solving"] == 250


def test_solve_with_a_mode_keeps_experts_and_check_reports_the_objective(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every job of the small instance has a current vehicle; ``--mode keep_experts`` keeps each
    with it, the solve reports its time within the limit, and ``check`` on an instance with
    the objective prints its terms on a second line."""
    data = json.loads(INSTANCE.read_text())
    current = {101: 1, 102: 1, 103: 1, 104: 2, 105: 2}
    for job in data["jobs"]:
        job["x_aanhuis"] = {"current_vehicle": current[job["id"]]}
    data["x_aanhuis"] = {"objective": {"mode": "keep_experts"}}
    instance = _write(tmp_path, "instance.json", json.dumps(data))
    assert (
        main(["route", "solve", str(instance), "--time-limit", "1", "--mode", "keep_experts"]) == 0
    )
    solution = json.loads(capsys.readouterr().out)
    assert solution["summary"]["computing_times"]["solving"] <= 1300
    served = {
        step["job"]: route["vehicle"]
        for route in solution["routes"]
        for step in route["steps"]
        if step["type"] == "job"
    }
    assert served and all(current[job] == vehicle for job, vehicle in served.items())
    path = _write(tmp_path, "solution.json", json.dumps(solution))
    assert main(["route", "check", str(instance), str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("OK: ")
    assert lines[1].startswith("objective (keep_experts): working ") and "moved 0 " in lines[1]


def test_solve_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``solve`` on a missing file: exit 2 and one line on stderr."""
    assert main(["route", "solve", str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aanhuis route solve: ") and "no such file" in err


@pytest.mark.parametrize("limit", ["0", "-1", "soon", "inf"])
def test_solve_rejects_bad_time_limit(limit: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A time limit that is not a positive number is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as info:
        main(["route", "solve", str(INSTANCE), "--time-limit", limit])
    assert info.value.code == 2
    assert "--time-limit" in capsys.readouterr().err

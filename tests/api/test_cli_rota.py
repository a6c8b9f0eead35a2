"""``aanhuis rota`` and ``aanhuis forecast`` on the demo (6 experts, 7 days booked) with
contracts and demand history, frozen at Monday 2 March 2026."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import SeedDemo

from api.cli import main
from api.settings import get_settings
from scheduler import demo
from scheduler.rota import service as rota
from scheduler.rota.models import RotaProposal
from scheduler.rota.problem import MinimumCover, Part
from scheduler.tenants.models import Municipality

NOW = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
SIZE = demo.DemoSize(experts=6, days=7, fill=0.3, addresses=300)


@pytest.fixture
def configured(
    seed_demo: SeedDemo,
    db_url: str,
    session: Session,
    frozen: object,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Municipality]:
    m = session.get_one(Municipality, seed_demo(SIZE, NOW))
    demo.fill_rota(session, m)
    demo.fill_demand(session, m)
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield m
    get_settings.cache_clear()


def test_rota_apply_prints_figures_and_writes(
    configured: Municipality, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """``rota --apply`` prints coverage and fairness before/after and applies the proposal."""
    code = main(
        [
            "rota",
            "--municipality",
            "demo",
            "--start",
            "2026-03-09",
            "--weeks",
            "2",
            "--time-limit",
            "5",
            "--apply",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "forecast covered (h)" in out and "evening_spread" in out
    assert "applied:" in out
    session.expire_all()
    (proposal,) = session.scalars(select(RotaProposal)).all()
    assert proposal.status == "applied"
    assert (
        f"applied: {sum(a['pattern'] != 'fixed' for a in proposal.result['assignments'])} shifts"
        in out
    )


def test_rota_infeasible_prints_the_reason_and_exits_1(
    configured: Municipality, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """An impossible minimum: exit 1 with the reason in words."""
    rota.replace_minimums(
        session, municipality=configured, minimums=[MinimumCover("wmo", Part.SATURDAY, 9)]
    )
    session.close()
    code = main(
        [
            "rota",
            "--municipality",
            "demo",
            "--start",
            "2026-03-09",
            "--weeks",
            "2",
            "--time-limit",
            "5",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "no further expert with skill wmo may work on Saturday" in out


def test_forecast_prints_weeks_and_backtest(
    configured: Municipality, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """``forecast`` prints one line per week and part, then the backtest against naive."""
    session.close()
    assert (
        main(["forecast", "--municipality", "demo", "--start", "2026-03-09", "--weeks", "2"]) == 0
    )
    out = capsys.readouterr().out
    assert out.count("\n") >= 1 + 2 * 4 + 1
    assert "backtest over" in out and "naive" in out


def test_reasons_about_an_expert_name_them_by_id_only() -> None:
    """Job logs hold no personal data: a reason about an expert prints their id, not the name
    the planner's pages show; a reason about a skill prints in words."""
    from api.commands.rota import _reason_line

    about_expert = {
        "rule": "contract_min",
        "week": 2,
        "expert_id": 7,
        "text": "Week 2: Lotte Bakker cannot work the contract's minimum of 28 hours",
        "loosen": "Raise the contract's tolerance_hours of Lotte Bakker.",
    }
    line = _reason_line(about_expert)
    assert "Lotte" not in line and "expert 7" in line and "week 2" in line
    about_skill = {
        "rule": "minimum_cover",
        "week": 1,
        "text": "Week 1: no further …",
        "loosen": "Raise …",
    }
    assert _reason_line(about_skill) == "Week 1: no further … Raise …"

"""The demo municipality: what it seeds must tell experts apart and show the way in."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from scheduler import demo
from scheduler.addresses.models import Address
from scheduler.booking.needs import skills_for


@pytest.mark.parametrize("n", [4, 12, 40])
def test_seeded_experts_have_names_of_their_own(n: int) -> None:
    """No two experts share a name (two "Lotte Bakker"s made the sick list ambiguous), and the
    names are the same for the same seed."""
    names = [e.name for e in demo.experts(random.Random(1), n)]
    assert len(set(names)) == n
    assert names == [e.name for e in demo.experts(random.Random(1), n)]


def test_some_wmo_consultants_speak_the_interpreter_languages() -> None:
    """The Wmo intake ties an interpreter to the language skill, and the demo has experts with
    it, so an interpreter need can be booked in the demo."""
    (wmo,) = [s for s in demo.SERVICES if s["code"] == "wmo-intake"]
    need_skills = wmo["need_skills"]
    assert isinstance(need_skills, dict)
    skill = skills_for(need_skills, [{"code": "interpreter", "detail": "ar"}])
    experts = demo.experts(random.Random(1), 12)
    assert skill == ["taal-ar"]
    assert any({"wmo", "taal-ar"} <= set(e.skills) for e in experts)


def test_the_demo_address_is_in_the_register(session: Session) -> None:
    """The address ``aanhuis demo`` prints is one of the municipality's own register."""
    m = demo.create_municipality(session, size=demo.DemoSize(experts=2, addresses=50))
    session.commit()
    home = demo.sample_address(session, m)
    assert home is not None and isinstance(home, Address)
    assert home.municipality_id == m.id

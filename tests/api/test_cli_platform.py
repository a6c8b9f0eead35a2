"""The platform commands of ``aanhuis``: db, seed, users, addresses."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from api.cli import main
from api.settings import get_settings
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role, User
from scheduler.addresses.models import Address
from scheduler.db import make_engine, make_sessionmaker
from scheduler.migrate import alembic_config

#: The smallest demo: two experts, one empty day, no history, no peers (seeding is not under test).
SMALL = ["--experts", "2", "--days", "1", "--fill", "0", "--history", "0", "--peers", "0"]
#: A little history and one peer, so the seed command's every step runs.
LITTLE_PAST = ["--history", "2", "--peers", "1"]


@pytest.fixture
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AANHUIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_seed_users_and_tokens(configured: str, capsys: pytest.CaptureFixture[str]) -> None:
    """seed --demo fills the database once; users create prints a working token last."""
    assert (
        main(["seed", "--demo", "--experts", "3", "--days", "2", "--fill", "0.2", *LITTLE_PAST])
        == 0
    )
    assert main(["seed", "--demo", "--experts", "3"]) == 1  # already there
    capsys.readouterr()
    assert (
        main(["users", "create", "--municipality", "demo", "--role", "planner", "--name", "P"]) == 0
    )
    token = capsys.readouterr().out.strip().splitlines()[-1]
    engine = make_engine(configured)
    with make_sessionmaker(engine)() as session:
        user = accounts.authenticate(session, token)
        assert user.role is Role.PLANNER and user.name == "P"
        assert user.token_hash != token  # stored hashed
        assert session.scalar(select(User).where(User.token_hash == token)) is None
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--municipality", "nope", "--role", "planner", "--name", "X"], "no municipality"),
        (["--role", "planner", "--name", "X"], "needs --municipality"),
        (["--municipality", "demo", "--role", "expert", "--name", "X"], "--expert"),
        (["--municipality", "demo", "--role", "expert", "--expert", "999", "--name", "X"], "999"),
    ],
)
def test_users_create_refuses_bad_input(
    configured: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Bad arguments give one clear line on stderr and exit code 2, and create nobody."""
    assert main(["seed", "--demo", *SMALL]) == 0
    capsys.readouterr()
    assert main(["users", "create", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_address_import(
    configured: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """addresses import reads a register CSV into the municipality; a broken file exits 2."""
    assert main(["seed", "--demo", *SMALL]) == 0
    good = tmp_path / "register.csv"
    good.write_text(
        "postcode,house_number,addition,street,city,lat,lon\n"
        "3581 AB,1,,Testlaan,Utrecht,52.09,5.13\n3581AB,3,b,Testlaan,Utrecht,52.0901,5.1301\n"
    )
    assert main(["addresses", "import", str(good), "--municipality", "demo"]) == 0
    engine = make_engine(configured)
    with make_sessionmaker(engine)() as session:
        found = session.scalars(select(Address).where(Address.postcode == "3581AB")).all()
        assert sorted((a.house_number, a.addition) for a in found) == [(1, ""), (3, "B")]
    engine.dispose()
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,house_number\n3581AB,1\n")
    capsys.readouterr()
    assert main(["addresses", "import", str(bad), "--municipality", "demo"]) == 2
    assert "column" in capsys.readouterr().err
    assert (
        main(["addresses", "import", str(tmp_path / "missing.csv"), "--municipality", "demo"]) == 2
    )


def test_db_upgrade_and_current(configured: str, capsys: pytest.CaptureFixture[str]) -> None:
    """db upgrade is idempotent and db current names the newest revision."""
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    head = ScriptDirectory.from_config(alembic_config(configured)).get_current_head()
    assert head is not None and int(head) >= 3
    assert out.splitlines()[-1] == head

"""``AANHUIS_SECRET_KEY``: required to serve a public site, written by ``aanhuis demo``."""

from __future__ import annotations

import pathlib

import pytest
from pydantic import ValidationError

from api.commands import server
from api.settings import Settings
from scheduler.security import OFFER_SIGNING


def test_serve_refuses_a_public_site_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a public base URL serving without the secret stops with a message naming it."""
    monkeypatch.delenv("AANHUIS_SECRET_KEY", raising=False)
    settings = Settings(base_url="https://aanhuis.example", secret_key=None)
    with pytest.raises(SystemExit, match="AANHUIS_SECRET_KEY"):
        server.ensure_secret(settings)


def test_serve_on_loopback_makes_one_secret_for_all_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On loopback a random secret goes into the environment the worker processes inherit."""
    monkeypatch.delenv("AANHUIS_SECRET_KEY", raising=False)
    server.ensure_secret(Settings(base_url="http://127.0.0.1:8000", secret_key=None))
    first = Settings(base_url="http://127.0.0.1:8000").secret_key
    assert first is not None and len(first.get_secret_value()) >= 32
    server.ensure_secret(Settings(base_url="http://127.0.0.1:8000"))
    assert Settings().secret_key == first  # not replaced by a second call


def test_demo_writes_a_secret_once(tmp_path: pathlib.Path) -> None:
    """The demo adds a random secret to .env when missing and keeps what is there."""
    env = tmp_path / ".env"
    env.write_text("AANHUIS_DATABASE_URL=sqlite:///x.sqlite3")
    assert server.write_secret(env)
    lines = env.read_text().splitlines()
    assert lines[0] == "AANHUIS_DATABASE_URL=sqlite:///x.sqlite3"
    secret = lines[1].removeprefix("AANHUIS_SECRET_KEY=")
    assert len(secret) == 64
    assert not server.write_secret(env)
    assert env.read_text().splitlines()[1] == lines[1]


def test_a_short_secret_is_refused() -> None:
    """A guessable secret is a configuration error, not a weak key."""
    with pytest.raises(ValidationError):
        Settings(secret_key="short")


def test_settings_derive_purpose_keys() -> None:
    """The settings give each purpose its key from the configured secret."""
    a = Settings(secret_key="x" * 40)
    b = Settings(secret_key="y" * 40)
    assert a.key(OFFER_SIGNING) != b.key(OFFER_SIGNING)
    assert a.key(OFFER_SIGNING) == Settings(secret_key="x" * 40).key(OFFER_SIGNING)

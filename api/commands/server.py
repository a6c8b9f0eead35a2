"""``aanhuis serve`` and ``aanhuis demo``."""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import shutil
import tempfile
import threading

import uvicorn

from api import logging_config
from api.commands.seed import DEMO_SLUG, seed_demo
from api.settings import Settings, get_settings
from scheduler import demo, migrate
from scheduler.accounts import service as accounts
from scheduler.accounts.models import Role
from scheduler.day import shifts as day_shifts
from scheduler.db import make_engine, make_sessionmaker, transaction
from scheduler.notify.templates import format_postcode
from scheduler.tenants import service as tenants


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=_serve)
    run_demo = subparsers.add_parser(
        "demo", help="migrate, seed the demo when empty, and serve on 127.0.0.1"
    )
    run_demo.add_argument("--port", type=int, default=8000)
    run_demo.set_defaults(handler=_demo)


class MissingSecret(SystemExit):
    """``serve`` on a public base URL without ``AANHUIS_SECRET_KEY``."""


def ensure_secret(settings: Settings) -> None:
    """Refuse to serve a public site without the application secret.

    On a loopback base URL (a developer's machine, tests) a random secret is made for this run and
    put in the environment, so every worker process derives the same keys from it.
    """
    if settings.secret_key is not None or os.environ.get("AANHUIS_SECRET_KEY"):
        return
    if not settings.base_url_is_loopback:
        raise MissingSecret(
            "AANHUIS_SECRET_KEY is not set. Set it to a long random value (e.g. `openssl rand "
            "-hex 32`) in the environment or .env; every worker and machine needs the same one."
        )
    os.environ["AANHUIS_SECRET_KEY"] = secrets.token_hex(32)
    get_settings.cache_clear()


def write_secret(env_file: pathlib.Path) -> bool:
    """Add a random ``AANHUIS_SECRET_KEY`` to ``env_file`` when it has none (True when added)."""
    text = env_file.read_text() if env_file.exists() else ""
    if any(line.strip().startswith("AANHUIS_SECRET_KEY=") for line in text.splitlines()):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    text += f"AANHUIS_SECRET_KEY={secrets.token_hex(32)}\n"
    env_file.write_text(text)
    env_file.chmod(0o600)
    return True


def metrics_dir(workers: int) -> str | None:
    """With several worker processes the metrics are shared through files in a directory of
    their own (prometheus-client's multi-process mode): a fresh one unless one is configured.
    Returns the directory this run made (to remove afterwards)."""
    if workers <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    made = tempfile.mkdtemp(prefix="aanhuis-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made


def serve(host: str, port: int, workers: int) -> None:
    ensure_secret(get_settings())
    made = metrics_dir(workers)
    # One logging configuration (JSON lines, no personal data) that uvicorn applies in the main
    # process and in every worker process it starts. uvicorn's own access log prints raw paths
    # and query strings, which may hold tokens; the app logs route templates instead
    # (api.middleware.AccessLog).
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
        log_config=logging_config.dict_config(get_settings().log_level),
    )
    if made:
        shutil.rmtree(made, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    ensure_secret(get_settings())
    migrate.upgrade(get_settings().database_url)
    serve(args.host, args.port, args.workers)
    return 0


def _demo(args: argparse.Namespace) -> int:
    if write_secret(pathlib.Path(".env")):
        print("wrote a random AANHUIS_SECRET_KEY to .env")
    # Messages count as sent inside the demo and show on /demo/berichten.
    os.environ.setdefault("AANHUIS_DEMO_MESSAGES", "true")
    get_settings.cache_clear()
    settings = get_settings()
    url = settings.database_url
    print(f"database: {url}")
    migrate.upgrade(url)
    if seed_demo(url, demo.DemoSize(), history=28, peers=3):
        print("demo municipality created")
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        municipality = tenants.get_by_slug(session, DEMO_SLUG)
        _, planner_token = accounts.ensure_user(
            session, name="Demo planner", role=Role.PLANNER, municipality=municipality
        )
        expert = day_shifts.get_experts(session, municipality=municipality)[0]
        home = demo.sample_address(session, municipality)
        address = (
            f"{format_postcode(home.postcode)}, house number {home.house_number}"
            f" ({home.street}, {home.city})"
            if home is not None
            else "(the register is empty)"
        )
        _, expert_token = accounts.ensure_user(
            session,
            name=f"Demo expert ({expert.name})",
            role=Role.EXPERT,
            municipality=municipality,
            expert_id=expert.id,
        )
    engine.dispose()
    base = f"http://127.0.0.1:{args.port}"
    print(
        f"""
Aan Huis demo is starting on {base}

  Citizens book a visit:   {base}/{DEMO_SLUG}/
  A demo address to try:   {address}
  Planner pages:           {base}/planner/{DEMO_SLUG}/   (sign in with the planner token)
  Expert route app:        {base}/expert/                (sign in with the expert token)
  API documentation:       {base}/api/docs
  Messages sent (demo):    {base}/demo-berichten      (SMS, e-mail and letters, by channel)

  Planner token: {planner_token}
  Expert token:  {expert_token}
"""
    )
    # The worker runs in-process: queued optimisations (the planner's "optimise" button opens a
    # proposal by itself), reminders, the waiting list, the freeze, "on the way", sending.
    from api.commands.worker import _work

    worker = argparse.Namespace(once=False, poll=1.0, reminders_every=900.0)
    threading.Thread(target=_work, args=(worker,), name="demo-worker", daemon=True).start()
    serve("127.0.0.1", args.port, 1)
    return 0

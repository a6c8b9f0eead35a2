"""``aanhuis serve`` and ``aanhuis demo``."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from api.commands.seed import DEMO_SLUG, seed_demo
from api.settings import get_settings
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


def _logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def serve(host: str, port: int, workers: int) -> None:
    _logging()
    # uvicorn's own access log prints raw paths and query strings, which may hold tokens; the
    # app logs route templates instead (api.app.AccessLog).
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
    )


def _serve(args: argparse.Namespace) -> int:
    migrate.upgrade(get_settings().database_url)
    serve(args.host, args.port, args.workers)
    return 0


def _demo(args: argparse.Namespace) -> int:
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

  Planner token: {planner_token}
  Expert token:  {expert_token}
"""
    )
    serve("127.0.0.1", args.port, 1)
    return 0

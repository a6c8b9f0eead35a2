"""The FastAPI application factory."""

from __future__ import annotations

import importlib
import logging
import pathlib
import time

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import lookup_limit, problems
from api.routers import ROUTERS
from api.settings import Settings, get_settings
from scheduler.db import make_engine, make_sessionmaker

log = logging.getLogger("aanhuis.access")

ROOT = pathlib.Path(__file__).resolve().parent
STATIC = ROOT / "static"

DESCRIPTION = """
Aan Huis books home visits by municipal experts in arrival windows they can really make, and plans
their days. Times are ISO 8601 with the municipality's offset. Errors are RFC 9457
`application/problem+json`.
"""


def node_modules(settings: Settings) -> pathlib.Path | None:
    """Where the npm packages are installed (``make install`` puts them next to the project)."""
    candidates = [pathlib.Path(settings.assets_dir)] if settings.assets_dir else []
    candidates += [ROOT.parent / "node_modules", pathlib.Path.cwd() / "node_modules"]
    return next((c for c in candidates if c.is_dir()), None)


class AccessLog:
    """Logs method, route template, status and time: never the raw path, query or body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unrouted)"
            took = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], template, status, took)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Aan Huis",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_sessionmaker(engine, read_only=True)
    problems.install(app)
    lookup_limit.install(app)
    for name in ROUTERS:
        module = importlib.import_module(f"api.routers.{name}")
        app.include_router(module.router)
    app.mount("/assets/app", StaticFiles(directory=STATIC), name="static")
    npm = node_modules(settings)
    if npm is not None:
        app.mount("/assets/npm", StaticFiles(directory=npm), name="npm")
    app.add_middleware(AccessLog)
    problems.document_problems(app)
    return app

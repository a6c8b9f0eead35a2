"""The FastAPI application factory."""

from __future__ import annotations

import importlib
import pathlib

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from api import metrics, problems
from api.audit import Trace
from api.middleware import AccessLog, RejectControlCharacters
from api.ratelimit import RateLimits
from api.routers import ROUTERS
from api.settings import Settings, get_settings
from scheduler.db import make_engine, make_sessionmaker

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


#: Files of the npm tree that are nobody's business: manifests and lock files name every package
#: and version (a map for attackers), dotfiles are tooling state.
PRIVATE_NAMES = frozenset(
    {"package.json", "package-lock.json", ".package-lock.json", "npm-shrinkwrap.json", "yarn.lock"}
)


class PublicFiles(StaticFiles):
    """Static files without the package manifests, lock files and dotfiles."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = pathlib.PurePosixPath(path).parts
        if any(p in PRIVATE_NAMES or p.startswith(".") for p in parts):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


SWAGGER = "/assets/npm/swagger-ui-dist"


def _docs(app: FastAPI) -> None:
    """Swagger UI at ``/api/docs``, from the ``swagger-ui-dist`` npm package (works offline)."""

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Aan Huis API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    app = FastAPI(
        title="Aan Huis",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # served below from the npm package, never from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_sessionmaker(engine, read_only=True)
    app.state.rate_limits = RateLimits(settings)
    problems.install(app)
    _docs(app)
    app.include_router(metrics.router)
    for name in ROUTERS:
        module = importlib.import_module(f"api.routers.{name}")
        app.include_router(module.router)
    app.mount("/assets/app", StaticFiles(directory=STATIC), name="static")
    npm = node_modules(settings)
    if npm is not None:
        app.mount("/assets/npm", PublicFiles(directory=npm), name="npm")
    app.add_middleware(Trace)
    app.add_middleware(RejectControlCharacters)
    app.add_middleware(AccessLog)
    problems.document_problems(app)
    return app

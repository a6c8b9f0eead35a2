"""RFC 9457 problem details: every error response is ``application/problem+json``.

Domain errors are mapped to HTTP statuses here and nowhere else. Unexpected errors become a plain
500 without internals; the log line names the route template, never the raw path or body, so no
personal data reaches the logs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.ratelimit import TooManyRequests
from scheduler import errors
from scheduler.booking.schemas import OfferRead

log = logging.getLogger("aanhuis.api")

PROBLEM_JSON = "application/problem+json"

STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (errors.SlotTaken, 409),
    (errors.Conflict, 409),
    (errors.OfferExpired, 410),
    (errors.IdempotencyMismatch, 422),
    (errors.InvalidInput, 422),
    (errors.DomainError, 400),
]

TITLES_NL = {
    "Request cannot be handled": "Dit verzoek kan niet worden verwerkt",
    "Not found": "Niet gevonden",
    "Invalid input": "Ongeldige invoer",
    "Address outside the municipality": "Adres buiten de gemeente",
    "Unknown address": "Onbekend adres",
    "Conflict": "Conflict",
    "This time is no longer available": "Deze tijd is niet meer beschikbaar",
    "This change would break booked visits": "Deze wijziging raakt geboekte afspraken",
    "This offer has expired": "Dit aanbod is verlopen",
    "Idempotency key reused for a different request": (
        "Idempotency-Key al gebruikt voor iets anders"
    ),
    "Not allowed": "Geen toegang",
    "Not signed in": "Niet aangemeld",
    "Validation failed": "Controleer de invoer",
    "Internal error": "Interne fout",
}


def status_of(exc: errors.DomainError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def prefers_dutch(request: Request) -> bool:
    """Dutch unless the client asks for English first (Accept-Language)."""
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        lang = part.split(";")[0].strip().lower()
        if lang.startswith("nl"):
            return True
        if lang.startswith("en"):
            return False
    return True


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(jsonable_encoder(extra))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def too_many_requests(request: Request, exc: TooManyRequests) -> JSONResponse:
    """429 with ``Retry-After``; the same body whatever was asked for (no existence oracle)."""
    nl = prefers_dutch(request)
    return problem(
        429,
        "Te veel verzoeken" if nl else "Too many requests",
        f"Probeer het over {exc.retry_after} seconden opnieuw."
        if nl
        else f"Try again in {exc.retry_after} seconds.",
        headers={"Retry-After": str(exc.retry_after)},
    )


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into problem+json."""

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        nl = prefers_dutch(request)
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        title = TITLES_NL.get(exc.title, exc.title) if nl else exc.title
        return problem(
            status, title, exc.detail_nl if nl else exc.detail, headers=headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        nl = prefers_dutch(request)
        issues = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        detail = "Niet alles is goed ingevuld." if nl else "Some fields are missing or invalid."
        title = "Controleer de invoer" if nl else "Validation failed"
        return problem(422, title, detail, errors=issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        title = {404: "Not found", 405: "Method not allowed", 401: "Not signed in"}.get(
            exc.status_code, "Request cannot be handled"
        )
        if prefers_dutch(request):
            title = TITLES_NL.get(title, title)
        return problem(exc.status_code, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(TooManyRequests)
    async def _too_many(request: Request, exc: TooManyRequests) -> JSONResponse:
        return too_many_requests(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        where = getattr(route, "path", "?")
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, where)
        return problem(500, "Internal error", "Something went wrong on our side.")


#: Statuses every API operation may answer with a problem document (over-declaring a status a
#: route never uses is harmless; an undeclared one breaks clients generated from the document).
API_PROBLEM_STATUSES = ("400", "401", "403", "404", "409", "410", "422", "429")


def document_problems(app: FastAPI) -> None:
    """Declare problem+json error responses on every ``/api/`` operation of the OpenAPI document.

    Routes that declare their own problem responses keep them; the rest get the statuses above,
    and FastAPI's default ``application/json`` 422 (which this app never sends: validation errors
    go out as problem+json, see :func:`install`) is replaced.
    """
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        problem = problem_schema()
        for path, operations in schema.get("paths", {}).items():
            # Every route may refuse control characters in its URL (api.middleware): 400.
            codes = API_PROBLEM_STATUSES if path.startswith("/api/") else ("400",)
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code in codes:
                    content = responses.get(code, {}).get("content", {})
                    if "application/problem+json" in content:
                        continue
                    responses[code] = {
                        "description": "A problem (RFC 9457).",
                        "content": {"application/problem+json": {"schema": problem}},
                    }
        schema.setdefault("components", {}).setdefault("schemas", {}).pop(
            "HTTPValidationError", None
        )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: ``title`` and ``detail`` follow Accept-Language (Dutch by default).

    A booking or move that can no longer be kept (409) or whose offer expired (410) carries
    ``alternatives``: fresh offers for the same service and address. A refused field names itself
    in ``field``; a request that does not match the schema lists ``errors``.
    """

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    field: str | None = None
    errors: list[dict[str, str]] | None = None
    alternatives: list[OfferRead] | None = None


_PROBLEM_TEXT = {
    400: "The request body cannot be read (not JSON).",
    401: "No or a wrong token: send `Authorization: Bearer <token>`.",
    403: "The token is valid but may not do this here.",
    404: "Not found.",
    409: "Conflicts with the current state; a window that was taken comes with `alternatives`.",
    410: "The offer expired; comes with `alternatives`.",
    422: "The input is invalid (unknown postcode, address outside the municipality, …).",
}


def problem_schema() -> dict[str, Any]:
    """The JSON schema of :class:`ProblemDetails` with its references into the OpenAPI document.

    ``OfferRead`` is a component of every app that serves offers, so the reference resolves.
    """
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status as ``application/problem+json``."""
    schema = problem_schema()
    return {
        code: {
            "description": _PROBLEM_TEXT.get(code, "A problem."),
            "content": {"application/problem+json": {"schema": schema}},
        }
        for code in codes
    }

"""ASGI middleware around the whole app: request ids, the access log, control characters.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streaming responses and background tasks are
untouched and the cost per request stays a few microseconds.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from api.logging_config import request_id

log = logging.getLogger("aanhuis.access")

REQUEST_ID_HEADER = b"x-request-id"
#: A request id a proxy in front may pass on; anything else is replaced by our own.
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{8,64}$")


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/bookings/{reference}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if scope.get("app_root_path") is not None and scope.get("root_path"):
        return f"{scope['root_path']}/…"  # a mount (static files)
    return "(unrouted)"


class AccessLog:
    """Gives each request an id and logs method, route template, status and time.

    The id comes from a proxy's ``X-Request-ID`` when it looks like one, or is made here; it is
    in every log line written while the request is handled and in the response's ``X-Request-ID``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER)
        rid = given.decode() if given and _REQUEST_ID.match(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            template = route_template(scope)
            took = round((time.perf_counter() - started) * 1000, 1)
            metrics.observe(scope["method"], template, status, took / 1000)
            log.info(
                "%s %s %d %.1fms",
                scope["method"],
                template,
                status,
                took,
                extra={
                    "method": scope["method"],
                    "route": template,
                    "status": status,
                    "duration_ms": took,
                },
            )
            request_id.reset(token)


#: Control characters no path, query or form value may hold (C0 except tab, line feed and carriage
#: return, and DEL). PostgreSQL refuses NUL in text outright; the others end up in e-mail headers,
#: calendar files and logs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: In a path or query there is no place for a line break or tab either.
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
#: A NUL escaped in a JSON body (``\u0000``): JSON schemas check the rest per field.
_JSON_NUL = re.compile(rb"\\u0000")
#: Bodies are read in full only up to this size to look for control characters.
MAX_INSPECTED_BODY = 1_000_000


def has_control_characters(text: str, *, url: bool = False) -> bool:
    """True when ``text`` holds a character no field may contain."""
    return bool((_CONTROL_IN_URL if url else _CONTROL).search(text))


class RejectControlCharacters:
    """Answers 400 to a request whose path, query or form or JSON body holds control characters.

    The API gets a problem document, pages the 400 error page; nothing reaches a handler or the
    database. Checked in one place for every route instead of per parameter.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
        if has_control_characters(scope["path"], url=True) or has_control_characters(
            query, url=True
        ):
            await _refuse(scope, receive, send)
            return
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or kind not in (
            b"application/json",
            b"application/x-www-form-urlencoded",
        ):
            await self.app(scope, receive, send)
            return
        body, more, replay = await _read_body(receive)
        if more is None and _body_has_control(kind, body):
            await _refuse(scope, replay, send)
            return
        await self.app(scope, replay, send)


def _body_has_control(kind: bytes, body: bytes) -> bool:
    if kind == b"application/json":
        return bool(_JSON_NUL.search(body)) or b"\x00" in body
    return has_control_characters(unquote_plus(body.decode("utf-8", "replace")))


async def _read_body(receive: Receive) -> tuple[bytes, Message | None, Receive]:
    """The body (up to :data:`MAX_INSPECTED_BODY`) and a ``receive`` that replays it."""
    chunks: list[Message] = []
    size = 0
    pending: Message | None = None
    while True:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request":
            pending = message
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
        if size > MAX_INSPECTED_BODY:
            pending = message  # too large to inspect: passed on untouched
            break
    body = b"".join(m.get("body", b"") for m in chunks if m["type"] == "http.request")
    queue = list(chunks)

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return body, pending, replay


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    from starlette.requests import Request

    from api.problems import prefers_dutch, problem

    request = Request(scope, receive)
    wants_page = not scope["path"].startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )
    if wants_page:
        from api.web.rendering import error_page
        from scheduler.errors import DomainError

        response: Any = error_page(
            request,
            DomainError(
                "The request holds characters that are not allowed.",
                nl="Het verzoek bevat tekens die niet zijn toegestaan.",
            ),
        )
    else:
        nl = prefers_dutch(request)
        response = problem(
            400,
            "Ongeldige invoer" if nl else "Invalid input",
            "Het verzoek bevat stuurtekens (zoals NUL) die niet zijn toegestaan."
            if nl
            else "The request holds control characters (such as NUL), which are not allowed.",
        )
    await response(scope, receive, send)

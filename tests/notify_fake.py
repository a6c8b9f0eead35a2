"""A Notify-compatible fake: a real local HTTP server speaking GOV.UK Notify's (and NotifyNL's)
v2 API, for tests of the code that sends through ``notifications-python-client``.

What it checks, as Notify does:

* every request carries ``Authorization: Bearer <JWT>``, HS256-signed with the API key's secret,
  ``iss`` = the service id and ``iat`` within 30 seconds of now; otherwise 403 ``AuthError``;
* ``POST /v2/notifications/sms`` and ``/email`` name a known template of that type and give every
  placeholder of it (400 ``BadRequestError`` "Missing personalisation: …");
* ``POST /v2/notifications/letter`` with ``content`` is a precompiled letter: a PDF, A4 portrait,
  at most 10 pages and 2 MB, with a reference;
* more than ``rate_limit`` sends answer 429 ``RateLimitError``; queued ``failures`` (status
  codes) answer the next sends first (to test retries);
* ``GET /v2/notifications/{id}`` returns the notification in Notify's shape, and
  ``GET /v2/notifications?reference=…`` the ones sent with that reference.

Answers have Notify's response shapes. :meth:`FakeNotify.callback` builds the delivery receipt
Notify posts to a service's callback URL, and posts it with the callback's bearer token.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from pypdf import PdfReader

PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
A4 = (595.28, 841.89)  # points


@dataclass
class Template:
    id: str
    type: str  # sms | email
    body: str
    subject: str = ""

    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.body + self.subject))

    def fill(self, values: dict[str, Any]) -> tuple[str, str]:
        def sub(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

        return sub(self.body), sub(self.subject)


@dataclass
class FakeNotify:
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    templates: dict[str, Template] = field(default_factory=dict)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every request: (method, path, JWT claims or None, JSON body or None, answer status).
    requests: list[tuple[str, str, dict[str, Any] | None, Any, int]] = field(default_factory=list)
    #: Status codes the next sends answer with, first in first out (429, 500, …).
    failures: list[int] = field(default_factory=list)
    #: Sends allowed before every further one answers 429 (None: no limit).
    rate_limit: int | None = None
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_key(self) -> str:
        """The standard ``{name}-{service id}-{secret}`` key."""
        return f"aanhuis_test-{self.service_id}-{self.secret}"

    def add_template(self, type_: str, body: str, subject: str = "") -> str:
        template = Template(id=str(uuid.uuid4()), type=type_, body=body, subject=subject)
        self.templates[template.id] = template
        return template.id

    def sent(self, type_: str | None = None) -> list[dict[str, Any]]:
        """The notifications accepted, oldest first (of one type when given)."""
        return [n for n in self.notifications.values() if type_ in (None, n["type"])]

    # -- the API -----------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        claims = self._auth(headers.get("authorization", ""))
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return 400, _error(400, "BadRequestError", "Invalid JSON")
        with self.lock:
            status, answer = self._route(method, path, claims, body)
            self.requests.append((method, path, claims, body, status))
        return status, answer

    def _auth(self, header: str) -> dict[str, Any] | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.secret, algorithms=["HS256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError:
            return None
        if claims.get("iss") != self.service_id:
            return None
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or abs(time.time() - iat) > 30:
            return None
        return claims

    def _route(
        self, method: str, path: str, claims: dict[str, Any] | None, body: Any
    ) -> tuple[int, Any]:
        if claims is None:
            return 403, _error(403, "AuthError", "Invalid token: signature, api token not found")
        if method == "GET" and path.startswith("/v2/notifications?"):
            query = parse_qs(urlsplit(path).query)
            wanted = query.get("reference", [None])[0]
            found = [
                {k: v for k, v in n.items() if k != "pdf"}
                for n in reversed(self.notifications.values())
                if wanted is None or n.get("reference") == wanted
            ]
            return 200, {"notifications": found, "links": {"current": path}}
        if method == "GET":
            match = re.fullmatch(r"/v2/notifications/([0-9a-f-]{36})", path)
            if match and match.group(1) in self.notifications:
                return 200, self.notifications[match.group(1)]
            return 404, _error(404, "NoResultFound", "No result found")
        kinds = {f"/v2/notifications/{t}": t for t in ("sms", "email", "letter")}
        if method != "POST" or path not in kinds:
            return 404, _error(404, "NotFound", "Not found")
        if self.failures:
            code = self.failures.pop(0)
            return code, _error(code, "RateLimitError" if code == 429 else "Error", "try later")
        if self.rate_limit is not None and len(self.notifications) >= self.rate_limit:
            return 429, _error(429, "RateLimitError", "Exceeded rate limit for key type LIVE")
        if not isinstance(body, dict):
            return 400, _error(400, "ValidationError", "body must be an object")
        return self._send(kinds[path], body)

    def _send(self, type_: str, body: dict[str, Any]) -> tuple[int, Any]:
        notification_id = str(uuid.uuid4())
        reference = body.get("reference")
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        if type_ == "letter" and "content" in body:
            problem = _check_precompiled(body)
            if problem:
                return 400, _error(400, "ValidationError", problem)
            self.notifications[notification_id] = {
                "id": notification_id,
                "reference": reference,
                "type": "letter",
                "status": "accepted",
                "postage": body.get("postage", "second"),
                "pdf": base64.b64decode(body["content"]),
                "created_at": now,
            }
            return 201, {"id": notification_id, "reference": reference, "postage": "second"}
        template = self.templates.get(str(body.get("template_id")))
        if template is None or template.type != type_:
            return 400, _error(400, "BadRequestError", "Template not found")
        to_field = "phone_number" if type_ == "sms" else "email_address"
        if not body.get(to_field):
            return 400, _error(400, "ValidationError", f"{to_field} is a required property")
        values = body.get("personalisation") or {}
        missing = sorted(template.placeholders() - set(values))
        if missing:
            return 400, _error(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        text, subject = template.fill(values)
        self.notifications[notification_id] = {
            "id": notification_id,
            "reference": reference,
            "type": type_,
            "status": "created",
            "phone_number": body.get("phone_number"),
            "email_address": body.get("email_address"),
            "template": {"id": template.id, "version": 1, "uri": f"/v2/template/{template.id}"},
            "body": text,
            "subject": subject or None,
            "created_at": now,
            "sent_at": None,
            "completed_at": None,
        }
        content: dict[str, Any] = {"body": text}
        if type_ == "sms":
            content["from_number"] = "Gemeente"
        else:
            content.update(subject=subject, from_email="gemeente@notify.example")
        return 201, {
            "id": notification_id,
            "reference": reference,
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {"id": template.id, "version": 1, "uri": f"/v2/template/{template.id}"},
            "scheduled_for": None,
        }

    def callback(
        self,
        notification_id: str,
        status: str,
        post: Callable[[str, dict[str, Any], dict[str, str]], Any],
        *,
        url: str,
        token: str,
    ) -> Any:
        """Post the delivery receipt Notify sends for ``notification_id`` with ``status``."""
        n = self.notifications[notification_id]
        n["status"] = status
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        payload = {
            "id": notification_id,
            "reference": n.get("reference"),
            "to": n.get("phone_number") or n.get("email_address"),
            "status": status,
            "created_at": n["created_at"],
            "completed_at": stamp,
            "sent_at": stamp,
            "notification_type": n["type"],
        }
        return post(url, payload, {"Authorization": f"Bearer {token}"})


def _error(status: int, error: str, message: str) -> dict[str, Any]:
    return {"errors": [{"error": error, "message": message}], "status_code": status}


def _check_precompiled(body: dict[str, Any]) -> str | None:
    if not body.get("reference"):
        return "reference is a required property"
    try:
        pdf = base64.b64decode(body["content"], validate=True)
    except ValueError:
        return "content is not base64"
    if len(pdf) > 2 * 1024 * 1024:
        return "Letter content is too large (2MB)"
    if not pdf.startswith(b"%PDF"):
        return "Letter content is not a valid PDF"
    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) > 10:
        return "Letter too long: more than 10 pages"
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if abs(width - A4[0]) > 2 or abs(height - A4[1]) > 2:
            return "Letter is not A4 portrait"
    return None


@contextmanager
def running(fake: FakeNotify | None = None) -> Iterator[FakeNotify]:
    """The fake, listening on a free local port (``fake.url``) until the block ends."""
    fake = fake or FakeNotify()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = fake.handle(self.command, self.path, headers, raw)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve  # noqa: N815 (http.server's names)
        do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests carry phone numbers: never printed

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()

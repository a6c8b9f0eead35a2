"""Sending through NotifyNL (GOV.UK Notify's API) with the official ``notifications-python-client``.

Each municipality has its own Notify service, so a :class:`NotifyRoutes` maps municipality slugs
to a :class:`NotifyGateway` (with a default for the rest). Every text is sent through a *generic*
template whose only placeholders are ``((body))`` (SMS and e-mail) and ``((subject))`` (e-mail);
a per-kind template (``sms:confirmation`` …) may replace it, with the same placeholders. Letters
are precompiled: the PDF drawn by :mod:`scheduler.notify.letters`.

Errors become :class:`NotifyFailed` with the HTTP status only (Notify's message may quote the
phone number or address): 429 and 5xx (and a connection failure) are worth retrying, 400 is not.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

#: NotifyNL's API (GOV.UK Notify's v2 API, run for Dutch government).
NOTIFYNL_URL = "https://api.notifynl.nl"
TIMEOUT = 20


class NotifyFailed(Exception):
    """Notify refused or could not be reached; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"Notify answered {status}" if status else "Notify not reached")
        self.status = status

    @property
    def permanent(self) -> bool:
        """Retrying cannot help: the request itself was refused (a bad number, a bad letter)."""
        return self.status == 400


@dataclass(frozen=True)
class NotifyConfig:
    api_key: str
    base_url: str = NOTIFYNL_URL
    sms_template: str | None = None
    email_template: str | None = None
    #: ``{"sms:confirmation": "<template id>", "email:on_the_way": …}``
    kind_templates: Mapping[str, str] = field(default_factory=dict)


class NotifyGateway:
    """One Notify service: sends an SMS, an e-mail or a precompiled letter, returns Notify's id."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            config.api_key, base_url=config.base_url, timeout=TIMEOUT
        )

    def template(self, channel: str, kind: str) -> str | None:
        """The template for ``kind`` on ``channel``: the per-kind one, else the generic one."""
        generic = self.config.sms_template if channel == "sms" else self.config.email_template
        return self.config.kind_templates.get(f"{channel}:{kind}") or generic

    def can_send(self, channel: str) -> bool:
        """Whether this service is set up for ``channel`` (letters need no template)."""
        if channel == "letter":
            return True
        if channel == "sms":
            return bool(self.config.sms_template or self._has_kind_template("sms"))
        if channel == "email":
            return bool(self.config.email_template or self._has_kind_template("email"))
        return False

    def _has_kind_template(self, channel: str) -> bool:
        return any(k.startswith(f"{channel}:") for k in self.config.kind_templates)

    def send_sms(self, *, phone: str, kind: str, body: str, reference: str) -> str:
        template = self.template("sms", kind)
        if template is None:
            raise NotifyFailed(400)
        return self._call(
            self.client.send_sms_notification,
            phone_number=phone,
            template_id=template,
            personalisation={"body": body},
            reference=reference,
        )

    def send_email(self, *, email: str, kind: str, subject: str, body: str, reference: str) -> str:
        template = self.template("email", kind)
        if template is None:
            raise NotifyFailed(400)
        return self._call(
            self.client.send_email_notification,
            email_address=email,
            template_id=template,
            personalisation={"subject": subject, "body": body},
            reference=reference,
        )

    def send_letter(self, *, pdf: bytes, reference: str) -> str:
        return self._call(
            self.client.send_precompiled_letter_notification,
            reference=reference,
            pdf_file=io.BytesIO(pdf),
        )

    def find(self, reference: str) -> str | None:
        """The id of a notification sent earlier with ``reference``, if Notify has one."""
        try:
            answer = self.client.get_all_notifications(reference=reference)  # type: ignore[no-untyped-call]
        except APIError as exc:
            raise NotifyFailed(exc.status_code if exc.status_code < 600 else 0) from None
        except OSError:
            raise NotifyFailed(0) from None
        found = answer.get("notifications") if isinstance(answer, dict) else None
        if not found:
            return None
        return str(found[0]["id"])

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> str:
        try:
            answer = method(**kwargs)
        except APIError as exc:
            status = exc.status_code
            raise NotifyFailed(status if isinstance(status, int) and status < 600 else 0) from None
        except OSError:
            raise NotifyFailed(0) from None
        if not isinstance(answer, dict) or not answer.get("id"):
            raise NotifyFailed(0)
        return str(answer["id"])


class Gateway(Protocol):
    """What the outbox sends through: a Notify service, or the demo's stand-in."""

    def can_send(self, channel: str) -> bool: ...

    def send_sms(self, *, phone: str, kind: str, body: str, reference: str) -> str: ...

    def send_email(
        self, *, email: str, kind: str, subject: str, body: str, reference: str
    ) -> str: ...

    def send_letter(self, *, pdf: bytes, reference: str) -> str: ...

    def find(self, reference: str) -> str | None: ...


class DemoGateway:
    """``aanhuis demo`` only: every message counts as delivered at once and nothing leaves the
    machine; the demo's message page shows them by channel."""

    def can_send(self, channel: str) -> bool:
        return channel in ("email", "sms", "letter")

    def send_sms(self, *, phone: str, kind: str, body: str, reference: str) -> str:
        return f"demo-{uuid.uuid4()}"

    def send_email(self, *, email: str, kind: str, subject: str, body: str, reference: str) -> str:
        return f"demo-{uuid.uuid4()}"

    def send_letter(self, *, pdf: bytes, reference: str) -> str:
        return f"demo-{uuid.uuid4()}"

    def find(self, reference: str) -> str | None:
        return None


@dataclass(frozen=True)
class NotifyRoutes:
    """The Notify service of each municipality: an override by slug, else the default."""

    default: Gateway | None = None
    by_slug: Mapping[str, Gateway] = field(default_factory=dict)

    def gateway(self, slug: str) -> Gateway | None:
        return self.by_slug.get(slug, self.default)

    def __bool__(self) -> bool:
        return self.default is not None or bool(self.by_slug)

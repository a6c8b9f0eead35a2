"""``aanhuis demo`` only: every message the outbox "sent", by channel (``/demo-berichten``).

So a newcomer sees the SMS texts, the e-mails and the letters the citizens would get. The page
exists only when ``AANHUIS_DEMO_MESSAGES`` is on (``aanhuis demo`` sets it); elsewhere it is a 404,
because it shows personal data without signing in.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from api.runtime import KeysDep
from api.web.rendering import PageDep, PageRoute
from scheduler import clock
from scheduler.errors import NotFound
from scheduler.notify import service as notify
from scheduler.notify.models import OutboxMessage

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PATH = "/demo-berichten"
SHOWN = 200


@dataclass(frozen=True)
class DemoMessage:
    id: int
    kind: str
    to: str
    subject: str
    text: str
    sent: str
    status: str


@router.get(PATH, response_class=HTMLResponse)
def demo_messages(
    page: PageDep, session: SessionDep, settings: SettingsDep, keys: KeysDep
) -> Response:
    """The newest messages, by channel (demo only)."""
    if not settings.demo_messages:
        raise NotFound("Not found.", nl="Niet gevonden.")
    t = page.t
    rows = session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(SHOWN)
    ).all()
    tz = clock.zone("Europe/Amsterdam")
    by_channel: dict[str, list[DemoMessage]] = {c: [] for c in ("sms", "email", "letter", "call")}
    for m in rows:
        try:
            text = notify.display_text(m, keys)
        except ValueError:
            text = ""
        by_channel.setdefault(m.channel, []).append(
            DemoMessage(
                id=m.id,
                kind=t(f"message.{m.kind}"),
                to=m.recipient or "",
                subject=m.subject,
                text=text,
                sent=m.sent_at.astimezone(tz).strftime("%d-%m %H:%M") if m.sent_at else "",
                status=m.delivery_status or "",
            )
        )
    return page.render("demo_messages.html", by_channel=by_channel)

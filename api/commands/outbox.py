"""``aanhuis outbox``: send queued messages and queue tomorrow's reminders (cron or a loop)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from sqlalchemy.orm import Session, sessionmaker

from api.runtime import keys_of, mailer, notify_routes
from api.settings import get_settings
from scheduler import clock
from scheduler.db import make_engine, make_sessionmaker, transaction
from scheduler.errors import DomainError
from scheduler.notify import service as outbox
from scheduler.tenants import service as tenants


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("outbox", help="send queued e-mails; queue reminders")
    sub = parser.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    send = sub.add_parser("send", help="send the messages that are due (SMTP settings needed)")
    send.add_argument(
        "--every", type=float, metavar="SECONDS", help="keep running, sending every SECONDS"
    )
    send.add_argument("--batch", type=int, default=50)
    send.set_defaults(handler=_send)
    remind = sub.add_parser("reminders", help="queue reminders for the visits of a day")
    remind.add_argument("--date", type=dt.date.fromisoformat, help="default: tomorrow")
    remind.add_argument("--municipality", help="slug (default: every municipality)")
    remind.set_defaults(handler=_reminders)


def _send(args: argparse.Namespace) -> int:
    settings = get_settings()
    smtp = mailer(settings)
    routes = notify_routes(settings)
    if smtp is None and routes is None:
        print(
            "error: set AANHUIS_SMTP_HOST or AANHUIS_NOTIFY_API_KEY to send messages",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        while True:
            sent = outbox.send_pending(
                sessions,
                smtp,
                now=clock.now(),
                batch=args.batch,
                keys=keys_of(settings),
                notify=routes,
            )
            print(f"sent {sent} message(s)", flush=True)
            if args.every is None:
                return 0
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()


def queue_reminders(
    sessions: sessionmaker[Session], *, base_url: str, date: dt.date | None, slug: str | None
) -> list[tuple[str, dt.date, int]]:
    """Queue the reminders of ``date`` (default: each municipality's tomorrow) for one or every
    municipality, in one transaction; per municipality its slug, the day and how many were new.
    Idempotent, so a loop may call it as often as it likes."""
    out = []
    with transaction(sessions) as session:
        chosen = [tenants.get_by_slug(session, slug)] if slug else list(tenants.get_all(session))
        for m in chosen:
            tz = clock.zone(m.timezone)
            day = date or clock.now().astimezone(tz).date() + dt.timedelta(days=1)
            queued = outbox.queue_reminders(session, municipality=m, day=day, base_url=base_url)
            out.append((m.slug, day, queued))
    return out


def _reminders(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        done = queue_reminders(
            make_sessionmaker(engine),
            base_url=settings.base_url,
            date=args.date,
            slug=args.municipality,
        )
        for slug, day, queued in done:
            print(f"{slug}: {queued} reminder(s) for {day.isoformat()}")
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0

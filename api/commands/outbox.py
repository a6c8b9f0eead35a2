"""``aanhuis outbox``: send queued messages and queue tomorrow's reminders (cron or a loop)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from api.runtime import mailer
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
    if smtp is None:
        print("error: set AANHUIS_SMTP_HOST to send e-mail", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    try:
        while True:
            sent = outbox.send_pending(sessions, smtp, now=clock.now(), batch=args.batch)
            print(f"sent {sent} message(s)", flush=True)
            if args.every is None:
                return 0
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()


def _reminders(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    total = 0
    try:
        with transaction(make_sessionmaker(engine)) as session:
            chosen = (
                [tenants.get_by_slug(session, args.municipality)]
                if args.municipality
                else list(tenants.get_all(session))
            )
            for m in chosen:
                tz = clock.zone(m.timezone)
                day = args.date or clock.now().astimezone(tz).date() + dt.timedelta(days=1)
                queued = outbox.queue_reminders(
                    session, municipality=m, day=day, base_url=settings.base_url
                )
                total += queued
                print(f"{m.slug}: {queued} reminder(s) for {day.isoformat()}")
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0

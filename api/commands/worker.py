"""``aanhuis worker``: the background process beside ``aanhuis serve``.

Each round it
1. runs the day optimisations and rota proposals queued through the API (``Prefer:
   respond-async``), oldest first;
2. queues tomorrow's reminders for every municipality (every ``--reminders-every`` seconds;
   idempotent, so several workers or a restart never queue one twice);
3. sweeps the waiting list: citizens waiting for an earlier time hear of one (inside
   ``AANHUIS_WAITLIST_HOURS``; a cancellation makes its waiting visits due at once, so the next
   round, seconds later, looks at them);
4. freezes the day plans whose freeze time has come (:mod:`scheduler.planning.lifecycle`):
   optimises each such day (``balanced``), applies it when the day did not change meanwhile, and
   marks it frozen, so the experts' routes are final;
5. queues "on the way" (and "running late") messages for visits the expert has started;
6. sends the messages that are due: e-mail over SMTP (``AANHUIS_SMTP_HOST``) or Notify, SMS
   and letters through Notify (``AANHUIS_NOTIFY_API_KEY``);
7. seals the access log's new records into its hash chain (``aanhuis audit``).

Then it sleeps ``--poll`` seconds; ``--once`` does one round and stops (cron, tests). Any number of
workers may run against one database, on any machine: each job and each message is claimed by
exactly one of them. It logs JSON lines (:mod:`api.logging_config`) naming counts and job ids only,
never personal data.
"""

from __future__ import annotations

import argparse
import logging
import time

from api import logging_config
from api.audit import keys as audit_keys
from api.commands.outbox import queue_reminders
from api.runtime import keys_of, mailer, notifier, notify_routes, travel_provider
from api.settings import get_settings
from scheduler import clock
from scheduler.audit import service as audit
from scheduler.db import make_engine, make_sessionmaker
from scheduler.notify import service as outbox
from scheduler.planning import jobs, lifecycle
from scheduler.rota import jobs as rota_jobs
from scheduler.usecases import live, waitlist

BATCH = 50
#: Seconds the optimisation at a day's freeze may take.
FREEZE_TIME_LIMIT = 10.0

log = logging.getLogger("aanhuis.worker")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``worker`` to the ``aanhuis`` command line."""
    parser = subparsers.add_parser(
        "worker",
        help="run queued day optimisations, queue reminders, sweep the waiting list, send due "
        "e-mail",
        description="The background process: queued day optimisations, tomorrow's reminders, "
        "the waiting list and, when SMTP is configured, the e-mail that is due.",
    )
    parser.add_argument("--once", action="store_true", help="one round, then stop")
    parser.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help="pause between rounds"
    )
    parser.add_argument(
        "--reminders-every",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="how often to queue tomorrow's reminders",
    )
    parser.set_defaults(handler=_work)


def _work(args: argparse.Namespace) -> int:
    settings = get_settings()
    logging_config.configure(settings.log_level)
    log.info("worker started", extra={"count": 0})
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    travel = travel_provider(settings)
    smtp = mailer(settings)
    routes = notify_routes(settings)
    last_reminders = float("-inf")
    try:
        while True:
            ran = jobs.run_pending(sessions, travel)
            if ran:
                log.info("ran %d optimisation job(s)", ran, extra={"count": ran})
            rotas = rota_jobs.run_pending(sessions, travel)
            if rotas:
                log.info("ran %d rota proposal(s)", rotas, extra={"count": rotas})
            if time.monotonic() - last_reminders >= args.reminders_every:
                last_reminders = time.monotonic()
                for slug, day, queued in queue_reminders(
                    sessions, base_url=settings.base_url, date=None, slug=None
                ):
                    if queued:
                        log.info("%s: %d reminder(s) for %s", slug, queued, day.isoformat())
            noticed = waitlist.sweep(
                sessions,
                travel=travel,
                notify=notifier(settings),
                hours=settings.waitlist_window,
                now=clock.now(),
            )
            if noticed:
                log.info("%d waiting-list notice(s) queued", noticed)
            frozen = lifecycle.freeze_due(
                sessions,
                travel,
                now=clock.now(),
                time_limit=min(settings.optimize_time_limit, FREEZE_TIME_LIMIT),
            )
            if frozen:
                log.info("froze %d day plan(s)", len(frozen), extra={"count": len(frozen)})
            live_queued = live.sweep(sessions, notify=notifier(settings), now=clock.now())
            if live_queued:
                log.info("%d live status message(s) queued", live_queued)
            if smtp is not None or routes is not None:
                sent = BATCH
                while sent == BATCH:
                    sent = outbox.send_pending(
                        sessions,
                        smtp,
                        now=clock.now(),
                        batch=BATCH,
                        keys=keys_of(settings),
                        notify=routes,
                    )
                    if sent:
                        log.info("sent %d message(s)", sent, extra={"count": sent})
            with sessions() as session:
                sealed = audit.seal(session, audit_keys(settings))
            if sealed:
                log.info("sealed %d audit record(s)", sealed, extra={"count": sealed})
            if args.once:
                return 0
            time.sleep(max(0.1, args.poll))
    except KeyboardInterrupt:
        return 0
    finally:
        engine.dispose()

"""Adapters chosen by configuration: travel times, geocoding, notifications.

Only ``api/`` reads settings; the domain gets ready-made adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, cast

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.orm import Session

from api.deps import SettingsDep
from api.settings import Settings, process_secret
from routing.travel import HaversineTravel, OsrmTravel, TravelTimeProvider
from scheduler import clock
from scheduler.booking.models import Visit
from scheduler.geocoding import Geocoder, GeopyGeocoder, RegisterGeocoder
from scheduler.notify.mailer import SmtpMailer
from scheduler.notify.notifynl import DemoGateway, NotifyConfig, NotifyGateway, NotifyRoutes
from scheduler.security import KeyRing
from scheduler.usecases.notifier import ExpertNotifier, Notifier


@lru_cache(maxsize=8)
def _travel(osrm_url: str | None) -> TravelTimeProvider:
    if osrm_url:
        return OsrmTravel(osrm_url)
    return HaversineTravel()


def travel_provider(settings: Settings) -> TravelTimeProvider:
    """OSRM road times when an OSRM URL is configured, haversine estimates otherwise."""
    return _travel(settings.osrm_url)


def geocoder(settings: Settings) -> Geocoder:
    if settings.geocoder == "nominatim":
        return GeopyGeocoder.nominatim(
            user_agent=settings.nominatim_user_agent, domain=settings.nominatim_url
        )
    return RegisterGeocoder()


@lru_cache(maxsize=4)
def _keys(secret: str) -> KeyRing:
    return KeyRing.derive(secret)


def keys_of(settings: Settings) -> KeyRing:
    """The domain's sealers, with keys derived from ``AANHUIS_SECRET_KEY``."""
    if settings.secret_key is not None:
        return _keys(settings.secret_key.get_secret_value())
    return _keys(process_secret())


def notifier(settings: Settings) -> Notifier:
    """Queue a message in the outbox for a visit (sent after commit by the outbox sender)."""
    from scheduler.notify import service as notify
    from scheduler.notify.templates import Kind

    def _notify(
        session: Session,
        visit: Visit,
        kind: str,
        manage_token: str | None = None,
        *,
        suggestions: Sequence[str] = (),
    ) -> None:
        # The message follows the language the citizen booked in; it carries the manage link
        # when the caller knows the token.
        notify.enqueue(
            session,
            visit=visit,
            kind=cast(Kind, kind),
            language=visit.language,
            base_url=settings.base_url,
            manage_token=manage_token,
            keys=keys_of(settings),
            suggestions=suggestions,
        )

    return _notify


def expert_notifier(settings: Settings) -> ExpertNotifier:
    """Tell an expert their route changed: a message in the outbox linking to the route app."""
    from scheduler.notify import experts

    return experts.route_changed_notifier(settings.base_url)


def notify_routes(settings: Settings) -> NotifyRoutes | None:
    """The Notify services of the settings (a default and per-municipality ones), or None."""
    kinds = dict(settings.notify_templates)
    default = None
    if settings.notify_api_key is not None and settings.notify_api_key.get_secret_value():
        default = NotifyGateway(
            NotifyConfig(
                api_key=settings.notify_api_key.get_secret_value(),
                base_url=settings.notify_url,
                sms_template=settings.notify_sms_template,
                email_template=settings.notify_email_template,
                kind_templates=kinds,
            )
        )
    by_slug = {
        slug: NotifyGateway(
            NotifyConfig(
                api_key=o.api_key.get_secret_value(),
                base_url=o.url or settings.notify_url,
                sms_template=o.sms_template or settings.notify_sms_template,
                email_template=o.email_template or settings.notify_email_template,
                kind_templates={**kinds, **o.templates},
            )
        )
        for slug, o in settings.notify_municipalities.items()
    }
    if default is None and not by_slug and settings.demo_messages:
        return NotifyRoutes(default=DemoGateway())
    routes = NotifyRoutes(default=default, by_slug=by_slug)
    return routes if routes else None


def sendable_channels(settings: Settings, slug: str) -> tuple[str, ...]:
    """The channels a municipality's messages can be sent over with these settings."""
    routes = notify_routes(settings)
    gateway = routes.gateway(slug) if routes is not None else None
    channels = ["email"] if settings.smtp_host else []
    if gateway is not None:
        channels += [c for c in ("email", "sms", "letter") if gateway.can_send(c)]
    return tuple(dict.fromkeys(channels))


def mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP mailer of the settings, or None when no SMTP host is configured."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_user,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.mail_from,
    )


def send_after_response(
    background: BackgroundTasks, request: Request, settings: Settings, session: Session
) -> None:
    """Send the messages a committed change queued once the answer is out.

    ``session`` is closed first: reading the answer may have begun a new transaction, and on
    SQLite that one would hold the write lock the sender needs. The messages were committed with
    the change, so a failed send loses nothing (the outbox keeps them for ``aanhuis outbox
    send``).
    """
    session.close()
    smtp = mailer(settings)
    routes = notify_routes(settings)
    if smtp is not None or routes is not None:
        from scheduler.notify import service as notify

        background.add_task(
            notify.send_pending,
            request.app.state.sessions,
            smtp,
            now=clock.now(),
            keys=keys_of(settings),
            notify=routes,
        )


def get_travel(settings: SettingsDep) -> TravelTimeProvider:
    return travel_provider(settings)


def get_geocoder(settings: SettingsDep) -> Geocoder:
    return geocoder(settings)


def get_notifier(settings: SettingsDep) -> Notifier:
    return notifier(settings)


TravelDep = Annotated[TravelTimeProvider, Depends(get_travel)]
GeocoderDep = Annotated[Geocoder, Depends(get_geocoder)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]


def get_expert_notifier(settings: SettingsDep) -> ExpertNotifier:
    return expert_notifier(settings)


ExpertNotifierDep = Annotated[ExpertNotifier, Depends(get_expert_notifier)]


def get_keys(settings: SettingsDep) -> KeyRing:
    return keys_of(settings)


KeysDep = Annotated[KeyRing, Depends(get_keys)]

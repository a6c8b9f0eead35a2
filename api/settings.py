"""The one configuration object, read from ``AANHUIS_*`` environment variables (or ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.waitlist.schemas import Hours


class NotifyOverride(BaseModel):
    """A municipality's own Notify service (``AANHUIS_NOTIFY_MUNICIPALITIES``, JSON by slug)."""

    api_key: SecretStr
    url: str | None = None
    sms_template: str | None = None
    email_template: str | None = None
    templates: dict[str, str] = Field(default_factory=dict)


class OidcProvider(BaseModel):
    """One municipality's OpenID Connect identity provider (Entra ID, Keycloak, …)."""

    #: In the sign-in URL: ``/login/oidc/{name}``.
    name: str = Field(pattern=r"^[a-z0-9-]{1,15}$")
    #: The button text on the sign-in page.
    label: str = "Inloggen met uw organisatie-account"
    #: The municipality's slug; its users are planners or experts there (admins of none).
    municipality: str
    issuer: str
    client_id: str
    client_secret: SecretStr | None = None
    #: Claims that hold roles or groups (Entra ID sends ``roles``, Keycloak ``groups``).
    role_claims: list[str] = Field(default_factory=lambda: ["roles", "groups"])
    #: A value of those claims → planner, expert or admin.
    role_map: dict[str, Literal["planner", "expert", "admin"]]
    #: The claim that holds the expert's id in Aan Huis (else an admin links them).
    expert_claim: str | None = "aanhuis_expert_id"
    scope: str = "openid profile email"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AANHUIS_", env_file=".env", extra="ignore")

    #: SQLite file by default (embedded, zero set-up); PostgreSQL in production.
    database_url: str = "sqlite:///aanhuis.sqlite3"
    #: Public base URL, used in manage links, invites and calendar feeds.
    base_url: str = "http://127.0.0.1:8000"
    #: How long an offered window is held for the citizen.
    offer_hold_minutes: int = Field(default=10, ge=1, le=120)
    #: "register" looks addresses up in the municipality's own register extract; "nominatim" asks
    #: OpenStreetMap's Nominatim through geopy (with the register as the first source).
    geocoder: Literal["register", "nominatim"] = "register"
    nominatim_url: str | None = None
    nominatim_user_agent: str = "aanhuis"
    #: An OSRM server for road travel times; haversine estimates when unset.
    osrm_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "noreply@aanhuis.example"
    #: NotifyNL (GOV.UK Notify's API) for SMS, letters and, without SMTP, e-mail. Without a key
    #: messages stay in the outbox, visible to planners. The key is Notify's
    #: ``{name}-{service id}-{secret}``; the templates are generic ones whose only placeholders
    #: are ((body)) and, for e-mail, ((subject)). ``notify_templates`` overrides them per kind
    #: (``{"sms:on_the_way": "<id>"}``); ``notify_municipalities`` gives a municipality its own
    #: service (``{"utrecht": {"api_key": …, "sms_template": …}}``).
    notify_url: str = "https://api.notifynl.nl"
    notify_api_key: SecretStr | None = None
    notify_sms_template: str | None = None
    notify_email_template: str | None = None
    notify_templates: dict[str, str] = Field(default_factory=dict)
    notify_municipalities: dict[str, NotifyOverride] = Field(default_factory=dict)
    #: ``aanhuis demo`` only: messages count as sent without leaving the machine, and
    #: ``/demo/berichten`` shows them by channel. Never in production.
    demo_messages: bool = False
    #: The bearer token Notify sends with delivery callbacks (``/api/v1/notify/callback``).
    notify_callback_token: SecretStr | None = None
    #: Map tiles of the expert app and the planner's day view ({z}/{x}/{y} filled in by Leaflet).
    #: OpenStreetMap's standard layer by default (mind its tile usage policy); a municipality's
    #: own tile server or PDOK's BRT map in production.
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: Local hours in which waiting-list notices may go out ("09:00-20:00").
    waitlist_hours: str = "09:00-20:00"
    #: Seconds the optimiser may spend on a day.
    optimize_time_limit: float = Field(default=10.0, gt=0, le=600)
    log_level: str = "INFO"
    #: The one application secret. Signed offers, tokens encrypted at rest, short links and
    #: pseudonyms derive their own keys from it (``scheduler.security.derive_key``). ``aanhuis
    #: demo`` writes a random one into ``.env``; ``aanhuis serve`` refuses to start without one
    #: unless the base URL is loopback. Changing it voids held offers and sealed tokens.
    secret_key: SecretStr | None = None
    #: Rate limits per client address, in the ``limits`` notation ("60/minute", "10/hour",
    #: "5/second;100/hour") or "off".
    rate_limit_offers: str = "60/minute"
    rate_limit_bookings: str = "20/minute"
    #: Manage-link look-ups: failed manage-token checks (and later booking look-ups, short links).
    rate_limit_lookups: str = "10/hour"
    #: Redis for counters shared by all workers and machines; without it each process counts alone.
    redis_url: str | None = None
    #: Bearer token for ``/metrics``; unset, only loopback clients may read it.
    metrics_token: SecretStr | None = None
    #: Web sign-in sessions end after this long without a request, and after this long at most.
    session_idle_minutes: int = Field(default=8 * 60, ge=1, le=30 * 24 * 60)
    session_max_hours: int = Field(default=30 * 24, ge=1, le=90 * 24)
    #: Days the access log and the processing log are kept (``aanhuis audit purge``).
    audit_retention_days: int = Field(default=730, ge=1, le=36500)
    #: The municipality's register of processing activities, and per service type (its code) the
    #: URI of its activity there; a service without one gets ``{register}/{reason}``.
    dpl_register_url: str | None = None
    dpl_activities: dict[str, str] = Field(default_factory=dict)
    #: Staff sign-in with OpenID Connect, per municipality (JSON list of :class:`OidcProvider`).
    oidc_providers: list[OidcProvider] = Field(default_factory=list)
    #: Directory with the installed npm packages (NL Design System CSS, Leaflet, htmx).
    assets_dir: str | None = None

    @field_validator("map_tiles")
    @classmethod
    def _tile_template(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("map_tiles must be an http(s) URL")
        if not all(f"{{{c}}}" in v for c in "zxy"):
            raise ValueError("map_tiles must contain {z}, {x} and {y}")
        return v

    @field_validator("waitlist_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        Hours.parse(v)  # raises ValueError with what is wrong
        return v.strip()

    @property
    def waitlist_window(self) -> Hours:
        """:attr:`waitlist_hours` as the sweep takes them."""
        return Hours.parse(self.waitlist_hours)

    @field_validator("rate_limit_offers", "rate_limit_bookings", "rate_limit_lookups")
    @classmethod
    def _rate_limit(cls, v: str) -> str:
        from limits import parse_many

        v = v.strip()
        if v.lower() == "off":
            return "off"
        try:
            parse_many(v)
        except ValueError as exc:
            raise ValueError(f"not a rate limit: {v!r} (e.g. '60/minute', or 'off')") from exc
        return v

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        if len(v.get_secret_value()) < 32:
            raise ValueError(
                "secret_key must be at least 32 characters (e.g. `openssl rand -hex 32`)"
            )
        return v

    def key(self, purpose: str) -> bytes:
        """The key for ``purpose`` derived from ``secret_key`` (see ``scheduler.security``).

        Without a secret (only allowed on a loopback base URL) a per-process random one is used:
        what it signs lasts as long as the process, which is enough for a developer's machine.
        """
        from scheduler.security import derive_key

        secret = self.secret_key.get_secret_value() if self.secret_key else process_secret()
        return derive_key(secret, purpose)

    @property
    def base_url_is_loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")


@lru_cache
def process_secret() -> str:
    import secrets

    return secrets.token_hex(32)


@lru_cache
def get_settings() -> Settings:
    return Settings()

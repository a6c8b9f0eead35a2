"""The one configuration object, read from ``AANHUIS_*`` environment variables (or ``.env``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.waitlist.schemas import Hours


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
    #: Map tiles of the expert app and the planner's day view ({z}/{x}/{y} filled in by Leaflet).
    #: OpenStreetMap's standard layer by default (mind its tile usage policy); a municipality's
    #: own tile server or PDOK's BRT map in production.
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: Local hours in which waiting-list notices may go out ("09:00-20:00").
    waitlist_hours: str = "09:00-20:00"
    #: Seconds the optimiser may spend on a day.
    optimize_time_limit: float = Field(default=10.0, gt=0, le=600)
    log_level: str = "INFO"
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

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()

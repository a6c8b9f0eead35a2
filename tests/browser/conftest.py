"""Browser-test fixtures: a live server on a fresh seeded database, headless Chromium, axe scans.

Reusable by every page test (citizen, planner, expert):

* ``chromium_path`` — Debian's ``chromium``; the test is skipped with the reason when it is
  missing (never ``playwright install``: no downloads).
* ``browser`` — one headless Chromium per test session, driven by Playwright.
* ``make_live_server(seed)`` — starts the app with uvicorn in a thread on a free port, on this
  test's fresh migrated database (the ``db_url`` fixture of ``tests/conftest.py``), after calling
  ``seed(session)`` to fill it; returns a :class:`LiveServer`. ``live_server`` is the same with the
  default seed: a small demo municipality with some bookings.
* ``phone`` — a page in a 360×740 phone-sized context (touch, Dutch locale); ``new_page(**ctx)``
  makes other contexts (a desktop, another locale).
* ``assert_accessible(page, name)`` — axe-core on the current page (WCAG 2.1 A/AA and best
  practices); fails on any serious or critical violation and prints all of them; also fails when
  the page is wider than the screen (reflow).
* ``screenshot(page, name)`` — saves a full-page PNG under ``$AANHUIS_SCREENSHOTS`` (default:
  the test's tmp dir) and returns the path, to look at the design.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from support import free_port

from api.app import create_app
from api.settings import Settings
from routing.travel import HaversineTravel
from scheduler import demo
from scheduler.addresses.models import Address

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
#: axe-core rule sets that make up WCAG 2.1 AA, plus axe's best practices.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
}
DEMO_SIZE = demo.DemoSize(experts=4, days=3, fill=0.3)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium): browser tests skipped"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class LiveServer:
    """A running app: its base URL, its database and what the seed put there."""

    url: str
    db_url: str
    sessions: sessionmaker[Session]
    seeded: dict[str, Any] = field(default_factory=dict)


def seed_demo(session: Session) -> dict[str, Any]:
    """A small demo municipality with bookings, and an address in its register for the flow."""
    municipality = demo.create_municipality(session, size=DEMO_SIZE)
    session.commit()
    demo.fill_bookings(session, municipality, size=DEMO_SIZE, travel=HaversineTravel())
    address = session.scalars(
        select(Address)
        .where(Address.municipality_id == municipality.id)
        .order_by(Address.postcode, Address.house_number)
    ).first()
    assert address is not None
    return {
        "slug": municipality.slug,
        "name": municipality.name,
        "postcode": address.postcode,
        "house_number": address.house_number,
    }


@pytest.fixture
def make_live_server(
    db_url: str, sessions: sessionmaker[Session]
) -> Iterator[Callable[..., LiveServer]]:
    import uvicorn

    servers: list[tuple[Any, threading.Thread]] = []

    def start(seed: Callable[[Session], dict[str, Any]] = seed_demo, **settings: Any) -> LiveServer:
        with sessions() as session:
            seeded = seed(session)
            session.commit()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        app = create_app(Settings(database_url=db_url, base_url=base_url, **settings))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        servers.append((server, thread))
        return LiveServer(url=base_url, db_url=db_url, sessions=sessions, seeded=seeded)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(make_live_server: Callable[..., LiveServer]) -> LiveServer:
    return make_live_server()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(**context: Any) -> Any:
        ctx = browser.new_context(**{"locale": "nl-NL", **context})
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def phone(new_page: Callable[..., Any]) -> Any:
    """A page on a small phone screen (360×740, touch)."""
    return new_page(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible() -> Callable[[Any, str], list[dict[str, Any]]]:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Any, name: str) -> list[dict[str, Any]]:
        # A page still loading has no stylesheets yet: axe would judge the browser's defaults.
        page.wait_for_load_state("load")
        results = axe.run(page, options=AXE_OPTIONS)
        violations: list[dict[str, Any]] = results.response["violations"]
        if violations:
            print(f"\naxe on {name} ({page.url}):\n{_describe(violations)}")
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"accessibility violations on {name}:\n{_describe(serious)}"
        assert_fits_the_screen(page, name)
        return violations

    return check


def assert_fits_the_screen(page: Any, name: str) -> None:
    """Nothing sticks out sideways: the page reflows to the viewport (WCAG 1.4.10)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    viewport = page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"{name}: the page is {width}px wide on a {viewport}px screen"


@pytest.fixture
def screenshot(tmp_path: pathlib.Path) -> Callable[[Any, str], pathlib.Path]:
    folder = pathlib.Path(os.environ.get("AANHUIS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> pathlib.Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

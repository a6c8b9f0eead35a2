"""The citizen's web pages at HTML level: each step, its errors, the confirm steps, and the rules
every page keeps (language, theme, CSRF, no personal data in URLs or logs, no-referrer)."""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.runtime import keys_of
from api.settings import Settings
from api.web import i18n, manage, rendering
from api.web.messages import MESSAGES
from api.web.rendering import MunicipalitySlug
from api.web.theming import THEMES
from scheduler import clock, demo
from scheduler.addresses.models import Address
from scheduler.addresses.service import AddressRow, import_rows
from scheduler.booking import offer_tokens
from scheduler.booking import service as booking_service
from scheduler.booking.models import Offer, SpentOffer, Visit, VisitStatus
from scheduler.errors import SlotTaken
from scheduler.notify.templates import KINDS
from scheduler.tenants.models import Municipality

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: A Monday morning in winter (CET = UTC+1), so local times are UTC plus one hour.
NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
#: The public address in manage links (another host than the test client's, to tell them apart).
BASE_URL = "http://aanhuis.example.nl"
SIZE = demo.DemoSize(experts=4, days=3, fill=0.3, addresses=200)


@dataclass
class Site:
    client: TestClient
    sessions: sessionmaker[Session]
    slug: str
    postcode: str
    house_number: int

    @property
    def csrf(self) -> str:
        token = self.client.cookies.get("aanhuis_csrf")
        assert token, "open a page first: it sets the CSRF cookie"
        return token

    def post(self, url: str, data: dict[str, str], **kw: Any) -> Any:
        return self.client.post(url, data={"csrf": self.csrf, **data}, **kw)


@pytest.fixture
def site(
    db_url: str, sessions: sessionmaker[Session], frozen: Callable[[dt.datetime], None]
) -> Iterator[Site]:
    with sessions() as session:
        municipality = demo.create_municipality(session, size=SIZE)
        session.commit()
        address = session.scalars(
            select(Address)
            .where(Address.municipality_id == municipality.id)
            .order_by(Address.postcode, Address.house_number)
        ).first()
        assert address is not None
        slug, postcode, number = municipality.slug, address.postcode, address.house_number
    app = create_app(Settings(database_url=db_url, base_url=BASE_URL))
    with TestClient(app, base_url="http://testserver") as client:
        client.get(f"/{slug}/")  # sets the CSRF cookie, as a first visit does
        yield Site(client, sessions, slug, postcode, number)


class Html(HTMLParser):
    """Just enough HTML parsing for assertions: elements with their attributes, and text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text_parts))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> dict[str, str]:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]


def msg(key: str, lang: str = "nl", **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


def search(site: Site, code: str = "wmo-intake", **extra: str) -> Any:
    data = {"postcode": site.postcode, "huisnummer": str(site.house_number), **extra}
    return site.post(f"/{site.slug}/diensten/{code}", data)


def offer_ids(html: str) -> list[str]:
    return re.findall(r'name="aanbod" value="([0-9a-f]+|v1\.[A-Za-z0-9_\-]+)"', html)


def opened(site: Site, ids: list[str]) -> dict[str, Offer]:
    """The offers behind sealed ids (the pages store none)."""
    keys = keys_of(site.client.app.state.settings)  # type: ignore[attr-defined]
    out = {}
    for offer_id in ids:
        offer = offer_tokens.open_offer(keys.offers, offer_id)
        assert offer is not None, offer_id
        out[offer_id] = offer
    return out


def book(site: Site, **fields: str) -> tuple[str, str]:
    """Book the first window shown for the demo address; returns (reference, manage token)."""
    ids = offer_ids(search(site).text)
    page = site.client.get(f"/{site.slug}/gegevens", params={"aanbod": ids[0]})
    key = Html(page.text).one("input", name="sleutel")["value"]
    data = {"aanbod": ids[0], "sleutel": key, "naam": "Anouk de Vries", "telefoon": "0612345678"}
    r = site.post(f"/{site.slug}/gegevens", {**data, **fields}, follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.match(r"^/afspraak/([A-Z0-9-]+)/bevestigd\?token=(.+)$", r.headers["location"])
    assert match is not None
    return match[1], match[2]


def visit_of(site: Site, reference: str) -> Visit:
    with site.sessions() as session:
        visit = session.scalar(select(Visit).where(Visit.reference == reference))
        assert visit is not None
        session.expunge(visit)
        return visit


# --- layout, language, theme ------------------------------------------------------------------


def test_home_lists_the_municipalities(site: Site) -> None:
    """The root page links to each municipality's start page."""
    r = site.client.get("/")
    assert r.status_code == 200
    assert Html(r.text).find("a", href=f"/{site.slug}/")


def test_start_page_is_dutch_and_lists_the_services(site: Site) -> None:
    """Dutch by default: lang="nl", one h1, a link per active service of the municipality."""
    r = site.client.get(f"/{site.slug}/")
    html = Html(r.text)
    assert html.one("html")["lang"] == "nl"
    assert len(html.find("h1")) == 1
    assert msg("start.title") in html.text
    links = {a["href"] for a in html.find("a") if "/diensten/" in a.get("href", "")}
    assert links == {f"/{site.slug}/diensten/{s['code']}" for s in demo.SERVICES}


def test_language_link_switches_to_english_and_the_choice_is_remembered(site: Site) -> None:
    """The visible language link renders English and sets a cookie that later pages follow."""
    start = Html(site.client.get(f"/{site.slug}/").text)
    link = start.one("a", hreflang="en")
    r = site.client.get(link["href"])
    assert Html(r.text).one("html")["lang"] == "en"
    assert "aanhuis_lang=en" in r.headers["set-cookie"]
    later = site.client.get(f"/{site.slug}/diensten/wmo-intake")
    assert Html(later.text).one("html")["lang"] == "en"
    assert msg("address.title", "en") in Html(later.text).text
    back = Html(later.text).one("button", lang="nl")
    assert back["form"] == "boeken" and back["formaction"].endswith("lang=nl")


def test_switching_language_keeps_what_was_typed(site: Site) -> None:
    """On a page with a form the language switch re-posts the form: the page comes back in the
    other language with every field as it was, and nothing is checked or booked yet."""
    page = Html(site.client.get(f"/{site.slug}/diensten/wmo-intake").text)
    switch = page.one("button", lang="en")
    assert switch["form"] == "boeken" and switch["value"] == "taal"
    typed = {
        "voor": "ander",
        "postcode": "3511 ab",
        "huisnummer": "7",
        "nodig-interpreter": "ja",
        "tolktaal": "tr",
    }
    r = site.post(switch["formaction"], {**typed, switch["name"]: switch["value"]})
    assert r.status_code == 200
    english = Html(r.text)
    assert english.one("html")["lang"] == "en"
    assert english.one("input", name="postcode")["value"] == "3511 ab"
    assert english.one("input", name="huisnummer")["value"] == "7"
    assert "checked" in english.one("input", id="voor-ander")
    assert "checked" in english.one("input", name="nodig-interpreter")
    assert "selected" in english.one("option", value="tr")
    assert not english.find("div", id="error-summary")


def test_every_page_carries_the_privacy_and_security_headers(site: Site) -> None:
    """No referrer (manage links carry tokens), no caching, a CSP without inline code."""
    r = site.client.get(f"/{site.slug}/")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_the_municipality_theme_picks_its_published_tokens(
    site: Site, theme: str, sessions: sessionmaker[Session]
) -> None:
    """Each theme loads its token package and its adapter and puts its class on <body>."""
    with sessions() as session:
        m = demo.create_municipality(
            session, size=SIZE, slug=f"t-{theme}", name=f"Gemeente {theme}", theme=theme
        )
        session.commit()
    html = Html(site.client.get(f"/t-{theme}/").text)
    hrefs = [link["href"] for link in html.find("link", rel="stylesheet")]
    for path in THEMES[theme].css:
        assert f"/assets/npm/{path}" in hrefs
    assert f"/assets/app/css/themes/{theme}.css" in hrefs
    assert THEMES[theme].body_class in html.one("body")["class"].split()
    assert m.name in html.text
    for href in hrefs:  # every stylesheet is really served
        assert site.client.get(href).status_code == 200, href


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_theme_class_and_adapter_tokens_exist_in_the_package(theme: str) -> None:
    """The body class is the one the package's CSS uses, and the adapter reads only tokens the
    package defines (else a brand variable would be invalid, or loop back on our defaults)."""
    spec = THEMES[theme]
    package_css = "".join(_css_with_imports(ROOT / "node_modules" / p) for p in spec.css)
    assert f".{spec.body_class}" in package_css
    adapter = (ROOT / "api/static/css/themes" / f"{theme}.css").read_text()
    used = set(re.findall(r"var\((--[a-z0-9-]+)\)", adapter))
    defined = set(re.findall(r"(--[a-z0-9-]+)\s*:", package_css))
    assert used, "the adapter maps something"
    assert used <= defined, sorted(used - defined)


def _css_with_imports(path: pathlib.Path) -> str:
    """A stylesheet with its relative ``@import``s inlined, as the browser loads it."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)
    for target in re.findall(r'@import\s+"(\./[^"]+)"', text):
        text += _css_with_imports(path.parent / target)
    return text


def test_unknown_municipality_is_a_friendly_html_page(site: Site) -> None:
    """A wrong slug answers 404 with an HTML page in the visitor's language, not JSON."""
    r = site.client.get("/bestaat-niet/")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert msg("error.page.not_found.title") in Html(r.text).text


@pytest.mark.parametrize("segment", ["api", "assets", "planner", "expert", "afspraak", "feeds"])
def test_reserved_first_segments_are_never_municipalities(segment: str) -> None:
    """The slug pattern refuses the reserved first path segments and accepts ordinary slugs."""
    pattern = re.compile(f"^{MunicipalitySlug.regex}/")
    assert pattern.match(f"{segment}/") is None
    assert pattern.match("utrecht/") is not None
    assert pattern.match(f"{segment}stad/") is not None


def test_static_assets_are_not_shadowed_by_page_routes(site: Site) -> None:
    """/assets/app/… still reaches the static files, although pages match /{slug}/…."""
    r = site.client.get("/assets/app/css/aanhuis.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")


# --- i18n --------------------------------------------------------------------------------------


def test_catalogue_has_both_languages_with_the_same_placeholders() -> None:
    """Every message exists in Dutch and English, and both fill in the same values."""
    for key, texts in MESSAGES.items():
        assert set(texts) == {"nl", "en"}, key
        nl, en = (set(re.findall(r"{(\w+)}", texts[lang])) for lang in ("nl", "en"))
        assert nl == en, key


def test_every_message_key_used_by_the_pages_exists() -> None:
    """Literal keys in templates and page modules, and the built ones (statuses, parts), exist."""
    sources = [*(ROOT / "api/web/templates").rglob("*.html"), *(ROOT / "api/web").glob("*.py")]
    used = set()
    for path in sources:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""", path.read_text()))
    used |= {f"status.{s.value}" for s in VisitStatus} | {"status.rescheduled", "status.erased"}
    used |= {f"part.{p}" for p in ("morning", "afternoon", "evening")}
    used |= {f"layout.switch.{lang}" for lang in i18n.LANGUAGES}
    used |= {f"language.{lang}" for lang in i18n.LANGUAGES}
    used |= {f"message.{kind}" for kind in KINDS}
    for kind in ("taken", "expired"):
        used |= {f"notice.{kind}", f"notice.{kind}.title"}
    for notice in manage.NOTICES:
        used |= {f"manage.notice.{notice}", f"manage.notice.{notice}.title"}
    for _, key in rendering._ERROR_TEXT:
        used |= {key, f"{key}.title"}
    assert len(used) > 50
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nl", "dinsdag 1 december, 09:00–11:00"), ("en", "Tuesday 1 December, 09:00–11:00")],
)
def test_windows_are_written_in_the_municipality_zone(lang: i18n.Lang, expected: str) -> None:
    """08:00–10:00 UTC in winter is 09:00–11:00 in Amsterdam, written out in the language."""
    start = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    tz = clock.zone("Europe/Amsterdam")
    assert i18n.format_window(start, start + dt.timedelta(hours=2), tz, lang) == expected


# --- booking flow -----------------------------------------------------------------------------


def test_address_form_is_labelled_with_autocomplete(site: Site) -> None:
    """Postcode and house number have labels, the postal-code autocomplete and required marks."""
    html = Html(site.client.get(f"/{site.slug}/diensten/wmo-intake").text)
    postcode = html.one("input", name="postcode")
    assert postcode["autocomplete"] == "postal-code"
    assert "required" in postcode
    assert html.one("label", **{"for": "postcode"})
    assert html.one("label", **{"for": "huisnummer"})
    assert html.one("input", name="huisnummer")["inputmode"] == "numeric"
    assert html.one("input", name="csrf")["value"] == site.csrf


def test_empty_address_shows_an_error_summary_linked_to_the_fields(site: Site) -> None:
    """Missing fields: 422, a summary whose links point at the invalid inputs, and each input
    marked invalid and described by its message."""
    r = site.post(f"/{site.slug}/diensten/wmo-intake", {"postcode": "", "huisnummer": ""})
    assert r.status_code == 422
    html = Html(r.text)
    assert html.one("title") is not None and "Fout: " in r.text.split("</title>")[0]
    links = [a["href"] for a in html.find("a") if a.get("href", "").startswith("#")]
    assert links == ["#main", "#postcode", "#huisnummer"]  # the skip link, then the summary
    for name in ("postcode", "huisnummer"):
        field = html.one("input", id=name)
        assert field["aria-invalid"] == "true"
        assert f"{name}-error" in field["aria-describedby"].split()
    assert msg("error.postcode.missing") in html.text


@pytest.mark.parametrize(
    ("postcode", "number", "key"),
    [
        ("35", "1", "error.postcode.invalid"),
        ("3511 AB", "12a", "error.house_number.invalid"),
        ("0000 AA", "1", "error.postcode.invalid"),
    ],
)
def test_malformed_addresses_are_explained(
    site: Site, postcode: str, number: str, key: str
) -> None:
    """A postcode or house number in the wrong form gets a message saying what is expected."""
    r = site.post(f"/{site.slug}/diensten/wmo-intake", {"postcode": postcode, "huisnummer": number})
    assert r.status_code == 422
    assert msg(key) in Html(r.text).text


def test_unknown_address_is_explained_on_the_form(site: Site) -> None:
    """A well-formed address the register does not know: the form again, values kept."""
    r = site.post(f"/{site.slug}/diensten/wmo-intake", {"postcode": "9999 ZZ", "huisnummer": "1"})
    assert r.status_code == 422
    html = Html(r.text)
    assert msg("error.address.unknown") in html.text
    assert html.one("input", name="postcode")["value"] == "9999 ZZ"


def test_address_outside_the_area_is_a_friendly_message(site: Site) -> None:
    """An address the register knows but the municipality does not visit (too far away)."""
    with site.sessions() as session:
        municipality = session.scalars(
            select(Municipality).where(Municipality.slug == site.slug)
        ).one()
        row = AddressRow("9711AA", 1, "", "Grote Markt", "Groningen", 53.2194, 6.5665)
        import_rows(session, municipality=municipality, rows=[row])
        session.commit()
    r = site.post(f"/{site.slug}/diensten/wmo-intake", {"postcode": "9711 AA", "huisnummer": "1"})
    assert r.status_code == 422
    assert msg("error.address.outside.title") in Html(r.text).text


def test_windows_are_grouped_by_day_then_part_of_day_in_local_time(site: Site) -> None:
    """Each offer appears once, under its local date, in morning/afternoon/evening order, with
    its local start and end times."""
    r = search(site)
    assert r.status_code == 200
    ids = offer_ids(r.text)
    assert len(ids) >= 3
    tz = clock.zone("Europe/Amsterdam")
    offers = opened(site, ids)
    t = i18n.Translator("nl")
    body = r.text
    positions = []
    for offer_id in ids:
        offer = offers[offer_id]
        label = t.times(offer.window_start, offer.window_end, tz)
        start = body.index(f'value="{offer_id}"')
        assert label in body[start : start + 800]
        positions.append(start)
    assert positions == sorted(positions)
    assert [offers[i].window_start for i in ids] == sorted(o.window_start for o in offers.values())
    days = re.findall(r'aanhuis-day__legend">([^<]+)<', body)
    first_day = offers[ids[0]].window_start.astimezone(tz).date()
    assert days[0] == t.date(first_day)[:1].upper() + t.date(first_day)[1:]
    assert len(days) == len({o.window_start.astimezone(tz).date() for o in offers.values()})
    assert msg("part.morning") in body


@pytest.mark.parametrize(
    ("code", "wanted"),
    [
        # The demo's civil-affairs expert works Tuesday and Thursday evenings…
        ("id-bezorging", lambda local: local.hour >= 17),
        # …and its debt counsellor on Saturdays.
        ("schuldhulp-intake", lambda local: local.weekday() == 5),
    ],
)
def test_evenings_and_saturdays_are_shown_where_offered(
    site: Site, code: str, wanted: Callable[[dt.datetime], bool]
) -> None:
    """Where experts work evenings or Saturdays, such a window is among those shown, under its
    own day and, for an evening, under "Avond"."""
    r = search(site, code)
    ids = offer_ids(r.text)
    tz = clock.zone("Europe/Amsterdam")
    starts = {i: o.window_start.astimezone(tz) for i, o in opened(site, ids).items()}
    special = [i for i in ids if wanted(starts[i])]
    assert special, "an evening or Saturday window is offered"
    t = i18n.Translator("nl")
    day = t.date(starts[special[0]].date())
    legend = r.text.index(day[:1].upper() + day[1:])
    assert legend < r.text.index(f'value="{special[0]}"')
    if code == "id-bezorging":
        assert msg("part.evening") in r.text


def test_later_times_start_after_the_last_day_shown(site: Site) -> None:
    """The "later times" button searches from the day after the last window shown."""
    first = search(site)
    vanaf = Html(first.text).one("input", name="vanaf")["value"]
    ids = offer_ids(first.text)
    later = site.post(
        f"/{site.slug}/diensten/wmo-intake/tijd",
        {
            "actie": "later",
            "postcode": site.postcode,
            "huisnummer": str(site.house_number),
            "vanaf": vanaf,
            "aanbiedingen": ",".join(ids),
        },
    )
    assert later.status_code == 200
    new_ids = offer_ids(later.text)
    starts = [o.date for o in opened(site, new_ids).values()]
    assert starts and min(starts) >= dt.date.fromisoformat(vanaf)


def test_continuing_without_a_window_asks_to_choose_one(site: Site) -> None:
    """No window picked: 422 with the same windows again and a message linked to the choice."""
    ids = offer_ids(search(site).text)
    r = site.post(
        f"/{site.slug}/diensten/wmo-intake/tijd",
        {"actie": "kies", "aanbiedingen": ",".join(ids), "postcode": site.postcode},
    )
    assert r.status_code == 422
    assert offer_ids(r.text) == ids
    assert Html(r.text).find("a", href="#aanbod")
    assert Html(r.text).one("input", id="aanbod")


def test_a_chosen_window_goes_to_the_details_by_offer_id_only(site: Site) -> None:
    """Choosing a window answers the POST with the details form: nothing of the address or the
    needs goes into a URL; the form carries the offer id (a details URL names only that)."""
    ids = offer_ids(search(site).text)
    r = site.post(
        f"/{site.slug}/diensten/wmo-intake/tijd",
        {"actie": "kies", "aanbod": ids[1], "aanbiedingen": ",".join(ids)},
        follow_redirects=False,
    )
    assert r.status_code == 200
    assert Html(r.text).one("input", name="aanbod")["value"] == ids[1]
    location = f"/{site.slug}/gegevens?aanbod={ids[1]}"
    assert parse_qs(urlsplit(location).query) == {"aanbod": [ids[1]]}
    details = Html(site.client.get(location).text)
    assert details.one("input", name="naam")["autocomplete"] == "name"
    assert details.one("input", name="telefoon")["autocomplete"] == "tel"
    assert details.one("input", name="email")["autocomplete"] == "email"
    assert details.one("input", name="aanbod")["value"] == ids[1]


def test_details_need_a_name_and_a_way_to_reach_the_citizen(site: Site) -> None:
    """Without a name and without phone or e-mail the booking is refused with both errors."""
    ids = offer_ids(search(site).text)
    r = site.post(f"/{site.slug}/gegevens", {"aanbod": ids[0], "naam": "", "sleutel": "k1"})
    assert r.status_code == 422
    text = Html(r.text).text
    assert msg("error.name.missing") in text
    assert msg("error.contact.missing") in text
    bad = site.post(
        f"/{site.slug}/gegevens",
        {"aanbod": ids[0], "naam": "A", "email": "geen-adres", "sleutel": "k1"},
    )
    assert msg("error.email.invalid") in Html(bad.text).text
    with site.sessions() as session:
        assert session.scalar(select(Visit).where(Visit.citizen_name == "A")) is None


def test_booking_leads_to_a_confirmation_with_reference_invite_and_manage_link(
    site: Site,
) -> None:
    """The booking is stored in the chosen window; the confirmation shows its reference, the
    invite download and the manage link under the public base URL."""
    reference, token = book(site, email="anouk@example.org")
    visit = visit_of(site, reference)
    assert visit.status is VisitStatus.BOOKED
    assert visit.citizen_email == "anouk@example.org"
    assert visit.language == "nl"
    r = site.client.get(f"/afspraak/{reference}/bevestigd", params={"token": token})
    assert r.status_code == 200
    html = Html(r.text)
    assert reference in html.text
    assert html.find("a", href=f"/afspraak/{reference}/uitnodiging.ics?token={token}")
    assert f"{BASE_URL}/afspraak/{reference}?token={token}" in html.text
    assert r.headers["referrer-policy"] == "no-referrer"


def test_submitting_the_booking_twice_makes_one_booking(site: Site) -> None:
    """A double click or a reload sends the same idempotency key: same booking, same link."""
    ids = offer_ids(search(site).text)
    data = {"aanbod": ids[0], "sleutel": "same-key", "naam": "Bram Bos", "telefoon": "0611111111"}
    first = site.post(f"/{site.slug}/gegevens", data, follow_redirects=False)
    second = site.post(f"/{site.slug}/gegevens", data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    with site.sessions() as session:
        same = session.scalars(select(Visit).where(Visit.citizen_name == "Bram Bos")).all()
    assert len(same) == 1


def test_a_window_taken_meanwhile_offers_fresh_times_and_keeps_the_details(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When someone else took the window first, the page says so, offers fresh windows and
    keeps what the citizen typed; choosing one of them books it."""
    ids = offer_ids(search(site).text)
    real = booking_service.place_visit
    calls = []

    def taken_once(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise SlotTaken("taken", nl="bezet")
        real(*args, **kwargs)

    monkeypatch.setattr(booking_service, "place_visit", taken_once)
    data = {"aanbod": ids[0], "sleutel": "k-taken", "naam": "Daan Smit", "telefoon": "0622222222"}
    r = site.post(f"/{site.slug}/gegevens", data)
    assert r.status_code == 409
    html = Html(r.text)
    assert msg("notice.taken.title") in html.text
    assert html.one("input", name="naam")["value"] == "Daan Smit"
    fresh = offer_ids(r.text)
    assert fresh and ids[0] not in fresh
    again = site.post(
        f"/{site.slug}/gegevens", {**data, "aanbod": fresh[0]}, follow_redirects=False
    )
    assert again.status_code == 303


def test_an_expired_window_offers_fresh_times(
    site: Site, frozen: Callable[[dt.datetime], None]
) -> None:
    """A window held longer than the hold time cannot be booked; fresh windows are offered."""
    ids = offer_ids(search(site).text)
    frozen(NOW + dt.timedelta(minutes=30))
    data = {"aanbod": ids[0], "sleutel": "k-exp", "naam": "Eva Bakker", "telefoon": "0633333333"}
    r = site.post(f"/{site.slug}/gegevens", data)
    assert r.status_code == 410
    assert msg("notice.expired.title") in Html(r.text).text
    assert offer_ids(r.text)
    with site.sessions() as session:
        assert session.scalar(select(Visit).where(Visit.citizen_name == "Eva Bakker")) is None


# --- CSRF -----------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused(site: Site) -> None:
    """A POST whose hidden token does not match the cookie changes nothing (403 page)."""
    r = site.client.post(
        f"/{site.slug}/diensten/wmo-intake",
        data={"csrf": "forged-" + "x" * 30, "postcode": site.postcode, "huisnummer": "1"},
    )
    assert r.status_code == 403
    assert msg("error.page.csrf.title") in Html(r.text).text
    with site.sessions() as session:
        assert session.scalars(select(Offer)).first() is None


def test_on_https_the_csrf_cookie_cannot_be_planted_or_read(site: Site) -> None:
    """Over HTTPS the token cookie is __Host- prefixed, Secure, HttpOnly and SameSite=Strict,
    and a form posted with it is accepted."""
    with TestClient(site.client.app, base_url="https://testserver") as https:
        r = https.get(f"/{site.slug}/diensten/wmo-intake")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-aanhuis_csrf=")
        for flag in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
            assert flag in cookie
        assert "Domain" not in cookie
        token = Html(r.text).one("input", name="csrf")["value"]
        data = {"csrf": token, "postcode": site.postcode, "huisnummer": str(site.house_number)}
        assert https.post(f"/{site.slug}/diensten/wmo-intake", data=data).status_code == 200


def test_a_cross_site_post_is_refused_even_with_the_token(site: Site) -> None:
    """Fetch metadata saying cross-site is refused, whatever the form holds."""
    r = site.post(
        f"/{site.slug}/diensten/wmo-intake",
        {"postcode": site.postcode, "huisnummer": str(site.house_number)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403


# --- manage pages -------------------------------------------------------------------------------


def test_the_manage_page_needs_the_right_token(site: Site) -> None:
    """Without the token or with a wrong one, the booking is not shown (401 page)."""
    reference, token = book(site)
    assert site.client.get(f"/afspraak/{reference}").status_code == 401
    wrong = site.client.get(f"/afspraak/{reference}", params={"token": token[:-2] + "xx"})
    assert wrong.status_code == 401
    assert "Anouk" not in wrong.text
    right = site.client.get(f"/afspraak/{reference}", params={"token": token})
    assert right.status_code == 200
    assert "Anouk de Vries" in right.text
    assert right.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("step", ["annuleren", "wissen"])
def test_opening_a_confirm_step_changes_nothing(site: Site, step: str) -> None:
    """A GET of cancel or erase (a mail scanner opening the link) only asks; the visit stays."""
    reference, token = book(site)
    r = site.client.get(f"/afspraak/{reference}/{step}", params={"token": token})
    assert r.status_code == 200
    form = Html(r.text).one("form", method="post")
    assert form["action"] == f"/afspraak/{reference}/{step}"
    visit = visit_of(site, reference)
    assert visit.status is VisitStatus.BOOKED
    assert visit.citizen_name == "Anouk de Vries"


def test_cancel_is_a_post_with_the_token(site: Site) -> None:
    """Cancelling needs the manage token in the form; then the visit is cancelled."""
    reference, token = book(site)
    refused = site.post(f"/afspraak/{reference}/annuleren", {}, follow_redirects=False)
    assert refused.status_code == 401
    assert visit_of(site, reference).status is VisitStatus.BOOKED
    r = site.post(f"/afspraak/{reference}/annuleren", {"token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert visit_of(site, reference).status is VisitStatus.CANCELLED
    page = site.client.get(r.headers["location"])
    assert msg("manage.notice.geannuleerd.title") in Html(page.text).text


def test_a_cancelled_visit_offers_no_more_changes(site: Site) -> None:
    """After cancelling, the manage page has no reschedule or cancel, and their steps say why."""
    reference, token = book(site)
    site.post(f"/afspraak/{reference}/annuleren", {"token": token})
    page = Html(site.client.get(f"/afspraak/{reference}", params={"token": token}).text)
    assert not page.find("form", action=f"/afspraak/{reference}/tijden")
    assert not page.find("a", href=f"/afspraak/{reference}/annuleren?token={token}")
    again = site.client.get(f"/afspraak/{reference}/annuleren", params={"token": token})
    assert again.status_code == 409
    times = site.post(f"/afspraak/{reference}/tijden", {"token": token})
    assert times.status_code == 409
    assert msg("error.page.conflict.title") in Html(times.text).text


def test_a_cross_site_cancel_is_refused(site: Site) -> None:
    """Another site cannot make the browser cancel, even if it had the token."""
    reference, token = book(site)
    r = site.client.post(
        f"/afspraak/{reference}/annuleren",
        data={"token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert r.status_code == 403
    assert visit_of(site, reference).status is VisitStatus.BOOKED


def test_reschedule_picks_a_window_then_confirms(site: Site) -> None:
    """New windows by POST, a confirm page by GET that changes nothing, the move by POST."""
    reference, token = book(site)
    before = visit_of(site, reference)
    windows = site.post(f"/afspraak/{reference}/tijden", {"token": token})
    assert windows.status_code == 200
    ids = offer_ids(windows.text)
    choose = site.post(
        f"/afspraak/{reference}/tijd",
        {"token": token, "actie": "kies", "aanbod": ids[-1], "aanbiedingen": ",".join(ids)},
        follow_redirects=False,
    )
    assert choose.status_code == 303
    confirm = site.client.get(choose.headers["location"])
    assert confirm.status_code == 200
    assert visit_of(site, reference).window_start == before.window_start
    fields = {i["name"]: i["value"] for i in Html(confirm.text).find("input", type="hidden")}
    assert fields["aanbod"] == ids[-1]
    moved = site.post(f"/afspraak/{reference}/verzetten", fields, follow_redirects=False)
    assert moved.status_code == 303
    after = visit_of(site, reference)
    with site.sessions() as session:  # the offer was used up
        assert session.get(SpentOffer, offer_tokens.digest(ids[-1])) is not None
    assert after.window_start != before.window_start
    assert after.status is VisitStatus.BOOKED


def test_the_invite_downloads_as_a_calendar_file(site: Site) -> None:
    """The .ics link gives a calendar file for this visit, as an attachment."""
    reference, token = book(site)
    r = site.client.get(f"/afspraak/{reference}/uitnodiging.ics", params={"token": token})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert "attachment" in r.headers["content-disposition"]
    assert "BEGIN:VEVENT" in r.text
    assert reference in r.text


def test_see_my_data_shows_everything_stored(site: Site) -> None:
    """The data page and its JSON download show the citizen's stored details (the phone number
    as stored: in E.164, as the API stores it)."""
    reference, token = book(site, opmerkingen="Bel twee keer aan")
    page = Html(site.client.get(f"/afspraak/{reference}/gegevens", params={"token": token}).text)
    for value in ("Anouk de Vries", "+31612345678", "Bel twee keer aan", reference):
        assert value in page.text
    data = site.client.get(f"/afspraak/{reference}/gegevens.json", params={"token": token})
    assert data.json()["citizen"]["name"] == "Anouk de Vries"
    assert "attachment" in data.headers["content-disposition"]


def test_erase_my_data_wipes_the_personal_fields(site: Site) -> None:
    """After the confirmed erase, name, contact and notes are gone and the visit is cancelled."""
    reference, token = book(site, opmerkingen="Hond aanwezig")
    r = site.post(f"/afspraak/{reference}/wissen", {"token": token}, follow_redirects=False)
    assert r.status_code == 303
    visit = visit_of(site, reference)
    assert (visit.citizen_name, visit.citizen_phone, visit.notes) == (None, None, None)
    assert visit.status is VisitStatus.CANCELLED
    page = site.client.get(r.headers["location"])
    assert "Anouk" not in page.text
    assert msg("manage.notice.gewist.title") in Html(page.text).text


# --- privacy ------------------------------------------------------------------------------------


def test_no_personal_data_in_urls_or_logs(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """Through the whole flow, no URL (links, form actions, redirects) and no log line contains
    the postcode, the name or the phone number."""
    caplog.set_level(logging.DEBUG)
    secrets = [site.postcode, "Anouk", "0612345678"]
    responses = [search(site)]
    reference, token = book(site)
    for url in (
        f"/afspraak/{reference}/bevestigd",
        f"/afspraak/{reference}",
        f"/afspraak/{reference}/gegevens",
    ):
        responses.append(site.client.get(url, params={"token": token}))
    for r in responses:
        html = Html(r.text)
        urls = [a.get("href", "") for a in html.find("a")]
        urls += [f.get("action", "") for f in html.find("form")]
        urls.append(str(r.url))
        for url in urls:
            assert not any(s.replace(" ", "") in url.replace(" ", "") for s in secrets), url
    server_records = [r for r in caplog.records if not r.name.startswith("httpx")]  # the client's
    assert any(r.name == "aanhuis.access" for r in server_records)
    for record in server_records:
        line = record.getMessage()
        assert not any(s in line for s in secrets), line
        assert token not in line

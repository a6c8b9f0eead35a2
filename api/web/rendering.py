"""Rendering server-side pages: the Jinja environment, the per-request :class:`Page`, error pages.

Every page handler takes a ``Page`` (or ``TenantPage`` for ``/{slug}/…``) and returns
``page.render("template.html", **context)`` or ``page.redirect(url)``. The page knows the
language, the translator, the theme, the CSRF token for forms and the municipality, and it adds
the response headers every page needs:

* ``Referrer-Policy: no-referrer`` — manage links carry a secret token; no page may leak its URL
  to another site (the municipality's website in the footer, a map tile server).
* ``Cache-Control: no-store`` — pages show personal data or a per-browser CSRF token; no shared or
  back-button cache may keep them.
* A strict ``Content-Security-Policy`` (our own scripts and styles only, no inline code),
  ``X-Content-Type-Options`` and ``frame-ancestors 'none'`` (no clickjacking of the confirm
  buttons).

Routers of pages use ``route_class=PageRoute``: a domain error raised anywhere in a handler or its
dependencies becomes a friendly HTML error page in the visitor's language instead of the JSON
problem document the API answers with.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import jinja2
from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor

from api.deps import SessionDep
from api.problems import status_of
from api.ratelimit import TooManyRequests
from api.web import csrf
from api.web.forms import CsrfRejected
from api.web.i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE, LANGUAGES, Lang, Translator
from api.web.i18n import requested_lang as _requested_lang
from api.web.theming import APP_CSS, COMPONENTS_CSS, DEFAULT_THEME, Theme, theme_named
from scheduler import errors
from scheduler.tenants import service as tenants
from scheduler.tenants.models import Municipality

log = logging.getLogger("aanhuis.web")
R = TypeVar("R", bound=Response)

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"

#: First path segments that belong to the API, assets and other page sections, never to a
#: municipality's slug.
RESERVED_SEGMENTS = frozenset(
    {
        "api",
        "assets",
        "openapi.json",
        "healthz",
        "readyz",
        "metrics",
        "planner",
        "expert",
        "login",
        "logout",
        "afspraak",
        "feeds",
        "favicon.ico",
        "robots.txt",
    }
)

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
}


class MunicipalitySlug(Convertor[str]):
    """A slug path segment that never shadows a reserved first segment (``/api/``, ``/assets/``…).

    The page routes are mounted last, but the static mounts come after every router, so without
    this ``/{slug}/…`` patterns could swallow ``/assets/…`` URLs of the same shape.
    """

    regex = r"(?!(?:" + "|".join(sorted(s.replace(".", r"\.") for s in RESERVED_SEGMENTS)) + r")/)"
    regex += r"[a-z0-9][a-z0-9\-]{0,63}"

    def convert(self, value: str) -> str:
        return value


register_url_convertor("municipality_slug", MunicipalitySlug())


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        components_css=COMPONENTS_CSS, app_css=APP_CSS, app_js="/assets/app/js/aanhuis.js"
    )
    return env


#: The one Jinja environment; other page packages may add template folders with
#: ``add_template_folder``.
ENV = _environment()


def add_template_folder(path: pathlib.Path) -> None:
    """Let another package's pages extend ``base.html`` and use the macros (later wins ties)."""
    loader = ENV.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    if str(path) not in loader.searchpath:
        loader.searchpath.append(str(path))


@dataclass
class Page:
    """Everything a page needs to render in the visitor's language, theme and session."""

    request: Request
    lang: Lang
    t: Translator
    csrf_token: str
    theme: Theme = DEFAULT_THEME
    municipality: Municipality | None = None
    #: The URL the language links point at (with ``lang`` replaced). Defaults to this request's
    #: URL; a page answering a POST sets a GET-able URL here.
    here: str | None = None
    #: The id and action of the page's form, when it has one the visitor types into: the
    #: language switch then re-posts that form (``actie=taal``), so nothing typed is lost.
    lang_form: tuple[str, str] | None = None
    _lang_changed: bool = False
    _new_csrf: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def use(self, municipality: Municipality) -> Page:
        """Render as ``municipality``'s page: its name, its theme."""
        self.municipality = municipality
        self.theme = theme_named(municipality.theme)
        self.request.state.municipality = municipality
        return self

    def lang_url(self, lang: Lang) -> str:
        """This page in another language (the visible language switch)."""
        if self.here is not None:
            base, _, query = self.here.partition("?")
            params = [p for p in query.split("&") if p and not p.startswith("lang=")]
        else:
            base = self.request.url.path
            params = [
                urlencode({k: v}) for k, v in self.request.query_params.multi_items() if k != "lang"
            ]
        params.append(f"lang={lang}")
        return f"{base}?{'&'.join(params)}"

    def keep_form(self, form_id: str, action: str) -> None:
        """Switch languages by re-posting form ``form_id`` to ``action`` (see :attr:`lang_form`)."""
        self.lang_form = (form_id, action)

    def lang_form_action(self, lang: Lang) -> str:
        """Where the language switch re-posts the page's form: its action in ``lang``."""
        assert self.lang_form is not None
        action = self.lang_form[1]
        return f"{action}{'&' if '?' in action else '?'}lang={lang}"

    def context(self, **values: Any) -> dict[str, Any]:
        """The template context: the page's own values plus the handler's."""
        other = [lang for lang in LANGUAGES if lang != self.lang]
        return {
            "page": self,
            "t": self.t,
            "lang": self.lang,
            "other_langs": other,
            "municipality": self.municipality,
            "theme": self.theme,
            "csrf_field": csrf.FIELD,
            "csrf_token": self.csrf_token,
            **values,
        }

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        """Render ``template`` with the page context into a response with the page headers."""
        html = ENV.get_template(template).render(self.context(**values))
        return self._finish(HTMLResponse(html, status_code=status))

    def redirect(self, url: str) -> RedirectResponse:
        """303 See Other: after a POST the browser fetches ``url`` with GET (no resubmission)."""
        return self._finish(RedirectResponse(url, status_code=303))

    def _finish(self, response: R) -> R:
        response.headers.update(SECURITY_HEADERS)
        response.headers.update(self.headers)
        response.headers["Content-Language"] = self.lang
        if self._lang_changed:
            response.set_cookie(
                LANG_COOKIE,
                self.lang,
                max_age=LANG_COOKIE_MAX_AGE,
                httponly=True,
                samesite="lax",
                secure=csrf.is_https(self.request),
            )
        if self._new_csrf:
            response.set_cookie(
                csrf.cookie_name(self.request),
                self.csrf_token,
                httponly=True,
                samesite="strict",
                secure=csrf.is_https(self.request),
                path="/",
            )
        return response


def get_page(request: Request) -> Page:
    """The page for this request: language from the link or cookie, a CSRF token for forms."""
    lang, changed = _requested_lang(request)
    token, new = csrf.token_for(request)
    page = Page(
        request=request,
        lang=lang,
        t=Translator(lang),
        csrf_token=token,
        _lang_changed=changed,
        _new_csrf=new,
    )
    request.state.page = page
    return page


PageDep = Annotated[Page, Depends(get_page)]


def get_tenant_page(slug: str, session: SessionDep, page: PageDep) -> Page:
    """A page of the municipality named by the ``{slug}`` path segment (themed as that one)."""
    return page.use(tenants.get_by_slug(session, slug))


TenantPage = Annotated[Page, Depends(get_tenant_page)]


#: Which domain errors get which friendly explanation on the generic error page.
_ERROR_TEXT: list[tuple[type[errors.DomainError], str]] = [
    (errors.Unauthenticated, "error.page.link"),
    (errors.NotFound, "error.page.not_found"),
    (errors.OfferExpired, "error.page.expired"),
    (errors.SlotTaken, "error.page.taken"),
    (errors.Conflict, "error.page.conflict"),
    (errors.DomainError, "error.page.generic"),
]


def error_page(request: Request, exc: errors.DomainError) -> HTMLResponse:
    """A friendly page for a domain error, in the visitor's language and municipality's theme."""
    page: Page = getattr(request.state, "page", None) or get_page(request)
    municipality = getattr(request.state, "municipality", None)
    if municipality is not None and page.municipality is None:
        page.use(municipality)
    key = next(k for cls, k in _ERROR_TEXT if isinstance(exc, cls))
    detail = exc.detail if page.lang == "en" else exc.detail_nl
    return page.render(
        "error.html", status=status_of(exc), title_key=f"{key}.title", lead_key=key, detail=detail
    )


def busy_page(request: Request) -> HTMLResponse:
    """Too many requests from this address: the 429 page (the same for every page and input)."""
    page: Page = getattr(request.state, "page", None) or get_page(request)
    return page.render(
        "error.html",
        status=429,
        title_key="error.page.busy.title",
        lead_key="error.page.busy",
        detail="",
    )


def csrf_page(request: Request) -> HTMLResponse:
    """The form came without a valid CSRF token (an old tab, cookies blocked, or another site)."""
    page: Page = getattr(request.state, "page", None) or get_page(request)
    municipality = getattr(request.state, "municipality", None)
    if municipality is not None and page.municipality is None:
        page.use(municipality)
    return page.render(
        "error.html",
        status=403,
        title_key="error.page.csrf.title",
        lead_key="error.page.csrf",
        detail="",
    )


class PageRoute(APIRoute):
    """A route whose domain errors become HTML error pages (``route_class`` of page routers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.DomainError as exc:
                return error_page(request, exc)
            except TooManyRequests as exc:
                page = busy_page(request)
                page.headers["Retry-After"] = str(exc.retry_after)
                return page
            except CsrfRejected:
                route = getattr(request.scope.get("route"), "path", "?")
                log.warning("form without a valid CSRF token refused on %s", route)
                return csrf_page(request)

        return handle

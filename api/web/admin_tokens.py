"""Admins issue, list and revoke API tokens for machines (and staff without OpenID Connect).

``/planner/toegangscodes``: every user with role, municipality, how they sign in, token expiry
and whether they are active; a form issues a token with an expiry (shown once, on the answer to
the POST, never in a URL); revoking is a POST behind a confirm step and also ends the user's web
sessions. Only admins reach these pages; ``aanhuis users`` stays for the command line.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import ResourceId, SessionDep
from api.web.expert import signed_in
from api.web.forms import Form, PostedForm
from api.web.planner import PLANNER_CSS, forbidden_page
from api.web.rendering import Page, PageDep, PageRoute
from scheduler import clock
from scheduler.accounts import service as accounts
from scheduler.accounts import sessions as web_sessions
from scheduler.accounts.models import Role, User
from scheduler.errors import DomainError, NotFound
from scheduler.tenants import service as tenants

router = APIRouter(route_class=PageRoute)
PATH = "/planner/toegangscodes"
#: The longest a token may be valid.
MAX_DAYS = 366


def _admin(page: Page, session: Session) -> User | Response:
    user = signed_in(page.request, session)
    if user is None:
        return page.redirect(f"/login?next={PATH}")
    if user.role is not Role.ADMIN:
        return forbidden_page(page, user)
    return user


def _render(
    page: Page, session: Session, form: Form, *, token: str | None = None, status: int = 200
) -> HTMLResponse:
    municipalities = tenants.get_all(session)
    slugs = {m.id: m.slug for m in municipalities}
    return page.render(
        "planner/tokens.html",
        status=status,
        nav=None,
        planner_css=PLANNER_CSS,
        users=[(u, slugs.get(u.municipality_id or 0, "–")) for u in accounts.get_all(session)],
        municipalities=[(m.slug, m.name) for m in municipalities],
        form=form,
        token=token,
        tz=clock.zone("Europe/Amsterdam"),
    )


@router.get(PATH, response_class=HTMLResponse)
def tokens(page: PageDep, session: SessionDep) -> Response:
    """Every user and their token's state; the form to issue one."""
    admin = _admin(page, session)
    if not isinstance(admin, User):
        return admin
    return _render(page, session, Form(values={"dagen": "90", "rol": "planner"}))


@router.post(PATH, response_class=HTMLResponse)
def issue(page: PageDep, session: SessionDep, form: PostedForm) -> Response:
    """A new user with a token valid for the chosen number of days (shown once)."""
    admin = _admin(page, session)
    if not isinstance(admin, User):
        return admin
    t = page.t
    name = (form.get("naam") or "").strip()
    days = form.get("dagen") or ""
    if not name:
        form.add_error("naam", t("tokens.name.missing"))
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        form.add_error("dagen", t("tokens.days.invalid"))
    role = form.get("rol") or ""
    if role not in ("planner", "expert", "admin"):
        form.add_error("rol", t("tokens.role.missing"))
    if not form.ok:
        return _render(page, session, form, status=422)
    expert = form.get("medewerker") or ""
    try:
        municipality = (
            tenants.get_by_slug(session, form.get("gemeente") or "") if role != "admin" else None
        )
        _, token = accounts.create(
            session,
            name=name[:200],
            role=Role(role),
            municipality=municipality,
            expert_id=int(expert) if expert.isdigit() and len(expert) < 10 else None,
            expires_at=clock.now() + dt.timedelta(days=int(days)),
        )
    except DomainError as exc:
        form.add_error("gemeente", exc.detail_nl if t.lang == "nl" else exc.detail)
        return _render(page, session, form, status=422)
    session.commit()
    return _render(page, session, Form(values={"dagen": "90", "rol": "planner"}), token=token)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.", nl="Deze gebruiker bestaat niet.")
    return user


@router.get(f"{PATH}/{{user_id}}/intrekken", response_class=HTMLResponse)
def confirm_revoke(page: PageDep, session: SessionDep, user_id: ResourceId) -> Response:
    """Are you sure? Revoking is a POST from this page."""
    admin = _admin(page, session)
    if not isinstance(admin, User):
        return admin
    return page.render(
        "planner/token_revoke.html", nav=None, planner_css=PLANNER_CSS, user=_user(session, user_id)
    )


@router.post(f"{PATH}/{{user_id}}/intrekken", response_class=HTMLResponse)
def revoke(page: PageDep, session: SessionDep, form: PostedForm, user_id: ResourceId) -> Response:
    """Switch the user off: the token stops working and every web session ends."""
    admin = _admin(page, session)
    if not isinstance(admin, User):
        return admin
    user = _user(session, user_id)
    accounts.revoke(session, user)
    web_sessions.revoke_all(session, user, now=clock.now())
    session.commit()
    return page.redirect(PATH)

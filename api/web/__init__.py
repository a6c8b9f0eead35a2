"""Server-rendered web pages: the citizen's booking flow and the foundation other pages build on.

``router`` holds every page route of this package; ``api.routers.pages`` mounts it (last, after
the API routers, so ``/{slug}/`` never shadows them). See ``api/web/README.md`` for the layout,
the i18n helper, theming, form helpers and the browser-test fixtures.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import admin_tokens, citizen, demo_messages, expert, manage, oidc

router = APIRouter(include_in_schema=False)
# The manage pages first: their literal prefix (/afspraak) is more specific than /{slug}/.
router.include_router(manage.router)
# Sign-in and the expert's route app (/login, /logout, /expert/…): literal prefixes too.
router.include_router(expert.router)
# Staff sign-in with OpenID Connect (/login/oidc/…).
router.include_router(oidc.router)
# Admins issue and revoke API tokens (/planner/toegangscodes).
router.include_router(admin_tokens.router)
# ``aanhuis demo`` only (a 404 elsewhere): the messages sent, by channel.
router.include_router(demo_messages.router)
router.include_router(citizen.router)

__all__ = ["router"]

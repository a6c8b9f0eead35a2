"""Cross-site request forgery protection that works without an account or a login.

Three layers, each enough on its own against a plain cross-site form post:

1. **Fetch metadata.** Browsers send ``Sec-Fetch-Site`` with every request; a POST that says
   ``cross-site`` is refused outright. Older browsers send ``Origin`` instead: a POST whose Origin
   names another host is refused too.
2. **Double-submit token.** The first page sets a random token in a cookie (HttpOnly,
   ``SameSite=Strict``; named ``__Host-…`` and Secure when the site runs on HTTPS, so a sibling
   subdomain cannot plant one). Every form repeats it in a hidden ``csrf`` field; a POST is accepted
   only when both are present and equal. Another site can make the browser send the cookie (not
   even that, with SameSite=Strict) but cannot read it to fill in the field.
3. **The manage token.** Reschedule, cancel and erase are POSTs that must also carry the booking's
   secret manage token in the form body (the one in the manage link). Only someone who holds the
   link can fill that in, so these actions stay safe even where cookies are blocked.

Why not a server-signed token: it needs a secret shared by every worker and rotated with care, and
the double-submit cookie gives the same guarantee for anonymous visitors (the token is bound to
the browser, not to an account, in both cases).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

FIELD = "csrf"


def is_https(request: Request) -> bool:
    """The browser talks HTTPS: directly, or to a TLS proxy in front (the public base URL)."""
    base_url = str(getattr(request.app.state.settings, "base_url", ""))
    return request.url.scheme == "https" or base_url.startswith("https://")


def cookie_name(request: Request) -> str:
    """``__Host-aanhuis_csrf`` on HTTPS (browsers then insist on Secure, Path=/, no Domain)."""
    return "__Host-aanhuis_csrf" if is_https(request) else "aanhuis_csrf"


def token_for(request: Request) -> tuple[str, bool]:
    """The visitor's CSRF token and whether it is new (then the response must set the cookie)."""
    existing = request.cookies.get(cookie_name(request))
    if existing and 20 <= len(existing) <= 100:
        return existing, False
    return secrets.token_urlsafe(32), True


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "same-site", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # No header at all: not a browser form post from another site (those send one of the two).
        return origin is None
    return urlsplit(origin).netloc == request.url.netloc


def form_token_ok(request: Request, submitted: str | None) -> bool:
    """The hidden field matches the cookie (compared in constant time)."""
    cookie = request.cookies.get(cookie_name(request))
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())

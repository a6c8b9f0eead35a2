"""Experts' calendar feeds at secret addresses, for calendar apps that cannot send a header.

The token in the path is the only key. The access log records the route template, never the path,
so tokens stay out of the logs; responses are private and carry no referrer onwards.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import SessionDep
from api.problems import problem_responses
from scheduler.notify import feeds

router = APIRouter(tags=["calendar"])

#: Calendar apps poll; a few minutes of caching in the app itself is harmless.
CACHE_CONTROL = "private, max-age=300"


@router.get(
    "/feeds/{token}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed."},
        **problem_responses(404),
    },
)
def calendar_feed(token: str, session: SessionDep) -> Response:
    """The expert's visits from two weeks back to eight weeks ahead (iCalendar, METHOD:PUBLISH)."""
    body = feeds.expert_feed(session, token=token)
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": 'inline; filename="aanhuis.ics"',
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
        },
    )


# Some calendar apps ask with HEAD first; the same answer without a body.
router.add_api_route("/feeds/{token}.ics", calendar_feed, methods=["HEAD"], include_in_schema=False)

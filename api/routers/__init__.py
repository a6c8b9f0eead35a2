"""API routers: each module has a ``router``; ``ROUTERS`` lists them in mounting order."""

ROUTERS = (
    "health",
    "municipalities",
    "offers",
    "bookings",
    "days",
    "me",
    "feeds",
    "planning",
    "capacity",
    "rota",
    "services_admin",
    "desk",
    "notify",
    "planner_pages",
    "pages",
)

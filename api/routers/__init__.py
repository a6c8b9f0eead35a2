"""API routers: each module has a ``router``; ``ROUTERS`` lists them in mounting order."""

ROUTERS = ("health", "municipalities", "me", "feeds", "capacity", "services_admin", "pages")

"""The planner's web pages (``/planner/…``), mounted before the citizen pages' ``/{slug}/``."""

from __future__ import annotations

# Importing the section modules registers their routes on the shared planner router.
from api.web import planner_capacity, planner_day, planner_desk, planner_kpis  # noqa: F401
from api.web.planner import router

__all__ = ["router"]

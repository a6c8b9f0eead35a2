"""The planner's web pages (``/planner/…``), mounted before the citizen pages' ``/{slug}/``."""

from __future__ import annotations

# Importing the section modules registers their routes on the shared planner router.
from api.web import (  # noqa: F401
    planner_absences,
    planner_closures,
    planner_continuity,
    planner_day,
    planner_desk,
    planner_experts,
    planner_heatmap,
    planner_kpis,
    planner_proposal,
    planner_rota,
    planner_services,
    planner_shifts,
)
from api.web.planner import router

__all__ = ["router"]

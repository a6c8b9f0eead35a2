"""The web pages (server-rendered HTML), mounted after every API router."""

from __future__ import annotations

from api.web import router

__all__ = ["router"]

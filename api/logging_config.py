"""One logging configuration for the app, uvicorn and every worker process: JSON lines.

Each line is one JSON object: time, level, logger, message, process id, and — inside a request —
the request id; the access log adds method, route template, status and duration. Nothing that a
person typed reaches a line:

* the access log names the route *template* (``/api/v1/bookings/{reference}``), never the raw
  path or query (manage links carry tokens);
* exceptions are written as their type names and stack frames only, never their messages: a
  database error's message holds the statement's parameters or the row's values (names, phone
  numbers, e-mail, addresses, notes, tokens), and so may any other exception's;
* SQLAlchemy's own loggers lose their arguments (engines are made with ``hide_parameters=True``
  as well, see :func:`scheduler.db.make_engine`).

``aanhuis serve`` hands :func:`dict_config` to uvicorn, which applies it in every worker process it
starts; ``aanhuis worker`` and the other commands call :func:`configure`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.config
import os
import traceback
from types import TracebackType
from typing import Any

#: The id of the request being handled (set by the request-id middleware).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

#: Record attributes that become JSON fields when a log call passes them in ``extra``.
FIELDS = ("method", "route", "status", "duration_ms", "client", "job", "count")

#: Loggers whose records may carry SQL parameters as arguments.
_SQL_LOGGERS = ("sqlalchemy",)


class Redact(logging.Filter):
    """Drops what may hold personal data from a record before any handler formats it.

    SQLAlchemy records lose their arguments; an exception keeps its type and frames only (its
    message and arguments are removed, also from chained exceptions). The request id is added.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_SQL_LOGGERS) and record.args:
            record.msg = f"{record.msg} [arguments hidden]"
            record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = describe_exception(record.exc_info[1])
            record.exc_info = None
        if record.stack_info:
            record.stack_info = None
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def describe_exception(exc: BaseException) -> str:
    """``TypeA <- TypeB`` (the chain of causes) and the frames, without any message text."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 10:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    names = " <- ".join(f"{type(e).__module__}.{type(e).__qualname__}" for e in chain)
    frames = _frames(exc.__traceback__)
    return f"{names}\n{frames}" if frames else names


def _frames(tb: TracebackType | None) -> str:
    summary = traceback.extract_tb(tb, limit=40)
    return "\n".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in summary)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process or os.getpid(),
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            line["request_id"] = rid
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            # Only reached when a handler runs without the Redact filter: still no messages.
            line["error"] = describe_exception(record.exc_info[1])
        elif record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """The configuration for :func:`logging.config.dictConfig` (uvicorn's ``log_config``)."""
    level = level.upper()
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": Redact}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own handlers are replaced by ours (propagating to the root).
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # The raw request line holds the path and query (tokens): never logged.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            # Statement logging would print parameters: warnings and errors only.
            "sqlalchemy": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def configure(level: str = "INFO", *, force: bool = False) -> None:
    """Apply :func:`dict_config` in this process, unless its host set up logging already (a test
    runner capturing logs); ``force`` applies it anyway."""
    if logging.getLogger().handlers and not force:
        return
    logging.config.dictConfig(dict_config(level))
    # Python's warnings (a library's deprecation notice) go through the same JSON handlers, not
    # as plain text on stderr.
    logging.captureWarnings(True)

"""JSON-lines logging with the request id of the request being served."""

from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.orjson import OrjsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO", stream=None) -> None:
    """One JSON object per line on stderr (or `stream`), for every logger; `time` in RFC 3339 UTC."""
    # No line carries the caller's file and line, thread or process (the request id and the logger name say
    # where a line comes from): skip collecting them on every call, as the logging HOWTO's optimisation
    # section describes. An access line is written per request, so this is on the hot path.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        OrjsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

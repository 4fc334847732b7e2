"""W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` of the request being handled,
carried into the outbox messages it causes and sent on with every outbound HTTP call their delivery makes.

A request's middleware calls `begin(header)`: a valid incoming traceparent keeps its trace id (this service is
a new span under it); anything else starts a new trace. `kernel.outbox.enqueue` stores `current()` in the
message; the worker restores it while delivering, and `trace_config()` on the HTTP client adds a traceparent
with the same trace id and a new span id to each request it sends.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

import aiohttp

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_current: ContextVar[str | None] = ContextVar("traceparent", default=None)


def parse(header: str | None) -> tuple[str, str, str] | None:
    """(trace id, parent id, flags) of a valid version-00 traceparent, else None (all-zero ids are invalid)."""
    m = _TRACEPARENT.match((header or "").strip())
    if m is None or set(m.group(1)) == {"0"} or set(m.group(2)) == {"0"}:
        return None
    return m.group(1), m.group(2), m.group(3)


def child_of(parent: str | None) -> str:
    """A traceparent for a new span: under `parent`'s trace when valid, else in a new sampled trace."""
    parsed = parse(parent)
    trace, flags = (parsed[0], parsed[2]) if parsed else (secrets.token_hex(16), "01")
    return f"00-{trace}-{secrets.token_hex(8)}-{flags}"


def current() -> str | None:
    return _current.get()


def trace_id(traceparent: str | None) -> str | None:
    parsed = parse(traceparent)
    return parsed[0] if parsed else None


def begin(incoming: str | None) -> str:
    """Enter this task's span (a child of `incoming`); returns its traceparent."""
    value = child_of(incoming)
    _current.set(value)
    return value


@contextlib.contextmanager
def within(traceparent: str | None) -> Iterator[None]:
    """Run the block in `traceparent`'s context (e.g. delivering a message queued under it)."""
    token = _current.set(traceparent)
    try:
        yield
    finally:
        _current.reset(token)


async def _on_request_start(
    session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams
) -> None:
    parent = _current.get()
    if parent is not None and "traceparent" not in params.headers:
        params.headers["traceparent"] = child_of(parent)


def trace_config() -> aiohttp.TraceConfig:
    """Give an aiohttp.ClientSession this to send the current trace on with every request."""
    config = aiohttp.TraceConfig()
    config.on_request_start.append(_on_request_start)
    return config


def log_fields() -> dict[str, Any]:
    tid = trace_id(_current.get())
    return {"trace_id": tid} if tid else {}

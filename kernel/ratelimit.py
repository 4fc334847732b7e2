"""Sliding-window rate limits kept in PostgreSQL (table rate_buckets), so every service process shares them.

A bucket is one row: its recent hit times and its windows. Taking a hit is a conditional upsert (the database
function rate_take): the row lock serialises concurrent takes of the bucket, and the condition is evaluated on
the latest committed row, so twenty-five requests at once against a limit of five get exactly five hits, in one
process or many.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from kernel.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Window:
    """At most `max_hits` in the last `seconds`; `name` is the stable id a 429 gives, zh/en say it to people."""

    name: str
    max_hits: int
    seconds: int
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Limit:
    bucket: str
    windows: tuple[Window, ...]


def spec(*limits: Limit) -> list[dict[str, Any]]:
    """The argument of the database function rate_take (migration 0013): each bucket once, sorted."""
    rows = {
        lim.bucket: {
            "bucket": lim.bucket,
            "maxes": [w.max_hits for w in lim.windows],
            "windows_s": [w.seconds for w in lim.windows],
        }
        for lim in limits
    }
    return [rows[b] for b in sorted(rows)]  # a jsonb parameter (the pool's codec encodes it)


class _Full(Exception):
    pass


async def take(conn: asyncpg.Connection, *limits: Limit, enabled: bool = True) -> datetime | None:
    """One hit in every bucket, or RateLimited naming the window that refused and when to retry.

    Runs in a transaction (a savepoint inside the caller's): a refusal by one bucket takes nothing from the
    others. The buckets' rows stay locked until the outermost transaction ends, so call it in a short one.
    Returns the hits' time, for give_back.
    """
    if not enabled or not limits:
        return None
    try:
        async with conn.transaction():
            taken = await conn.fetch("SELECT rate_take($1::jsonb) AS at", spec(*limits))
            if len(taken) < len({lim.bucket for lim in limits}):
                raise _Full
            return taken[0]["at"]
    except _Full:
        pass
    raise await refusal(conn, *limits)


async def give_back(conn: asyncpg.Connection, at: datetime | None, *buckets: str) -> None:
    """Undo one hit taken at `at` (what take returned) when the request it counted did not happen after all."""
    if at is None or not buckets:
        return
    await conn.execute(
        """UPDATE rate_buckets SET hits = hits[:array_position(hits, $2::timestamptz) - 1]
                                         || hits[array_position(hits, $2::timestamptz) + 1:]
           WHERE bucket = ANY($1::text[]) AND $2::timestamptz = ANY(hits)""",
        sorted(set(buckets)),
        at,
    )


async def refusal(conn: asyncpg.Connection, *limits: Limit) -> RateLimited:
    """The error for a refused take: the window that frees last among the full ones, and when it does."""
    rows = await conn.fetch(
        "SELECT bucket, hits, now() AS now FROM rate_buckets WHERE bucket = ANY($1::text[])",
        [lim.bucket for lim in limits],
    )
    hits = {r["bucket"]: list(r["hits"]) for r in rows}
    now = rows[0]["now"] if rows else None
    worst: tuple[float, Window] | None = None
    for lim in limits:
        for window in lim.windows:
            wait = retry_after(hits.get(lim.bucket, []), window, now) if now is not None else None
            if wait is not None and (worst is None or wait > worst[0]):
                worst = (wait, window)
    if worst is None:  # freed in the meantime: the limit that refused is gone, retry at once
        window = limits[0].windows[0]
        return limited(window, 1)
    return limited(worst[1], max(1, math.ceil(worst[0])))


def retry_after(hits: Sequence[datetime], window: Window, now: datetime) -> float | None:
    """Seconds until `window` has room for one more hit, or None if it has room now."""
    inside = sorted(h for h in hits if h > now - timedelta(seconds=window.seconds))
    if len(inside) < window.max_hits:
        return None
    frees = inside[len(inside) - window.max_hits] + timedelta(seconds=window.seconds)
    return (frees - now).total_seconds()


def limited(window: Window, seconds: int) -> RateLimited:
    zh, en = _duration(seconds)
    return RateLimited(
        f"{window.zh}，请{zh}后再试",
        f"{window.en}; try again in {en}",
        retry_after_s=seconds,
        limit={"name": window.name, "max": window.max_hits, "window_s": window.seconds},
    )


def _duration(seconds: int) -> tuple[str, str]:
    if seconds < 60:
        return f"{seconds}秒", f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}分钟", f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return (
        f"{hours}小时{rest}分钟" if rest else f"{hours}小时",
        f"{hours} h {rest} min" if rest else f"{hours} h",
    )


async def prune(conn: asyncpg.Connection) -> int:
    """Delete buckets whose every hit is older than their longest window (they limit nothing any more)."""
    status = await conn.execute(
        "DELETE FROM rate_buckets WHERE cardinality(rate_recent(hits, windows_s)) = 0"
    )
    return int(status.split()[-1])

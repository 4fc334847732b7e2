"""Sliding-window rate limits kept in PostgreSQL, so every service instance shares them."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from kernel.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Limit:
    bucket: str
    max_events: int
    window_s: int


async def count(conn: asyncpg.Connection, limit: Limit) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM rate_events WHERE bucket = $1::text AND at > now() - make_interval(secs => $2::int)",
        limit.bucket,
        limit.window_s,
    )


async def ensure_below(conn: asyncpg.Connection, *limits: Limit, zh: str, en: str, enabled: bool = True) -> None:
    """Raise RateLimited if any bucket is full (the caller records the event when it happens)."""
    if not enabled:
        return
    for limit in limits:
        if await count(conn, limit) >= limit.max_events:
            raise RateLimited(zh, en, retry_after_s=limit.window_s)


async def hit(conn: asyncpg.Connection, *buckets: str) -> None:
    await conn.execute("INSERT INTO rate_events (bucket) SELECT unnest($1::text[])", list(buckets))


async def prune(conn: asyncpg.Connection, *, older_than_s: int = 86400) -> int:
    status = await conn.execute(
        "DELETE FROM rate_events WHERE at < now() - make_interval(secs => $1::int)", older_than_s
    )
    return int(status.split()[-1])

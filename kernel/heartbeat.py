"""Worker heartbeats: each outbox worker says every few seconds that it is alive and how busy it is."""

from __future__ import annotations

from typing import Any

import asyncpg


async def beat(
    conn: asyncpg.Connection,
    *,
    name: str,
    in_flight: int,
    topics: list[str] | None,
    started: bool = False,
) -> None:
    """Upsert this worker's row; `started` restarts its clock (a new process under a reused name)."""
    await conn.execute(
        """INSERT INTO worker_heartbeats AS w (name, started_at, beat_at, in_flight, topics)
           VALUES ($1::text, now(), now(), $2::int, $3::text[])
           ON CONFLICT (name) DO UPDATE SET beat_at = now(), in_flight = EXCLUDED.in_flight,
               topics = EXCLUDED.topics, stopped_at = NULL,
               started_at = CASE WHEN $4::bool THEN now() ELSE w.started_at END""",
        name,
        in_flight,
        topics,
        started,
    )


async def stopped(conn: asyncpg.Connection, *, name: str) -> None:
    await conn.execute(
        "UPDATE worker_heartbeats SET stopped_at = now(), beat_at = now(), in_flight = 0 "
        "WHERE name = $1::text",
        name,
    )


async def workers(
    conn: asyncpg.Connection, *, stale_after_s: float, keep_stopped_s: float = 86_400.0
) -> list[dict[str, Any]]:
    """Running workers and those that stopped or went silent within `keep_stopped_s`, newest beat first; a
    running worker whose last beat is older than `stale_after_s` reads as stalled."""
    rows = await conn.fetch(
        """SELECT name, started_at, beat_at, stopped_at, in_flight, topics,
                  extract(epoch FROM now() - beat_at)::float8 AS beat_age_s
           FROM worker_heartbeats WHERE beat_at > now() - make_interval(secs => $1::float8)
           ORDER BY beat_at DESC""",
        keep_stopped_s,
    )
    return [
        {
            **dict(r),
            "topics": list(r["topics"]) if r["topics"] is not None else None,
            "state": "stopped"
            if r["stopped_at"] is not None
            else "stalled"
            if r["beat_age_s"] > stale_after_s
            else "running",
        }
        for r in rows
    ]


async def prune(conn: asyncpg.Connection, *, silent_for_s: float = 7 * 86_400.0) -> int:
    """Remove the rows of workers that have not beaten for `silent_for_s`; how many were removed."""
    done = await conn.execute(
        "DELETE FROM worker_heartbeats WHERE beat_at < now() - make_interval(secs => $1::float8)",
        silent_for_s,
    )
    return int(done.split()[-1])

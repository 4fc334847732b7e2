"""Periodic clean-up run beside the worker: rate-limit buckets whose hits all left their windows are deleted."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from kernel import ratelimit

log = logging.getLogger(__name__)


async def housekeeping(pool: asyncpg.Pool, stop: asyncio.Event, *, every_s: float = 600.0) -> None:
    """Until `stop`: prune rate_buckets (a bucket keeps the hits of its longest window, a day at most)."""
    while not stop.is_set():
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            async with pool.acquire() as conn:
                removed = await ratelimit.prune(conn)
            if removed:
                log.info("rate buckets pruned", extra={"removed": removed})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)

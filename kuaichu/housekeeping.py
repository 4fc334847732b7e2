"""Periodic work beside the worker: the assessment timers, and clean-up (rate-limit buckets whose hits all left
their windows are deleted, and so are the temporary files of photo writes a crash interrupted, the bytes of
resumable photo uploads that expired unfinished, drafts past their time, and the heartbeats of workers silent
for a week)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from accident.drafts import purge_expired
from accident.photo_uploads import UploadSpool, expire_uploads
from accident.storage import PhotoStore
from assessment.service import AssessmentContext, sweep
from kernel import heartbeat, ratelimit

log = logging.getLogger(__name__)


async def assessment_timers(ctx: AssessmentContext, stop: asyncio.Event, *, every_s: float) -> None:
    """Sweep the assessment timers (missed offers and ETAs, queued tasks) every `every_s` until stopped; a failed
    pass is logged and retried."""
    while not stop.is_set():
        try:
            await sweep(ctx)
        except (OSError, asyncpg.PostgresError):
            log.exception("assessment sweep failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def housekeeping(
    pool: asyncpg.Pool,
    stop: asyncio.Event,
    *,
    every_s: float = 600.0,
    photos: PhotoStore | None = None,
    stale_part_s: float = 3600.0,
    uploads: UploadSpool | None = None,
) -> None:
    """Until `stop`: prune rate_buckets (a bucket keeps the hits of its longest window, a day at most), remove
    photo `.part` files older than `stale_part_s` (a write in progress renames its file within seconds), and
    expire unfinished uploads (see `sweep_once`)."""
    while not stop.is_set():
        await sweep_once(pool, uploads=uploads)
        if photos is not None:
            try:
                swept = await photos.sweep_partials(stale_part_s)
            except OSError:
                log.warning("sweeping stale photo temp files failed", exc_info=True)
            else:
                if swept:
                    log.info("stale photo temp files removed", extra={"removed": swept})
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            async with pool.acquire() as conn:
                removed = await ratelimit.prune(conn)
                silent = await heartbeat.prune(conn)
            if removed:
                log.info("rate buckets pruned", extra={"removed": removed})
            if silent:
                log.info("silent workers' heartbeats removed", extra={"removed": silent})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def sweep_once(pool: asyncpg.Pool, *, uploads: UploadSpool | None) -> None:
    """One pass over what expires: unfinished resumable uploads past their time (their bytes deleted) and
    drafts past theirs."""
    if uploads is not None:
        try:
            removed = await expire_uploads(pool, uploads)
        except (OSError, asyncpg.PostgresError):
            log.warning("expiring photo uploads failed", exc_info=True)
        else:
            if removed:
                log.info("expired photo uploads removed", extra={"removed": removed})
    try:
        purged = await purge_expired(pool)
    except (OSError, asyncpg.PostgresError):
        log.warning("deleting expired drafts failed", exc_info=True)
    else:
        if purged:
            log.info("expired drafts deleted", extra={"removed": purged})

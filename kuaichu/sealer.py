"""The audit sealer, run beside the worker: seals committed audit events into the global seal chain every
`audit_seal_interval_s` and anchors its head with an RFC 3161 timestamp when due (kernel/audit_chain.py).
Any number of workers may run it: an advisory lock lets one at a time work, the others wait their turn."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import asyncpg

from kernel.audit_chain import run_sealer
from kernel.timestamping import Authority, TimestampError
from kuaichu.settings import Settings

log = logging.getLogger(__name__)


def authority(settings: Settings) -> Authority | None:
    return Authority(settings.tsa_url, settings.tsa_timeout_s) if settings.tsa_url else None


async def seal_now(
    pool: asyncpg.Pool,
    http: aiohttp.ClientSession,
    settings: Settings,
    *,
    force_anchor: bool = False,
) -> None:
    """One sealing pass; with force_anchor the head is anchored now whatever the schedule says."""
    await run_sealer(
        pool,
        http,
        authority(settings),
        anchor_every_s=settings.audit_anchor_every_s,
        anchor_every_events=settings.audit_anchor_every_events,
        force_anchor=force_anchor,
    )


async def sealer(
    pool: asyncpg.Pool, http: aiohttp.ClientSession, settings: Settings, stop: asyncio.Event
) -> None:
    """Until `stop`, one pass every audit_seal_interval_s; a failed pass is logged and tried again next time."""
    if settings.tsa_url is None:
        log.warning(
            "no time-stamping authority configured (KUAICHU_TSA_URL): the audit seal is not anchored"
        )
    while not stop.is_set():
        try:
            await seal_now(pool, http, settings)
        except TimestampError as exc:
            log.warning(
                "anchoring the audit seal failed; next pass tries again", extra={"reason": str(exc)}
            )
        except (OSError, asyncpg.PostgresError):
            log.exception("sealing the audit trail failed; next pass tries again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.audit_seal_interval_s)

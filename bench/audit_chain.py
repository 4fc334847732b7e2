"""Audit append with the per-report hash chain against the same append unchained, 64 concurrent writers.

Measured: 64 writers, each appending events to its own report through the service's write path
(kernel.audit.record inside a transaction, over a pool of 10 connections as the service has), 12,800 events a
run, with the worker's sealer running beside them every second as in production. Baseline: the same, with the
chaining trigger disabled (and so nothing to seal). Runs alternate, 3 each; the ratio is chained events/s over
unchained. Also reported: the sealer's lag (event written → sealed) p99 over the chained runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid

import aiohttp

from bench.common import RUNS, SEED, Row, bench_database, median_row, owner_dsn

NAME = "audit_chain"
WRITERS = 64
EVENTS_PER_WRITER = 200
POOL = 10
SEAL_EVERY_S = 1.0


async def _append_run(dsn: str, *, chained: bool, seal: bool) -> float:
    from kernel.audit import AuditEvent, record
    from kernel.audit_chain import run_sealer
    from kuaichu.db import connect, create_pool

    owner = await connect(owner_dsn(dsn))
    try:
        await owner.execute(
            f"ALTER TABLE audit_events {'ENABLE' if chained else 'DISABLE'} TRIGGER audit_chain_link"
        )
    finally:
        await owner.close()
    rng = random.Random(SEED)
    reports = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(WRITERS)]
    pool = await create_pool(dsn, min_size=POOL, max_size=POOL)
    sealer_pool = await create_pool(dsn, min_size=1, max_size=1)
    stop = asyncio.Event()

    async def writer(report_id: uuid.UUID) -> None:
        for i in range(EVENTS_PER_WRITER):
            async with pool.acquire() as conn, conn.transaction():
                await record(
                    conn,
                    AuditEvent(
                        "report",
                        str(report_id),
                        "status_changed",
                        ("party", str(report_id)),
                        report_id,
                        {"status": {"before": "draft", "after": f"step-{i}"}},
                    ),
                )

    async def sealer(http: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            await run_sealer(
                sealer_pool, http, None, anchor_every_s=300, anchor_every_events=10_000
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SEAL_EVERY_S)

    try:
        async with aiohttp.ClientSession() as http:
            sealing = asyncio.create_task(sealer(http)) if seal else None
            started = time.perf_counter()
            await asyncio.gather(*(writer(r) for r in reports))
            elapsed = time.perf_counter() - started
            stop.set()
            if sealing is not None:
                await sealing
                await run_sealer(
                    sealer_pool, http, None, anchor_every_s=300, anchor_every_events=10_000
                )
    finally:
        await pool.close()
        await sealer_pool.close()
    return WRITERS * EVENTS_PER_WRITER / elapsed


async def _sealer_lag_p99_ms(dsn: str) -> float:
    from kuaichu.db import connect

    conn = await connect(dsn)
    try:
        return await conn.fetchval(
            """SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM s.sealed_at - e.at) * 1000)
               FROM audit_seal s CROSS JOIN LATERAL unnest(s.event_ids) AS u(id) JOIN audit_events e ON e.id = u.id"""
        )
    finally:
        await conn.close()


def run() -> list[Row]:
    chained: list[float] = []
    plain: list[float] = []
    with bench_database() as dsn:
        asyncio.run(_append_run(dsn, chained=True, seal=True))  # warm-up, not counted
        for _ in range(RUNS):
            plain.append(asyncio.run(_append_run(dsn, chained=False, seal=False)))
            chained.append(asyncio.run(_append_run(dsn, chained=True, seal=True)))
        lag = asyncio.run(_sealer_lag_p99_ms(dsn))
    return [
        median_row(
            f"audit append, hash-chained + sealer running, {WRITERS} writers (events/s) vs unchained",
            chained,
            plain,
            unit="events/s",
            target=0.8,
        ),
        Row(
            f"sealer lag p99 (event written → sealed; sealer every {SEAL_EVERY_S:g} s)",
            lag,
            None,
            None,
            "— (reported)",
            None,
            unit="ms",
        ),
    ]

"""Helpers of the delivery tests: point an insurer at a loopback receiver, queue events, run real workers
against the test database until a condition holds, and read the outbox back."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

from claims.webhooks import enqueue_insurer_event
from kuaichu.db import connect, create_pool
from kuaichu.deliveries import handlers
from kuaichu.features import services_for
from kuaichu.settings import Settings
from kuaichu.worker import Worker
from tests.polling import poll_until

EVENT_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


async def point_insurer(dsn: str, url: str, secrets: list[dict], code: str = "PICC") -> None:
    conn = await connect(dsn)
    try:
        await conn.execute(
            "UPDATE insurers SET webhook_url = $2::text, webhook_secrets = $3::jsonb WHERE code = $1",
            code,
            url,
            secrets,
        )
    finally:
        await conn.close()


async def enqueue_disputes(dsn: str, n: int, code: str = "PICC") -> list[uuid.UUID]:
    conn = await connect(dsn)
    ids = []
    try:
        for i in range(n):
            async with conn.transaction():
                rid = uuid.uuid4()
                ids.append(
                    await enqueue_insurer_event(
                        conn,
                        insurer_code=code,
                        event_type="report.disputed",
                        occurred_at=EVENT_AT,
                        report_id=rid,
                        data={
                            "report_id": str(rid),
                            "party_label": "B",
                            "reason": f"不同意责任划分 {i}",
                        },
                        dedupe_key=f"dispute:{rid}",
                    )
                )
    finally:
        await conn.close()
    return ids


async def rows(dsn: str) -> list[dict]:
    conn = await connect(dsn)
    try:
        return [
            dict(r)
            for r in await conn.fetch(
                "SELECT id, status, attempts, last_status, last_error, next_attempt_at FROM outbox ORDER BY created_at"
            )
        ]
    finally:
        await conn.close()


async def run_workers(settings: Settings, until, n_workers: int = 1, limit_s: float = 20) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=8)
    stop = asyncio.Event()
    try:
        async with services_for(settings, pool) as services:
            tasks = [
                asyncio.create_task(Worker(services, handlers(), name=f"w{i}").run(stop))
                for i in range(n_workers)
            ]
            await poll_until(until, limit_s=limit_s)
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        await pool.close()


def all_in(dsn: str, status: str, n: int):
    async def check() -> bool:
        return Counter(r["status"] for r in await rows(dsn))[status] == n

    return check

"""Webhooks end to end: a worker process SIGKILLed mid-run loses nothing, and settled or disputed reports reach
every insurer concerned through the real worker, each message verified by the receiver."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter

from kernel import outbox
from kuaichu.db import connect
from tests.api.claims_setup import settled, two_vehicle_report
from tests.integration.delivery import all_in, enqueue_disputes, point_insurer, rows, run_workers
from tests.integration.webhook_receiver import new_secret, start
from tests.polling import poll_until


async def test_a_worker_killed_mid_run_loses_nothing_and_resends_only_under_the_same_id(
    settings, aiohttp_server, tmp_path
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.delay_s = 0.05
    await point_insurer(settings.database_url, rx.url, [{"secret": secret}])
    ids = await enqueue_disputes(settings.database_url, 150)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KUAICHU_OUTBOX_LEASE_S": "1",
        "KUAICHU_OUTBOX_POLL_S": "0.1",
        "KUAICHU_OUTBOX_CONCURRENCY": "8",
        "KUAICHU_VAR_DIR": str(tmp_path),
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_OUTBOX_BACKOFF_BASE_S": "0.05",
    }
    cmd = [sys.executable, "-m", "kuaichu.cli", "worker"]
    first = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        assert await poll_until(lambda: len(rx.arrivals) >= 40, limit_s=30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    delivered_before = Counter(r["status"] for r in await rows(settings.database_url))["delivered"]
    assert delivered_before < 150  # killed mid-run
    second = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        assert await poll_until(all_in(settings.database_url, "delivered", 150), limit_s=60)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 10)
    assert set(rx.ids()) == {f"msg_{i.hex}" for i in ids}  # none lost, none under a new id
    assert not rx.rejected
    bodies: dict[str, set[bytes]] = {}
    for a in rx.arrivals:
        bodies.setdefault(a.webhook_id, set()).add(a.body)
    assert all(len(b) == 1 for b in bodies.values())


async def test_settled_and_disputed_reports_reach_every_insurer_concerned(
    client, settings, aiohttp_server
):
    report_id = await two_vehicle_report(client, settings)
    receivers = {}
    for code in ("PICC", "CPIC"):
        secret = new_secret()
        receivers[code] = await start(aiohttp_server, [secret])
        await point_insurer(
            settings.database_url, receivers[code].url, [{"secret": secret}], code=code
        )
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            for dedupe in (
                "s1",
                "s1-again",
            ):  # the same settlement delivered twice opens nothing twice
                await outbox.enqueue(
                    conn,
                    topic="report.settled",
                    dedupe_key=dedupe,
                    report_id=report_id,
                    payload=settled(report_id, {"A": 70, "B": 30}),
                )
            await outbox.enqueue(
                conn,
                topic="report.disputed",
                dedupe_key="d1",
                report_id=report_id,
                payload={
                    "report_id": str(report_id),
                    "disputed_by": "B",
                    "stage": "proposal",
                    "version": 1,
                    "reason": "对方变道未打灯",
                },
            )
    finally:
        await conn.close()

    async def done() -> bool:  # other consumers of report.settled may queue more; all must go out
        rs = await rows(settings.database_url)
        return len(rs) >= 3 + 4 + 2 and all(r["status"] == "delivered" for r in rs)

    await run_workers(settings, done, limit_s=30)
    assert await done(), [(r["status"], r["last_error"]) for r in await rows(settings.database_url)]
    mine = {"claim.opened", "report.disputed"}
    got = {code: sorted(t for t in rx.types() if t in mine) for code, rx in receivers.items()}
    assert got == {
        "PICC": ["claim.opened", "claim.opened", "report.disputed"],
        "CPIC": ["claim.opened", "claim.opened", "report.disputed"],
    }
    assert all(
        not rx.rejected and len(set(rx.ids())) == len(rx.arrivals) for rx in receivers.values()
    )
    opened = [
        a.event["data"] for a in receivers["PICC"].arrivals if a.event["type"] == "claim.opened"
    ]
    assert {(d["vehicle_label"], d["role"]) for d in opened} == {
        ("A", "claim_insurer"),
        ("B", "liable_party_insurer"),
    }
    assert uuid.UUID(opened[0]["claim_id"])

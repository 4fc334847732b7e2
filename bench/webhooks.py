"""Outbound delivery (BENCH.md): insurer webhooks through the outbox and the project's worker process against
one raw aiohttp.ClientSession, 20,000 messages of about 1 KB, 64 in flight, receiver pinned to CPU 1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.common import REPO, VENV_BIN, Row, bench_database, free_port, median_row

NAME = "webhooks"
N = 20_000
CONCURRENCY = 64
RUNS = 3
TARGET = 0.3
FAIL_RATE = 0.3
INSURERS = ("PICC", "CPIC", "PINGAN")
# The 503 run shortens the back-off by settings (not code) so that it measures delivery, not waiting.
RETRY_ENV = {
    "KUAICHU_OUTBOX_BACKOFF_BASE_S": "0.05",
    "KUAICHU_OUTBOX_BACKOFF_MAX_S": "1",
    "KUAICHU_OUTBOX_POLL_S": "0.05",
}


# ---- receiver (its own process, pinned to CPU 1) ------------------------------------------------------------


def _serve_receiver(port: int, fail_rate: float) -> None:
    from aiohttp import web

    rng = random.Random(42)
    state: dict = {"first": None, "ok": Counter(), "requests": 0}

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        state["requests"] += 1
        state["first"] = state["first"] or time.time()
        if fail_rate and rng.random() < fail_rate:
            return web.Response(status=503)
        state["ok"][request.headers.get("webhook-id", "")] += 1
        return web.Response(status=200)

    async def stats(request: web.Request) -> web.Response:
        body = {"first": state["first"], "requests": state["requests"], "ok": dict(state["ok"])}
        state.update(first=None, ok=Counter(), requests=0)
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/hooks", hook)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.contextmanager
def receiver(fail_rate: float) -> Iterator[str]:
    from bench.common import pinned_server

    port = free_port()
    argv = [
        "taskset",
        "-c",
        "1",
        sys.executable,
        "-m",
        "bench.webhooks",
        "receiver",
        str(port),
        str(fail_rate),
    ]
    with pinned_server(
        argv, port, {"PYTHONPATH": str(REPO)}
    ) as url:  # pinned_server's CPU 0 is overridden
        yield url


async def _stats(url: str) -> dict:
    import aiohttp

    async with aiohttp.ClientSession() as s, s.get(url + "/stats") as r:
        return await r.json()


# ---- baseline -----------------------------------------------------------------------------------------------


async def _baseline(url: str, bodies: list[bytes]) -> float:
    import aiohttp

    queue = iter(enumerate(bodies))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:

        async def worker() -> None:
            for i, body in queue:
                async with session.post(
                    url + "/hooks",
                    data=body,
                    headers={"content-type": "application/json", "webhook-id": f"base_{i}"},
                ) as r:
                    await r.read()

        await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    last = time.time()
    stats = await _stats(url)
    return N / (last - stats["first"])


# ---- the project's worker -----------------------------------------------------------------------------------


async def _enqueue(dsn: str, url: str) -> tuple[list[bytes], set[str]]:
    """20,000 report.disputed webhooks, each queued in its own business transaction (8 at a time)."""
    from claims.webhooks import enqueue_insurer_event, webhook_id
    from kuaichu.db import create_pool

    pool = await create_pool(dsn, min_size=8, max_size=8)
    reason = "对方车辆变道未开转向灯，我方不认可责任划分。" * 12  # bodies of about 1 KB
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    ids: set[str] = set()
    try:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM outbox")
            await conn.execute(
                "UPDATE insurers SET webhook_url = $1::text, webhook_disabled_at = NULL",
                url + "/hooks",
            )

        async def batch(start: int) -> None:
            async with pool.acquire() as conn:
                for i in range(start, N, 8):
                    rid = uuid.UUID(int=random.Random(i).getrandbits(128))
                    async with conn.transaction():
                        msg = await enqueue_insurer_event(
                            conn,
                            insurer_code=INSURERS[i % len(INSURERS)],
                            event_type="report.disputed",
                            data={
                                "report_id": str(rid),
                                "party_label": "B",
                                "reason": f"{i} {reason}",
                            },
                            occurred_at=at,
                            report_id=rid,
                            dedupe_key=f"bench:{i}",
                        )
                    ids.add(webhook_id(msg))

        await asyncio.gather(*[batch(k) for k in range(8)])
        async with pool.acquire() as conn:
            bodies = [
                r["b"].encode()
                for r in await conn.fetch("SELECT payload->>'body' AS b FROM outbox LIMIT 64")
            ]
    finally:
        await pool.close()
    return bodies, ids


async def _delivered(dsn: str) -> tuple[int, float | None]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'delivered') AS n, "
            "extract(epoch FROM max(delivered_at)) AS last FROM outbox"
        )
        return row["n"], row["last"]
    finally:
        await conn.close()


def _worker_run(
    dsn: str, url: str, ids: set[str], extra_env: dict[str, str]
) -> tuple[float, int, int, int]:
    """Start `kuaichu worker`, wait for every message delivered; rate and lost / duplicated / new-id counts."""
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "KUAICHU_OUTBOX_CONCURRENCY": str(CONCURRENCY),
        "KUAICHU_DB_POOL_MAX": "10",
        "KUAICHU_VAR_DIR": str(REPO / "var" / "bench"),
        **extra_env,
    }
    proc = subprocess.Popen(
        [str(VENV_BIN / "kuaichu"), "worker"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 600
        while asyncio.run(_delivered(dsn))[0] < N and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
    _, last = asyncio.run(_delivered(dsn))
    stats = asyncio.run(_stats(url))
    ok = stats["ok"]
    lost = len(ids - set(ok))
    duplicated = sum(1 for c in ok.values() if c > 1)
    new_id = len(set(ok) - ids)
    return N / (float(last) - stats["first"]), lost, duplicated, new_id


def _measure(
    dsn: str, fail_rate: float, extra_env: dict[str, str]
) -> tuple[list[float], list[float], Counter]:
    ours, base, faults = [], [], Counter()
    with receiver(fail_rate) as url:
        for _ in range(RUNS):
            bodies, ids = asyncio.run(_enqueue(dsn, url))
            if not base or fail_rate == 0:
                base.append(
                    asyncio.run(_baseline(url, [bodies[i % len(bodies)] for i in range(N)]))
                )
            rate, lost, dup, new = _worker_run(dsn, url, ids, extra_env)
            ours.append(rate)
            faults.update(lost=lost, duplicated=dup, new_id=new)
    return ours, base, faults


def run() -> list[Row]:
    unit = "msgs/s (receiver on CPU 1; 64 in flight)"
    with bench_database() as dsn:
        ours, base, f = _measure(dsn, 0.0, {})
        ours503, _, f503 = _measure(dsn, FAIL_RATE, RETRY_ENV)
    rows = [
        median_row(
            "insurer webhooks via outbox + worker vs one raw ClientSession",
            ours,
            base,
            unit=unit,
            target=TARGET,
        )
    ]
    rows.append(
        median_row(
            "same with 30 % 503 answers (back-off 0.05 s base, 1 s max)",
            ours503,
            base,
            unit=unit,
            target=None,
        )
    )
    for label, c in (("200 run", f), ("503 run", f503)):
        zero = c["lost"] == c["duplicated"] == c["new_id"] == 0
        rows.append(
            Row(
                f"webhooks {label}: lost {c['lost']}, duplicated {c['duplicated']}, re-sent under a new id "
                f"{c['new_id']} (over {RUNS}×{N:,})",
                float(c["lost"] + c["duplicated"] + c["new_id"]),
                None,
                None,
                "all 0",
                zero,
            )
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["receiver"]:
        _serve_receiver(int(sys.argv[2]), float(sys.argv[3]))
    else:
        print(json.dumps([r.__dict__ if hasattr(r, "__dict__") else r for r in run()], default=str))

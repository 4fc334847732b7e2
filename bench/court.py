"""Outbound delivery (BENCH.md) of court dispute packages: queued in business transactions, delivered by the
project's worker process (signed, one case POST each, outcome recorded) against one raw aiohttp.ClientSession
posting the same bytes; 20,000 packages, 64 in flight, receiver pinned to CPU 1. Target ≥ 0.3× the baseline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.common import (
    REPO,
    VENV_BIN,
    Row,
    bench_database,
    free_port,
    median_row,
    owner_dsn,
    pinned_server,
)

NAME = "court"
N = 20_000
CONCURRENCY = 64
RUNS = 3
TARGET = 0.3
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _serve_receiver(port: int) -> None:
    """A court that answers 201 at once and counts each Idempotency-Key it saw answered."""
    from aiohttp import web

    state: dict = {"first": None, "ok": Counter()}

    async def cases(request: web.Request) -> web.Response:
        await request.read()
        state["first"] = state["first"] or time.time()
        state["ok"][request.headers.get("Idempotency-Key", "")] += 1
        return web.json_response({"case_number": "（2026）浙0102民诉前调1号"}, status=201)

    async def stats(request: web.Request) -> web.Response:
        body = {"first": state["first"], "ok": dict(state["ok"])}
        state.update(first=None, ok=Counter())
        return web.json_response(body)

    app = web.Application()
    app.router.add_post("/v1/cases", cases)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    port = free_port()
    argv = ["taskset", "-c", "1", sys.executable, "-m", "bench.court", "receiver", str(port)]
    with pinned_server(
        argv, port, {"PYTHONPATH": str(REPO)}
    ) as url:  # taskset -c 1 inside overrides CPU 0
        yield url


async def _stats(url: str) -> dict:
    import aiohttp

    async with aiohttp.ClientSession() as s, s.get(url + "/stats") as r:
        return await r.json()


def _package(i: int, report_id: str) -> dict:
    """A one-vehicle package (about 1.4 KB of canonical JSON) through the real builder."""
    from court_bridge.package import build_package

    party = {
        "label": "A",
        "name": "张三",
        "id_kind": "licence",
        "id_number": f"3301021990{i:08d}",
        "phone": f"138{i:08d}",
        "vehicle_type": "small_passenger",
        "plate": f"浙A{i % 100000:05d}",
        "insurer_code": "PICC",
        "insurer_name": "中国人民财产保险",
        "policy_number": f"PDZA{i:012d}",
    }
    report = {
        "id": report_id,
        "occurred_at": AT,
        "lat": 30.29575,
        "lon": 120.23538,
        "address": "杭州市上城区解放东路",
        "weather": "clear",
        "zone_id": "zj-330102",
        "zone_name": "上城区",
        "jurisdiction": "杭州市上城区交警大队",
    }
    return build_package(
        package_id=f"pkg_bench{i:08d}",
        revision=1,
        created_at=AT,
        report=report,
        parties=[party],
        accounts={},
        proposals=[],
        determinations=[],
        answers=[],
        photos=[],
        court_request={
            "party": "A",
            "determination_version": 1,
            "reason": "不服认定",
            "created_at": AT,
        },
    )


async def _enqueue(dsn: str) -> tuple[list[bytes], set[str]]:
    """20,000 packages, each stored and queued in its own business transaction, as a court request does."""
    import asyncpg

    from court_bridge.package import package_bytes
    from court_bridge.service import case_key, store_and_queue
    from kernel.crypto import Keyring
    from kuaichu.db import create_pool
    from kuaichu.settings import Settings

    s = Settings()
    keyring = Keyring.from_settings(s.secret_key.get_secret_value(), s.data_keys.get_secret_value())
    admin = await asyncpg.connect(owner_dsn(dsn))
    try:
        await admin.execute("TRUNCATE court_updates, court_packages, outbox")
        if await admin.fetchval("SELECT count(*) FROM reports") < N:
            await admin.execute(
                """INSERT INTO reports (id, status, occurred_at, lat, lon, zone_id, weather, vehicle_count,
                                        case_answers)
                   SELECT gen_random_uuid(), 'court_requested', now(), 30.29575, 120.23538, z.id, 'clear', 1, '{}'
                   FROM generate_series(1, $1::int), (SELECT id FROM zones ORDER BY id LIMIT 1) z""",
                N,
            )
        report_ids = [
            str(r["id"])
            for r in await admin.fetch("SELECT id FROM reports ORDER BY id LIMIT $1::int", N)
        ]
    finally:
        await admin.close()
    pool = await create_pool(dsn, min_size=8, max_size=8)
    bodies: list[bytes] = []
    try:

        async def batch(start: int) -> None:
            async with pool.acquire() as conn:
                for i in range(start, N, 8):
                    body = _package(i, report_ids[i])
                    if i < 64:
                        bodies.append(package_bytes(body))
                    async with (
                        conn.transaction()
                    ):  # one business transaction per package, as queue_case
                        await store_and_queue(
                            conn,
                            keyring,
                            body=body,
                            report_id=report_ids[i],
                            actor=("system", "bench"),
                        )

        await asyncio.gather(*[batch(k) for k in range(8)])
    finally:
        await pool.close()
    admin = await asyncpg.connect(owner_dsn(dsn))
    try:  # what autovacuum does within a minute of 20,000 new rows, done before the timer, not during it
        await admin.execute("ANALYZE outbox, court_packages")
    finally:
        await admin.close()
    return bodies, {case_key(f"pkg_bench{i:08d}", 1) for i in range(N)}


async def _baseline(url: str, bodies: list[bytes]) -> float:
    import aiohttp

    queue = iter(range(N))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:

        async def worker() -> None:
            for i in queue:
                async with session.post(
                    url + "/v1/cases",
                    data=bodies[i % len(bodies)],
                    headers={"Content-Type": "application/json", "Idempotency-Key": f"base_{i}.1"},
                ) as r:
                    await r.read()

        await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    last = time.time()
    return N / (last - (await _stats(url))["first"])


async def _delivered(dsn: str) -> tuple[int, float | None]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("""SELECT count(*) FILTER (WHERE state = 'delivered') AS n,
                                            extract(epoch FROM max(delivered_at)) AS last FROM court_packages""")
        return row["n"], row["last"]
    finally:
        await conn.close()


def _worker_run(dsn: str, url: str, keys: set[str]) -> tuple[float, int, int, int]:
    """`kuaichu worker --topic court.case` until every package is delivered; rate, lost, duplicated, new-id."""
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "KUAICHU_OUTBOX_CONCURRENCY": str(CONCURRENCY),
        "KUAICHU_DB_POOL_MAX": "10",
        "KUAICHU_COURT_URL": url,
        "KUAICHU_VAR_DIR": str(REPO / "var" / "bench"),
    }
    proc = subprocess.Popen(
        [str(VENV_BIN / "kuaichu"), "worker", "--topic", "court.case"],
        env=env,
        stderr=subprocess.DEVNULL,
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
    return (
        N / (float(last) - stats["first"]),
        len(keys - set(ok)),
        sum(1 for c in ok.values() if c > 1),
        len(set(ok) - keys),
    )


def run() -> list[Row]:
    ours, base, faults, size = [], [], Counter(), 0
    with bench_database() as dsn, receiver() as url:
        for _ in range(RUNS):
            bodies, keys = asyncio.run(_enqueue(dsn))
            size = len(bodies[0])
            base.append(asyncio.run(_baseline(url, bodies)))
            rate, lost, dup, new = _worker_run(dsn, url, keys)
            ours.append(rate)
            faults.update(lost=lost, duplicated=dup, new_id=new)
    unit = f"packages/s ({size:,} B each; receiver on CPU 1; 64 in flight)"
    zero = faults["lost"] == faults["duplicated"] == faults["new_id"] == 0
    return [
        median_row(
            "court packages via outbox + worker vs one raw ClientSession",
            ours,
            base,
            unit=unit,
            target=TARGET,
        ),
        Row(
            f"court packages: lost {faults['lost']}, duplicated {faults['duplicated']}, re-sent under a new key "
            f"{faults['new_id']} (over {RUNS}×{N:,})",
            float(sum(faults.values())),
            None,
            None,
            "all 0",
            zero,
        ),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["receiver"]:
        _serve_receiver(int(sys.argv[2]))

"""Photo upload under load (BENCH.md "Photos"): upload p99 while 4 clients upload 12 MP photos for 20 s, and
the server's event-loop lag p99 under that load vs with no load (target: at most 20 ms above)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import time

import aiohttp

from bench.common import VENV_BIN, Row, bench_database, free_port, kuaichu_server
from bench.drivers import login, report_body
from bench.photos import make_photo

NAME = "photo_upload"
CLIENTS = 4
SECONDS = 20
PHONE = "13900000043"


def unique(jpeg: bytes, n: int) -> bytes:
    """The same photo with a JPEG comment segment after SOI: valid, and a new SHA-256 for every upload."""
    text = f"kuaichu-bench-{n}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def admin_token(dsn: str) -> str:
    env = {**os.environ, "DATABASE_URL": dsn}
    out = subprocess.run(
        [
            str(VENV_BIN / "kuaichu"),
            "staff",
            "create",
            f"bench-admin-{os.getpid()}",
            "--role",
            "admin",
            "--token",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"kuaichu staff create failed: {out.stderr[-500:]}")
    return out.stdout.strip().splitlines()[-1]


async def _lag(session: aiohttp.ClientSession, url: str, token: str) -> float:
    async with session.get(
        url + f"/v1/admin/runtime?window_s={SECONDS}", headers={"Authorization": f"Bearer {token}"}
    ) as r:
        return (await r.json())["loop_lag"]["p99_ms"]


async def _create_reports(
    session: aiohttp.ClientSession, url: str, session_token: str
) -> list[str]:
    ids = []
    for seq in range(CLIENTS):
        async with session.post(
            url + "/v1/reports",
            json=report_body(PHONE, 9000 + seq),
            headers={"Authorization": f"Bearer {session_token}"},
        ) as r:
            data = await r.json()
            ids.append((data["report"]["id"], data["party_token"]))
    return ids


async def _round(
    url: str, token: str, reports: list[tuple[str, str]], photo: bytes, counter: list[int]
):
    """One measured round: 20 s idle (baseline lag), then 20 s of 4 uploading clients."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        await asyncio.sleep(SECONDS)
        idle = await _lag(session, url, token)
        deadline = time.monotonic() + SECONDS

        async def client(report_id: str, party_token: str) -> None:
            while time.monotonic() < deadline:
                counter[0] += 1
                form = aiohttp.FormData()
                form.add_field("kind", "scene")
                form.add_field(
                    "file", unique(photo, counter[0]), filename="p.jpg", content_type="image/jpeg"
                )
                start = time.monotonic()
                async with session.post(
                    url + f"/v1/reports/{report_id}/photos",
                    data=form,
                    headers={"Authorization": f"Bearer {party_token}"},
                ) as r:
                    await r.read()
                    if r.status != 201:
                        raise RuntimeError(f"upload answered {r.status}")
                latencies.append((time.monotonic() - start) * 1000)

        await asyncio.gather(*(client(rid, tok) for rid, tok in reports))
        loaded = await _lag(session, url, token)
    latencies.sort()
    return idle, loaded, latencies[int(len(latencies) * 0.99) - 1], len(latencies) / SECONDS


def run() -> list[Row]:
    os.sched_setaffinity(0, {1})  # the clients on CPU 1, the server pinned to CPU 0
    photo = make_photo((4000, 3000), random.Random(42))
    idle, loaded, p99s, rates = [], [], [], []
    with bench_database() as dsn:
        port = free_port()
        token = admin_token(dsn)
        with kuaichu_server(
            dsn,
            port,
            {
                "KUAICHU_MAX_PHOTOS_PER_REPORT": "1000000",
                "KUAICHU_MAX_PHOTO_BYTES_PER_REPORT": str(2**50),
            },
        ) as url:
            session_token = login(url, PHONE)

            async def setup() -> list[tuple[str, str]]:
                async with aiohttp.ClientSession() as s:
                    return await _create_reports(s, url, session_token)

            reports = asyncio.run(setup())
            counter = [0]
            for _ in range(3):
                i, lo, p, rate = asyncio.run(_round(url, token, reports, photo, counter))
                idle.append(i)
                loaded.append(lo)
                p99s.append(p)
                rates.append(rate)
    lag, base = statistics.median(loaded), statistics.median(idle)
    spread = f"{min(loaded):.1f}–{max(loaded):.1f} (idle {min(idle):.1f}–{max(idle):.1f})"
    return [
        Row(
            "event-loop lag p99 while 4 clients upload 12 MP photos, vs idle",
            lag,
            base,
            None,
            "≤ idle + 20 ms",
            lag <= base + 20,
            spread,
            "ms",
        ),
        Row(
            "upload p99 latency, 4 clients × 12 MP (4.4 MB) photos",
            statistics.median(p99s),
            None,
            None,
            "— (reported)",
            None,
            f"{min(p99s):.0f}–{max(p99s):.0f}; {statistics.median(rates):.1f} uploads/s",
            "ms",
        ),
    ]

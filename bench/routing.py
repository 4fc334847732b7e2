"""Routing decision (issue 5): zone lookup + nearest free adjuster among 1,000 candidates, pure and with the
database round trips (candidates SELECT, decision, conditional capacity UPDATE; rolled back), p99 latency."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any

from bench.common import RUNS, SEED, Row, bench_database
from bench.geo_lookup import real_zones
from geo.coords import haversine_m
from geo.routing import Candidate, CandidateIndex
from geo.zones import ZoneIndex

NAME = "routing"
CANDIDATES = 1_000
DECISIONS = 5_000
DB_DECISIONS = 500
PURE_TARGET_MS = 2.0
DB_TARGET_MS = 20.0
INSURER = "PICC"
BOX = (29.9, 30.5, 119.9, 120.5)  # greater Hangzhou: most points land in urban districts


def _candidates(rng: random.Random) -> list[Candidate]:
    lat0, lat1, lon0, lon1 = BOX
    return [
        Candidate(
            f"bench-adj-{i:04d}",
            "adjuster",
            rng.uniform(lat0, lat1),
            rng.uniform(lon0, lon1),
            capacity=3,
            open_tasks=rng.randint(0, 3),
            active=rng.random() > 0.05,
            insurer_code=INSURER,
        )
        for i in range(CANDIDATES)
    ]


def _points(rng: random.Random, zones: ZoneIndex, n: int) -> list[tuple[float, float]]:
    lat0, lat1, lon0, lon1 = BOX
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        hit = zones.lookup(lat, lon)
        if hit is not None and hit.kind == "urban":
            out.append((lat, lon))
    return out


def _p99_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] * 1000


def _pure(zones: ZoneIndex, index: CandidateIndex, points: list[tuple[float, float]]) -> float:
    times = []
    for lat, lon in points:
        t0 = time.perf_counter()
        hit = zones.lookup(lat, lon)
        assert hit is not None
        index.decide(hit=hit, insurer_code=INSURER, lat=lat, lon=lon)
        times.append(time.perf_counter() - t0)
    return _p99_ms(times)


def _naive(zones: ZoneIndex, cands: list[Candidate], points: list[tuple[float, float]]) -> float:
    """Baseline: the same lookup, then a Python loop of haversine over every candidate."""
    times = []
    for lat, lon in points:
        t0 = time.perf_counter()
        zones.lookup(lat, lon)
        free = [
            c for c in cands if c.active and c.open_tasks < c.capacity and c.insurer_code == INSURER
        ]
        min(free, key=lambda c: (round(haversine_m(lat, lon, c.lat, c.lon), 3), c.id))
        times.append(time.perf_counter() - t0)
    return _p99_ms(times)


async def _with_database(
    dsn: str, zones: ZoneIndex, cands: list[Candidate], points: list[tuple[float, float]]
) -> list[float]:
    import asyncpg

    from assessment import repository as repo
    from geo.routing import decide

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO staff (id, username, role, insurer_code, display_name, token_hash)"
            " SELECT gen_random_uuid(), 'bench.' || x, 'adjuster', $2::text, x, decode(md5(x), 'hex')"
            " FROM unnest($1::text[]) AS x",
            [c.id for c in cands],
            INSURER,
        )
        await conn.executemany(
            """INSERT INTO assessors (id, kind, staff_id, insurer_code, name, lat, lon, capacity, open_tasks, active)
               SELECT $1::text, 'adjuster', s.id, $2::text, $1::text, $3::float8, $4::float8, $5::int, $6::int, $7::bool
               FROM staff s WHERE s.username = 'bench.' || $1::text""",
            [(c.id, INSURER, c.lat, c.lon, c.capacity, c.open_tasks, c.active) for c in cands],
        )
        # Only the 1,000 bench adjusters compete: the sample's own PICC adjusters are set aside.
        await conn.execute(
            "UPDATE assessors SET active = false WHERE id NOT LIKE 'bench-%' AND insurer_code = $1",
            INSURER,
        )
        runs = []
        for _ in range(RUNS):
            times = []
            for lat, lon in points:
                t0 = time.perf_counter()
                tx = conn.transaction()
                await tx.start()
                hit = zones.lookup(lat, lon)
                assert hit is not None
                found = await repo.candidates(
                    conn,
                    kind="adjuster",
                    insurer_code=INSURER,
                    zone_id=hit.zone_id,
                    excluded=[],
                    lat=lat,
                    lon=lon,
                )
                d = decide(hit=hit, insurer_code=INSURER, lat=lat, lon=lon, candidates=found)
                assert await repo.take_slot(conn, assessor_id=d.ranked[0].id)
                await (
                    tx.rollback()
                )  # the commit is not part of the decision; loads stay as generated
                times.append(time.perf_counter() - t0)
            runs.append(_p99_ms(times))
        return runs
    finally:
        await conn.close()


def run() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    zones = ZoneIndex.build(real_zones())
    cands = _candidates(rng)
    index = CandidateIndex(cands)
    points = _points(rng, zones, DECISIONS)
    pure = [_pure(zones, index, points) for _ in range(RUNS)]
    naive = [_naive(zones, cands, points[:1000]) for _ in range(RUNS)]
    rows: list[Row | dict[str, Any]] = [
        _row(
            "routing decision, pure (zone + nearest of 1,000), p99",
            pure,
            naive,
            PURE_TARGET_MS,
            "Python loop",
        )
    ]
    with bench_database() as dsn:
        db = asyncio.run(_with_database(dsn, zones, cands, points[:DB_DECISIONS]))
    rows.append(_row("routing decision with database round trips, p99", db, None, DB_TARGET_MS, ""))
    return rows


def _row(
    measure: str, ours: list[float], base: list[float] | None, target_ms: float, base_name: str
) -> Row:
    value = statistics.median(ours)
    baseline = statistics.median(base) if base else None
    spread = f"{min(ours):.3f}–{max(ours):.3f}" + (
        f" (baseline {base_name} {min(base):.3f}–{max(base):.3f})" if base else ""
    )
    return Row(
        measure,
        value,
        baseline,
        baseline / value if baseline else None,
        f"p99 < {target_ms:g} ms",
        value < target_ms,
        spread,
        "ms",
    )

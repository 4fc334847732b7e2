"""Near-duplicate photo lookup among 1,000,000 stored hashes: the band-indexed query (accident/anomalies.py, the
one the worker runs) against a sequential scan of the same table with bit_count, in the same run.

Stored: 1,000,000 random 64-bit pHash/dHash pairs (seed 42) in photo_similarity, as migration 0044 indexes them.
Test set: 200 queries, each a stored pair with 0–8 pHash bits and 0–10 dHash bits flipped at random (the
thresholds). Measured: per-query latency of each method over the test set (3 runs); ratio = mean scan time over
mean indexed time; recall = share of queries whose source pair the indexed query finds (the scan finds all).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

from bench.common import RUNS, SEED, Row, bench_database, median_row, owner_dsn

NAME = "near_duplicates"
STORED = 1_000_000
QUERIES = 200
P_MAX, D_MAX = 8, 10

_INDEXED = """
SELECT sha256 FROM photo_similarity
WHERE (band0 = $3::int OR band1 = $4::int OR band2 = $5::int OR band3 = $6::int)
  AND bit_count((phash # $1::bigint)::bit(64)) <= $7::int AND bit_count((dhash # $2::bigint)::bit(64)) <= $8::int
"""
_SCAN = """
SELECT sha256 FROM photo_similarity
WHERE bit_count((phash # $1::bigint)::bit(64)) <= $3::int AND bit_count((dhash # $2::bigint)::bit(64)) <= $4::int
"""


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _flip(v: int, bits: int, rng: random.Random) -> int:
    for b in rng.sample(range(64), bits):
        v ^= 1 << b
    return v


async def _fill(owner: str) -> list[tuple[str, int, int]]:
    """1M random rows (written by the owner, in one INSERT … SELECT); returns the test set's source rows."""
    from kuaichu.db import connect

    conn = await connect(owner)
    try:
        await conn.execute("SELECT setseed(0.42)")
        # Filled without its indexes, which are then built exactly as migration 0044 defines them (faster).
        await conn.execute("""ALTER TABLE photo_similarity DROP CONSTRAINT photo_similarity_pkey;
                              DROP INDEX photo_similarity_band0, photo_similarity_band1, photo_similarity_band2,
                                         photo_similarity_band3""")
        await conn.execute(
            """INSERT INTO photo_similarity (sha256, variant, phash, dhash, band0, band1, band2, band3)
               SELECT 'bench-' || g, 0, p, d, (p & 65535)::int, ((p >> 16) & 65535)::int, ((p >> 32) & 65535)::int,
                      ((p >> 48) & 65535)::int
               FROM (SELECT g, ((random() * 4294967295)::bigint << 32) # (random() * 4294967295)::bigint AS p,
                            ((random() * 4294967295)::bigint << 32) # (random() * 4294967295)::bigint AS d
                     FROM generate_series(1, $1::int) g) h""",
            STORED,
        )
        await conn.execute("""ALTER TABLE photo_similarity
                                  ADD CONSTRAINT photo_similarity_pkey PRIMARY KEY (sha256, variant);
                              CREATE INDEX photo_similarity_band0 ON photo_similarity (band0);
                              CREATE INDEX photo_similarity_band1 ON photo_similarity (band1);
                              CREATE INDEX photo_similarity_band2 ON photo_similarity (band2);
                              CREATE INDEX photo_similarity_band3 ON photo_similarity (band3);
                              ANALYZE photo_similarity""")
        picks = random.Random(SEED).sample(range(1, STORED + 1), QUERIES)
        rows = await conn.fetch(
            "SELECT sha256, phash, dhash FROM photo_similarity WHERE sha256 = ANY($1::text[])",
            [f"bench-{i}" for i in picks],
        )
    finally:
        await conn.close()
    return [(r["sha256"], r["phash"], r["dhash"]) for r in rows]


def _queries(sources: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    rng = random.Random(SEED)
    out = []
    for sha, p, d in sources:
        p_u, d_u = p & ((1 << 64) - 1), d & ((1 << 64) - 1)
        p_q = _flip(p_u, rng.randint(0, P_MAX), rng)
        d_q = _flip(d_u, rng.randint(0, D_MAX), rng)
        out.append((sha, _signed(p_q), _signed(d_q)))
    return out


async def _measure(
    dsn: str, queries: list[tuple[str, int, int]]
) -> tuple[list[float], list[float], float]:
    from kuaichu.db import connect

    conn = await connect(dsn)
    try:
        indexed_ms, scan_ms, found = [], [], 0
        for sha, p, d in queries:
            bands = [(p >> (16 * i)) & 0xFFFF for i in range(4)]
            t = time.perf_counter()
            hits = await conn.fetch(_INDEXED, p, d, *bands, P_MAX, D_MAX)
            indexed_ms.append((time.perf_counter() - t) * 1000)
            found += any(h["sha256"] == sha for h in hits)
        for _sha, p, d in queries[
            :20
        ]:  # the scan is slow: a tenth of the set is enough for its mean
            t = time.perf_counter()
            await conn.fetch(_SCAN, p, d, P_MAX, D_MAX)
            scan_ms.append((time.perf_counter() - t) * 1000)
    finally:
        await conn.close()
    return indexed_ms, scan_ms, found / len(queries)


def _p99(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def run() -> list[Row]:
    with bench_database() as dsn:
        queries = _queries(asyncio.run(_fill(owner_dsn(dsn))))
        runs = [asyncio.run(_measure(dsn, queries)) for _ in range(RUNS)]
    indexed_means = [statistics.mean(r[0]) for r in runs]
    scan_means = [statistics.mean(r[1]) for r in runs]
    p99s = [_p99(r[0]) for r in runs]
    recall = statistics.median(r[2] for r in runs)
    return [
        median_row(
            f"near-duplicate lookup among {STORED:,} hashes: band index vs sequential scan (mean ms/query)",
            indexed_means,
            scan_means,
            unit="ms",
            target=10,
            higher_is_better=False,
        ),
        Row(
            "near-duplicate lookup p99 (band index)",
            statistics.median(p99s),
            None,
            None,
            "≤ 20 ms",
            statistics.median(p99s) <= 20,
            f"{min(p99s):.2f}–{max(p99s):.2f}",
            "ms",
        ),
        Row(
            f"recall of the band index on the test set (0–{P_MAX} pHash, 0–{D_MAX} dHash bits flipped)",
            recall * 100,
            None,
            None,
            "— (reported)",
            None,
            unit="%",
        ),
    ]

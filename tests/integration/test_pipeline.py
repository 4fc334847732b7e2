"""Pipelined writes on a real PostgreSQL: concurrent callers share round trips, yet each caller's write
commits or fails on its own."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from kernel.pipeline import PipelinedStatement

# One row per run, as the report creation statement: did this call insert its key?
PUT = """
WITH ins AS (INSERT INTO pipeline_probe (k, v) VALUES ($1::text, $2::int) ON CONFLICT (k) DO NOTHING RETURNING 1)
SELECT count(*) AS created FROM ins
"""


@pytest.fixture
async def pool(database_url: str, owner_database_url: str):
    admin = await asyncpg.connect(owner_database_url)
    await admin.execute(
        "CREATE TABLE pipeline_probe (k text PRIMARY KEY, v int NOT NULL CHECK (v >= 0))"
    )
    await admin.close()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


async def _rows(pool: asyncpg.Pool) -> dict[str, int]:
    return {r["k"]: r["v"] for r in await pool.fetch("SELECT k, v FROM pipeline_probe")}


async def test_concurrent_writes_share_round_trips_and_all_commit(pool: asyncpg.Pool) -> None:
    put = PipelinedStatement(pool, PUT, max_batch=32, max_in_flight=1)
    rows = await asyncio.gather(*(put.fetchrow(f"k{i}", i) for i in range(200)))
    assert [r["created"] for r in rows] == [1] * 200
    assert await _rows(pool) == {f"k{i}": i for i in range(200)}
    assert put.runs == 200 and put.round_trips <= 200 // 32 + 2


async def test_one_bad_write_fails_alone_and_the_rest_of_its_batch_commits(
    pool: asyncpg.Pool,
) -> None:
    put = PipelinedStatement(pool, PUT, max_batch=32, max_in_flight=1)
    results = await asyncio.gather(
        *(put.fetchrow(f"k{i}", -1 if i == 7 else i) for i in range(20)), return_exceptions=True
    )
    assert isinstance(results[7], asyncpg.CheckViolationError)
    assert put.round_trips == 1 + 20  # the refused batch, then each caller alone
    assert all(r["created"] == 1 for i, r in enumerate(results) if i != 7)
    assert await _rows(pool) == {f"k{i}": i for i in range(20) if i != 7}


async def test_the_same_key_twice_in_one_batch_is_written_once(pool: asyncpg.Pool) -> None:
    put = PipelinedStatement(pool, PUT, max_batch=32, max_in_flight=1)
    rows = await asyncio.gather(
        put.fetchrow("a", 1), put.fetchrow("dup", 2), put.fetchrow("dup", 3)
    )
    assert [r["created"] for r in rows] == [1, 1, 0]
    assert await _rows(pool) == {"a": 1, "dup": 2}


async def test_a_lone_write_goes_at_once(pool: asyncpg.Pool) -> None:
    put = PipelinedStatement(pool, PUT)
    assert (await put.fetchrow("solo", 1))["created"] == 1
    assert put.round_trips == 1 and await _rows(pool) == {"solo": 1}


async def test_a_lost_connection_fails_every_caller_of_the_batch(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    put = PipelinedStatement(
        pool, "SELECT pg_terminate_backend(pg_backend_pid()) AS gone, $1::int AS n", max_in_flight=1
    )
    try:
        results = await asyncio.gather(*(put.fetchrow(i) for i in range(3)), return_exceptions=True)
        assert all(
            isinstance(r, (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)) for r in results
        )
        assert (put.runs, put.round_trips) == (
            3,
            1,
        )  # not re-run one by one: the server is gone, not the data
    finally:
        pool.terminate()

"""Migrations: in order, once, serialised between processes; pooled connections act as the application role."""

from __future__ import annotations

import asyncio

from kuaichu.db import connect, create_pool
from kuaichu.migrate import load_migrations, migrate
from tests.conftest import with_database
from tests.polling import poll_until


async def test_running_migrations_again_and_from_two_processes_at_once_applies_nothing_twice(
    pg_server_dsn,
):
    admin = await connect(pg_server_dsn)
    await admin.execute('DROP DATABASE IF EXISTS "kuaichu_migrate_race"')
    await admin.execute('CREATE DATABASE "kuaichu_migrate_race"')
    dsn = with_database(pg_server_dsn, "kuaichu_migrate_race")
    try:
        a, b = await connect(dsn), await connect(dsn)
        try:
            applied = await asyncio.gather(migrate(a), migrate(b))
            assert sorted(applied[0] + applied[1]) == [m.version for m in load_migrations()]
            assert await migrate(a) == []
            assert await a.fetchval("SELECT count(*) FROM schema_migrations") == len(
                load_migrations()
            )
        finally:
            await a.close()
            await b.close()
    finally:
        await admin.execute('DROP DATABASE IF EXISTS "kuaichu_migrate_race" WITH (FORCE)')
        await admin.close()


async def test_pooled_connections_stay_the_application_role_across_uses(database_url):
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        for _ in range(3):
            async with pool.acquire() as conn:
                assert await conn.fetchval("SELECT current_user") == "kuaichu_app"
                assert not await conn.fetchval(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                )
    finally:
        await pool.close()


async def test_housekeeping_deletes_rate_buckets_whose_hits_all_left_their_windows_and_keeps_the_others(
    database_url,
):
    from kuaichu.housekeeping import housekeeping

    conn = await connect(database_url)
    pool = await create_pool(database_url, min_size=1, max_size=2)
    try:
        await conn.execute(
            """INSERT INTO rate_buckets (bucket, hits, maxes, windows_s) VALUES
               ('login-code:phone:old', ARRAY[now() - interval '25 hours'], '{1,5,10}', '{60,3600,86400}'),
               ('login-code:phone:today', ARRAY[now() - interval '23 hours'], '{1,5,10}', '{60,3600,86400}'),
               ('report:phone:old', ARRAY[now() - interval '61 minutes'], '{3}', '{3600}')"""
        )
        stop = asyncio.Event()
        task = asyncio.create_task(housekeeping(pool, stop, every_s=60))
        await poll_until(lambda: _count_is(conn, 1), limit_s=5)
        stop.set()
        await task
        assert await conn.fetchval("SELECT array_agg(bucket) FROM rate_buckets") == [
            "login-code:phone:today"
        ]
    finally:
        await pool.close()
        await conn.close()


async def _count_is(conn, n: int) -> bool:
    return await conn.fetchval("SELECT count(*) FROM rate_buckets") == n

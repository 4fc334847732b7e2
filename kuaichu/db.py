"""The asyncpg pool: jsonb codec, and a login that the database holds to the application's grants."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

_JSONB_VERSION = b"\x01"  # jsonb's binary wire format: a version byte, then the JSON text


def _jsonb_encode(value: Any) -> bytes:
    return _JSONB_VERSION + orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _jsonb_decode(data: bytes) -> Any:
    return orjson.loads(data[1:])


def _json_encode(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Register codecs (orjson, binary jsonb); client-side only, so nothing to lose behind a pooler."""
    await conn.set_type_codec(
        "jsonb", encoder=_jsonb_encode, decoder=_jsonb_decode, schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec(
        "json", encoder=_json_encode, decoder=orjson.loads, schema="pg_catalog", format="binary"
    )


class UnsafeDatabaseLogin(RuntimeError):
    """The service's login could act as the owner of the tables, so the database would not enforce its grants."""


# The login of a pool: a superuser is a member of every role, so pg_has_role covers it too.
_OWNER_POWERS = """
SELECT session_user::text AS login,
       (SELECT string_agg(DISTINCT o.rolname::text, ', ' ORDER BY o.rolname::text)
        FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner
        WHERE c.relnamespace = 'public'::regnamespace AND pg_has_role(session_user, c.relowner, 'MEMBER')) AS owners
"""


async def refuse_owner_login(conn: asyncpg.Connection) -> None:
    """Raise UnsafeDatabaseLogin unless the login owns no table and cannot become (or is not) their owner."""
    row = await conn.fetchrow(_OWNER_POWERS)
    if row["owners"]:
        raise UnsafeDatabaseLogin(
            f"the service logs in as {row['login']!r}, which is or may act as the owner ({row['owners']}) of the "
            "tables, so the database would not keep the audit trail and decisions append-only: set DATABASE_URL "
            "to the login role kuaichu_app and KUAICHU_MIGRATE_DATABASE_URL to the owner (README, Database roles)"
        )


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open the service's pool. Its connections act as whoever `dsn` logs in as, with no role switch that a
    transaction-mode pooler could lose; a login that could act as the owner is refused (UnsafeDatabaseLogin)."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=init_connection, reset=_reset
    )
    assert pool is not None
    try:
        async with pool.acquire() as conn:
            await refuse_owner_login(conn)
    except BaseException:
        await pool.close()
        raise
    return pool


async def _reset(conn: asyncpg.Connection) -> None:
    """Between uses, only end a transaction left open by an error.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release — a round trip per pool use. Pooled connections here hold no session state to undo: no
    session advisory locks (those are xact-scoped), no cursors outside transactions, no LISTEN, no settings.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the pool's codecs, as whoever `dsn` logs in as (the owner for migrations)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn

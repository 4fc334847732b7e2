"""The asyncpg pool: jsonb codec, and every connection acting as the non-superuser application role."""

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


async def init_connection(conn: asyncpg.Connection, *, role: str | None) -> None:
    """Register codecs (orjson, binary jsonb) and drop to the application role, so the database enforces
    its grants."""
    await conn.set_type_codec("jsonb", encoder=_jsonb_encode, decoder=_jsonb_decode, schema="pg_catalog",
                              format="binary")
    await conn.set_type_codec("json", encoder=_json_encode, decoder=orjson.loads, schema="pg_catalog",
                              format="binary")
    if role:
        await conn.execute(f"SET ROLE {quote_ident(role)}")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_pool(dsn: str, *, role: str | None, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections run as `role` (SET ROLE survives the pool's reset between uses)."""

    async def _init(conn: asyncpg.Connection) -> None:
        await init_connection(conn, role=role)

    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init, reset=_reset)
    assert pool is not None
    return pool


async def _reset(conn: asyncpg.Connection) -> None:
    """Between uses, only end a transaction left open by an error.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release — a round trip per pool use. Pooled connections here hold no session state to undo: no
    session advisory locks (those are xact-scoped), no cursors outside transactions, no LISTEN, and the one
    session setting, the role, must survive anyway.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def connect(dsn: str, *, role: str | None) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn, role=role)
    return conn

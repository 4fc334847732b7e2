"""The asyncpg pool: jsonb codec, and every connection acting as the non-superuser application role."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def init_connection(conn: asyncpg.Connection, *, role: str | None) -> None:
    """Register codecs and drop to the application role, so the database enforces its grants."""
    await conn.set_type_codec("jsonb", encoder=_json_dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=_json_dumps, decoder=json.loads, schema="pg_catalog")
    if role:
        await conn.execute(f"SET ROLE {quote_ident(role)}")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_pool(dsn: str, *, role: str | None, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool whose connections run as `role` (SET ROLE survives the pool's reset between uses)."""

    async def _init(conn: asyncpg.Connection) -> None:
        await init_connection(conn, role=role)

    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init)
    assert pool is not None
    return pool


async def connect(dsn: str, *, role: str | None) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await init_connection(conn, role=role)
    return conn

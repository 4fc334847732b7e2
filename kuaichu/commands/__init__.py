"""Subcommands of `kuaichu`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from kuaichu.db import connect
from kuaichu.settings import Settings

T = TypeVar("T")


def require_db(settings: Settings) -> str:
    if not settings.database_url:
        raise SystemExit("kuaichu: DATABASE_URL is not set")
    return settings.database_url


def with_conn(settings: Settings, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, role: bool = True) -> T:
    """Run fn on one connection (as the application role unless role=False, e.g. for migrations)."""

    async def run() -> T:
        conn = await connect(require_db(settings), role=settings.db_app_role if role else None)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())

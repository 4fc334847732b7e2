"""Subcommands of `kuaichu`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from kuaichu.db import connect
from kuaichu.settings import Settings

T = TypeVar("T")


def since_arg(text: str) -> datetime:
    """An ISO date or time on the command line (UTC unless it says otherwise)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def require_db(settings: Settings) -> str:
    if not settings.database_url:
        raise SystemExit("kuaichu: DATABASE_URL is not set")
    return settings.database_url


def require_owner_db(settings: Settings) -> str:
    if not settings.migrate_database_url:
        raise SystemExit("kuaichu: KUAICHU_MIGRATE_DATABASE_URL is not set (the owner of the tables; the service's"
                         " DATABASE_URL logs in as kuaichu_app, which cannot change the schema)")
    return settings.migrate_database_url


def with_conn(settings: Settings, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, owner: bool = False) -> T:
    """Run fn on one connection: the service's login (DATABASE_URL), or the owner's for migrations."""

    async def run() -> T:
        conn = await connect(require_owner_db(settings) if owner else require_db(settings))
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())

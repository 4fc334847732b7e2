"""Subcommands of `kuaichu`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from kuaichu.db import connect
from kuaichu.embedded import attach_embedded
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
    """DATABASE_URL, or else the embedded cluster `kuaichu up` made under var/ (attached to, or started for the
    length of this command)."""
    if settings.database_url:
        return settings.database_url
    dsn = attach_embedded(settings.var_dir)
    if dsn is None:
        raise SystemExit(f"kuaichu: DATABASE_URL is not set and there is no embedded database under "
                         f"{settings.var_dir / 'pgdata'} (run `make run` once from the repository root, or set "
                         f"DATABASE_URL)")
    return dsn


def with_conn(settings: Settings, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, role: bool = True) -> T:
    """Run fn on one connection (as the application role unless role=False, e.g. for migrations)."""

    async def run() -> T:
        conn = await connect(require_db(settings), role=settings.db_app_role if role else None)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())

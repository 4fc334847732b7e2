"""Subcommands of `kuaichu`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from kuaichu.db import connect
from kuaichu.embedded import attach_embedded
from kuaichu.login_role import provision_dev_login
from kuaichu.settings import Settings

T = TypeVar("T")


def since_arg(text: str) -> datetime:
    """An ISO date or time on the command line (UTC unless it says otherwise)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _embedded_owner(settings: Settings) -> str:
    dsn = attach_embedded(settings.var_dir)
    if dsn is None:
        raise SystemExit(
            f"kuaichu: DATABASE_URL is not set and there is no embedded database under "
            f"{settings.var_dir / 'pgdata'} (run `make run` once from the repository root, or set "
            f"DATABASE_URL)"
        )
    return dsn


def require_db(settings: Settings) -> str:
    """DATABASE_URL, or else the service's login kuaichu_app on the embedded cluster `kuaichu up` made under var/
    (attached to, or started for the length of this command). Callable from async code too."""
    if settings.database_url:
        return settings.database_url
    owner = _embedded_owner(settings)
    with ThreadPoolExecutor(1) as one:  # its own event loop: the caller may be inside one
        return one.submit(asyncio.run, provision_dev_login(owner)).result()


def require_owner_db(settings: Settings) -> str:
    """KUAICHU_MIGRATE_DATABASE_URL, or in development without any URL the embedded cluster's superuser."""
    if settings.migrate_database_url:
        return settings.migrate_database_url
    if not settings.database_url and settings.environment != "production":
        return _embedded_owner(settings)
    raise SystemExit(
        "kuaichu: KUAICHU_MIGRATE_DATABASE_URL is not set (the owner of the tables; the service's"
        " DATABASE_URL logs in as kuaichu_app, which cannot change the schema)"
    )


def with_conn(
    settings: Settings, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, owner: bool = False
) -> T:
    """Run fn on one connection: the service's login (DATABASE_URL), or the owner's for migrations."""

    async def run() -> T:
        conn = await connect(require_owner_db(settings) if owner else require_db(settings))
        try:
            return await fn(conn)
        finally:
            await conn.close()

    return asyncio.run(run())

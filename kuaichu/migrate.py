"""Numbered plain-SQL migrations, applied in order under an advisory lock, each in its own transaction."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

# An arbitrary constant: two processes starting at once serialise on it.
MIGRATION_LOCK_ID = 0x6B75_6169_6368_75
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every migration shipped in kuaichu/migrations, ordered by number; duplicate numbers are a bug."""
    found: dict[int, Migration] = {}
    for entry in resources.files("kuaichu.migrations").iterdir():
        m = _NAME.match(entry.name)
        if not m:
            continue
        version = int(m.group(1))
        if version in found:
            raise RuntimeError(f"two migrations numbered {version:04d}")
        found[version] = Migration(version, m.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Apply what is missing; return the versions applied now. Running it twice is a no-op."""
    applied_now: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1::bigint)", MIGRATION_LOCK_ID)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for mig in load_migrations():
            if mig.version in done:
                continue
            async with conn.transaction():
                await conn.execute(mig.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2::text)",
                    mig.version,
                    mig.name,
                )
            log.info("migration applied", extra={"version": mig.version, "migration": mig.name})
            applied_now.append(mig.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1::bigint)", MIGRATION_LOCK_ID)
    return applied_now

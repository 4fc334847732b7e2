"""The application's login role in development and tests, where we hold a superuser's connection.

Migrations run as the owner of the tables and grant the application role `kuaichu_app` what the service may
do; the service logs in as `kuaichu_app` itself, which owns nothing and is not a member of the owner, so no
statement on its connection (RESET ROLE included) can step outside those grants. In production the operator
creates the role and hands over both URLs (README, "Database roles"); here, for `kuaichu up`, the tests and
the benchmarks, the role is made to log in with a development password and its URL derived from the owner's.
"""

from __future__ import annotations

import asyncpg
from yarl import URL

APP_ROLE = "kuaichu_app"
# Only ever set by this module, on servers where development holds a superuser login.
DEV_APP_PASSWORD = "kuaichu-app-dev-only"  # noqa: S105 - a development marker, like settings.DEV_SECRET
# Serialises provisioning by concurrent test sessions on one server (roles are global to the cluster).
_PROVISION_LOCK_ID = 0x6B75_6169_6368_7572


def login_dsn(dsn: str, *, user: str, password: str) -> str:
    """`dsn` with its user and password replaced (host, port, database and options kept)."""
    url = URL(dsn)
    query = {k: v for k, v in url.query.items() if k not in ("user", "password")}
    return str(url.with_user(user).with_password(password).with_query(query))


async def provision_dev_login(owner_dsn: str) -> str:
    """Make `kuaichu_app` a plain login role (created if missing; no superuser, CREATEROLE or BYPASSRLS) and
    return the URL that logs in as it on the same server and database. Idempotent, and safe when several
    processes do it at once. Needs a superuser (or CREATEROLE) connection: development and tests only."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        for attempt in range(3):
            try:
                async with conn.transaction():
                    await conn.execute(
                        "SELECT pg_advisory_xact_lock($1::bigint)", _PROVISION_LOCK_ID
                    )
                    await _create_or_alter(conn)
                break
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                # Created meanwhile from another database of the server (the lock is per database): alter it.
                if attempt == 2:
                    raise
    finally:
        await conn.close()
    return login_dsn(owner_dsn, user=APP_ROLE, password=DEV_APP_PASSWORD)


async def _create_or_alter(conn: asyncpg.Connection) -> None:
    exists = await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1::text", APP_ROLE)
    verb = "ALTER" if exists else "CREATE"
    password = (
        "'" + DEV_APP_PASSWORD.replace("'", "''") + "'"
    )  # utility statements take no parameters
    await conn.execute(
        f"{verb} ROLE {APP_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
        f"NOBYPASSRLS PASSWORD {password}"
    )

"""The database, not our code, keeps the evidence: the service logs in as a role that owns nothing and cannot
become the owner, so even a connection that undoes any role switch cannot rewrite what was recorded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from kuaichu.keys import SERVICES
from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    determine,
    dispute_to_review,
    give_accounts,
    police,
    report_with_parties,
    respond,
    sign,
)

# What a party, an officer or the worker recorded; none of it may change once written.
EVIDENCE = (
    "audit_events",
    "photos",
    "fault_proposals",
    "fault_signatures",
    "fault_agreements",
    "police_determinations",
    "police_determination_shares",
)

REWRITES = [
    "UPDATE audit_events SET action = 'nothing_happened'",
    "UPDATE audit_events SET at = at - interval '1 day'",
    "DELETE FROM audit_events",
    "UPDATE photos SET sha256 = repeat('0', 64)",
    "UPDATE photos SET taken_at = now(), gps_lat = 0, gps_lon = 0",
    "DELETE FROM photos",
    "UPDATE fault_proposals SET result = '{}'::jsonb",
    "DELETE FROM fault_proposals",
    "UPDATE fault_signatures SET signed_at = now()",
    "DELETE FROM fault_signatures",
    "DELETE FROM fault_agreements",
    "UPDATE police_determinations SET reason = 'nothing to see'",
    "DELETE FROM police_determinations",
    "UPDATE police_determination_shares SET liability = 'none', share_percent = 0",
    "DELETE FROM police_determination_shares",
]


async def _signed_and_determined(client, settings) -> None:
    """One report the parties agreed and both signed; another the police determined after a dispute."""
    agreed = await report_with_parties(client, settings)
    proposal = (await give_accounts(client, agreed, A_REAR_ENDS_B))["proposal"]
    for label in "AB":
        assert (await respond(client, agreed, label, proposal["version"])).status == 200
    for label in "AB":
        r = await sign(client, settings, agreed, label, proposal["version"])
        assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "agreed"
    disputed = await report_with_parties(client, settings)
    await dispute_to_review(client, disputed)
    r = await determine(client, disputed, await police(settings), {"A": "major", "B": "minor"})
    assert r.status == 201, await r.text()


async def _snapshot(conn: asyncpg.Connection) -> dict[str, list[str]]:
    return {
        t: [
            r["row"] for r in await conn.fetch(f"SELECT t::text AS row FROM {t} t ORDER BY t::text")
        ]
        for t in EVIDENCE
    }


async def test_the_service_connection_cannot_rewrite_evidence_even_after_reset_role(
    client, settings
):
    await _signed_and_determined(client, settings)
    async with client.server.app[SERVICES].pool.acquire() as conn:
        await conn.execute("RESET ROLE")
        await conn.execute("SET SESSION AUTHORIZATION DEFAULT")
        before = await _snapshot(conn)
        assert all(before.values()), {t for t, rows in before.items() if not rows}
        allowed = []
        for statement in REWRITES:
            try:
                await conn.execute(statement)
            except asyncpg.InsufficientPrivilegeError:
                continue
            except asyncpg.PostgresError as exc:  # got past the grants, stopped by something else
                allowed.append(f"{statement}: {type(exc).__name__}")
                continue
            allowed.append(statement)
        assert allowed == []
        assert await _snapshot(conn) == before


async def test_the_service_logs_in_as_a_role_that_owns_nothing_and_cannot_become_the_owner(client):
    async with client.server.app[SERVICES].pool.acquire() as conn:
        me = await conn.fetchrow(
            """SELECT session_user::text AS login, current_user::text AS acting, r.rolsuper, r.rolcreaterole,
                      o.rolname::text AS owner, pg_has_role(session_user, o.oid, 'MEMBER') AS may_become_owner
               FROM pg_roles r, pg_class c JOIN pg_roles o ON o.oid = c.relowner
               WHERE r.rolname = session_user AND c.oid = 'audit_events'::regclass"""
        )
        assert (
            me["login"] == me["acting"]
        )  # no role switch on the connection: nothing a pooler could lose
        assert me["login"] != me["owner"]
        assert not (me["rolsuper"] or me["rolcreaterole"] or me["may_become_owner"])
        owned = await conn.fetchval(
            """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = session_user)"""
        )
        assert owned == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'SET ROLE "{me["owner"]}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE audit_events_shadow (id bigint)")


async def test_audit_events_take_their_time_from_the_database_clock_not_the_client(
    client, settings
):
    pool = client.server.app[SERVICES].pool
    db_before = await pool.fetchval("SELECT now()")
    await _signed_and_determined(client, settings)
    db_after = await pool.fetchval("SELECT now()")
    times = await pool.fetch("SELECT at FROM audit_events")
    assert times and all(db_before <= r["at"] <= db_after for r in times)
    async with pool.acquire() as conn:
        await conn.execute("RESET ROLE")
        for columns, values in [
            ("at", "$5::timestamptz"),
            ("id, at", "1000000, $5::timestamptz"),
            ("id", "1000000"),
        ]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(
                    f"""INSERT INTO audit_events (entity, entity_id, action, actor_kind, {columns})
                        VALUES ($1::text, $2::text, $3::text, $4::text, {values})""",
                    "report",
                    "backdated",
                    "created",
                    "system",
                    *([datetime(2020, 1, 1, tzinfo=UTC)] if "at" in columns else []),
                )
        assert not await conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE entity_id = 'backdated'"
        )
        await conn.execute(  # appending without a time stays allowed, and is stamped by the database
            "INSERT INTO audit_events (entity, entity_id, action, actor_kind) VALUES ('test', 'x', 'noted', 'system')"
        )
        stamped = await conn.fetchval("SELECT at FROM audit_events WHERE entity_id = 'x'")
        assert db_after <= stamped <= await conn.fetchval("SELECT now()")


async def test_the_service_refuses_to_start_on_a_login_that_could_bypass_the_grants(settings):
    from aiohttp import web

    from kuaichu.app import create_app
    from kuaichu.db import UnsafeDatabaseLogin

    owner = settings.model_copy(update={"database_url": settings.migrate_database_url})
    runner = web.AppRunner(create_app(owner))
    try:
        with pytest.raises(UnsafeDatabaseLogin, match="owner"):
            await runner.setup()
    finally:
        await runner.cleanup()


async def test_provisioning_the_development_login_twice_at_once_succeeds_both_times(pg_server_dsn):
    from kuaichu.login_role import provision_dev_login

    dsns = await asyncio.gather(*(provision_dev_login(pg_server_dsn) for _ in range(4)))
    assert len(set(dsns)) == 1
    conn = await asyncpg.connect(dsns[0])
    try:
        assert await conn.fetchval("SELECT session_user::text") == "kuaichu_app"
    finally:
        await conn.close()

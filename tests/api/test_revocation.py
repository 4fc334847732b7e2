"""Credentials end: phone sessions at logout, party tokens after their report finished, staff accounts when
deactivated; every service process refuses an ended credential a second after it ended."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import asyncpg

from kuaichu.app import create_app
from kuaichu.commands.staff import deactivate_staff
from kuaichu.db import connect
from tests.api.evidence import staff_token
from tests.api.flows import bearer, create_report, join, login, time_passes

# The bound every process keeps: a credential ended this long ago is refused everywhere.
REVOCATION_BOUND_S = 1.0


async def _refused(r) -> None:
    assert r.status == 401, await r.text()
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["type"] == "/problems/unauthenticated"
    assert problem["zh"]["detail"] and problem["en"]["detail"]


async def test_logging_out_ends_this_phone_session_in_every_process_and_nothing_else(
    client, settings, aiohttp_client
):
    other_process = await aiohttp_client(create_app(settings))  # its own cache of verified tokens
    a = await create_report(client, settings.var_dir)
    session, rid = a["session"], a["report"]["id"]
    await time_passes(settings, 61)  # a second login code, a minute later
    second = await login(client, settings.var_dir, a["phone"])  # the same phone on another device
    for app in (client, other_process):
        assert (await app.get("/v1/me/reports", headers=bearer(session))).status == 200

    r = await client.post("/v1/auth/logout", headers=bearer(session))
    assert r.status == 200, await r.text()
    assert await r.json() == {"ended": 1}
    await asyncio.sleep(REVOCATION_BOUND_S)

    for app in (client, other_process):
        await _refused(await app.get("/v1/me/reports", headers=bearer(session)))
        await _refused(await app.get(f"/v1/reports/{rid}", headers=bearer(session)))
        assert (await app.get("/v1/me/reports", headers=bearer(second))).status == 200
        assert (await app.get(f"/v1/reports/{rid}", headers=bearer(a["party_token"]))).status == 200
    await _refused(await client.post("/v1/auth/logout", headers=bearer(session)))  # once is enough

    conn = await asyncpg.connect(settings.database_url)
    try:
        actions = await conn.fetch(
            "SELECT action FROM audit_events WHERE entity = 'session' ORDER BY id"
        )
    finally:
        await conn.close()
    assert [r["action"] for r in actions].count("logged_out") == 1


async def test_ending_a_phones_other_sessions_keeps_this_one_and_the_party_tokens(
    client, settings, aiohttp_client
):
    a = await create_report(client, settings.var_dir)
    lost = a["session"]
    await time_passes(settings, 61)  # a second login code, a minute later
    current = await login(client, settings.var_dir, a["phone"])
    r = await client.post("/v1/auth/sessions/end-others", headers=bearer(current))
    assert r.status == 200, await r.text()
    assert await r.json() == {"ended": 1}
    fresh = await aiohttp_client(create_app(settings))
    await _refused(await fresh.get("/v1/me/reports", headers=bearer(lost)))
    assert (await fresh.get("/v1/me/reports", headers=bearer(current))).status == 200
    assert (
        await fresh.get(f"/v1/reports/{a['report']['id']}", headers=bearer(a["party_token"]))
    ).status == 200


async def test_logout_is_for_phone_sessions_only(client, settings):
    a = await create_report(client, settings.var_dir)
    r = await client.post("/v1/auth/logout", headers=bearer(a["party_token"]))
    assert r.status == 403
    assert r.content_type == "application/problem+json"
    await _refused(await client.post("/v1/auth/logout"))


async def test_a_deactivated_staff_account_is_refused_by_every_process_a_second_later_and_audited(
    client, settings, aiohttp_client
):
    other_process = await aiohttp_client(create_app(settings))
    token = await staff_token(settings, "police")
    for app in (client, other_process):
        assert (await app.get("/v1/police/reviews", headers=bearer(token))).status == 200

    conn = await connect(settings.database_url)
    try:
        await deactivate_staff(conn, username="police-x", by="ops")
        await asyncio.sleep(REVOCATION_BOUND_S)
        for app in (client, other_process):
            await _refused(await app.get("/v1/police/reviews", headers=bearer(token)))
        row = await conn.fetchrow(
            "SELECT actor_kind, actor_id, changes FROM audit_events "
            "WHERE entity = 'staff' AND action = 'deactivated'"
        )
    finally:
        await conn.close()
    assert (row["actor_kind"], row["actor_id"]) == ("system", "cli:ops")
    assert row["changes"]["active"] == {"before": True, "after": False}


async def test_the_staff_deactivate_command_deactivates_once_and_says_so(settings):
    await staff_token(settings, "admin")
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    env.pop("KUAICHU_ENVIRONMENT", None)

    def staff(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kuaichu.cli", "staff", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = await asyncio.to_thread(staff, "deactivate", "admin-x")
    assert done.returncode == 0, done.stderr
    assert "deactivated" in done.stdout
    again = await asyncio.to_thread(staff, "deactivate", "admin-x")
    assert again.returncode != 0
    assert "already inactive" in again.stderr
    unknown = await asyncio.to_thread(staff, "deactivate", "nobody")
    assert "no staff account named 'nobody'" in unknown.stderr


async def test_party_tokens_stop_working_the_retention_period_after_the_report_finished(
    client, settings, aiohttp_client
):
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    status, body, _ = await join(
        client, settings.var_dir, a["share_code"]["code"], answers={"licence_valid": False}
    )
    assert (status, body["status"]) == (
        200,
        "referred_to_122",
    )  # finished: the police take it from here

    fresh = await aiohttp_client(create_app(settings))
    assert (
        await fresh.get(f"/v1/reports/{rid}", headers=bearer(token))
    ).status == 200  # within the period

    conn = await asyncpg.connect(settings.database_url)
    try:  # the retention period passes
        moved = await conn.execute(
            "UPDATE reports SET finished_at = finished_at - $1::float8 * interval '1 day' "
            "WHERE id = $2::uuid AND finished_at IS NOT NULL",
            settings.party_token_retention_days + 1,
            rid,
        )
    finally:
        await conn.close()
    assert moved == "UPDATE 1"
    later = await aiohttp_client(create_app(settings))
    await _refused(await later.get(f"/v1/reports/{rid}", headers=bearer(token)))
    assert (
        await later.get(f"/v1/reports/{rid}", headers=bearer(a["session"]))
    ).status == 200  # phone proves again


async def test_a_party_token_of_an_open_report_keeps_working_however_old(
    client, settings, aiohttp_client
):
    a = await create_report(client, settings.var_dir)
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("UPDATE reports SET created_at = created_at - interval '400 days'")
    finally:
        await conn.close()
    fresh = await aiohttp_client(create_app(settings))
    assert (
        await fresh.get(f"/v1/reports/{a['report']['id']}", headers=bearer(a["party_token"]))
    ).status == 200


async def test_the_session_ending_endpoints_are_described_with_their_problems(client):
    spec = await (await client.get("/v1/openapi.json")).json()
    for path in ("/v1/auth/logout", "/v1/auth/sessions/end-others"):
        op = spec["paths"][path]["post"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/SessionsEnded"
        }
        assert "application/problem+json" in op["responses"]["401"]["content"]
        assert op["security"] == [{"bearer": []}, {"driverCookie": []}, {"secondPartyCookie": []}]

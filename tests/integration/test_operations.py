"""Operators' workbench data over real HTTP, with real workers and a loopback insurer receiver: outbox health
with a parked message and its replay, webhook secret rotation, reference versions, worker heartbeats, and
staff accounts."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

from kernel import outbox
from kernel.crypto import Keyring
from kuaichu.db import connect
from tests.api.flows import bearer
from tests.integration.delivery import enqueue_disputes, point_insurer, rows, run_workers
from tests.integration.webhook_receiver import new_secret, start


def _keyring(settings) -> Keyring:
    return Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )


async def _text_for_later(settings) -> None:
    """A text queued to go in an hour: pending, not yet due."""
    k = _keyring(settings)
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            await outbox.enqueue(
                conn,
                topic="sms",
                dedupe_key="later:1",
                not_before=datetime.now(UTC) + timedelta(hours=1),
                payload={
                    "to_enc": base64.b64encode(k.encrypt("13900000000")).decode(),
                    "text_enc": base64.b64encode(k.encrypt("稍后发送")).decode(),
                },
            )
    finally:
        await conn.close()


async def _health(client, admin_token) -> dict[str, dict]:
    r = await client.get("/v1/admin/outbox/health", headers=admin_token)
    assert r.status == 200, await r.text()
    return {d["destination"]: d for d in (await r.json())["destinations"]}


async def test_outbox_health_shows_a_parked_webhook_with_its_reason_until_it_is_replayed(
    fast, aiohttp_server, client, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["400"] = 1  # refused for good: parked
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    [msg_id] = await enqueue_disputes(fast.database_url, 1)
    await _text_for_later(fast)

    async def parked() -> bool:
        return any(r["status"] == "parked" for r in await rows(fast.database_url))

    await run_workers(fast, parked)
    health = await _health(client, admin_token)
    assert set(health) == {"insurer.webhook:PICC", "sms"}
    picc, sms = health["insurer.webhook:PICC"], health["sms"]
    assert (picc["pending"], picc["parked"]) == (0, 1) and picc["oldest_parked_age_s"] >= 0
    [reason] = picc["parked_reasons"]
    assert (
        reason["messages"] == 1
        and reason["message_ids"] == [str(msg_id)]
        and "400" in reason["reason"]
    )
    assert (sms["pending"], sms["due"], sms["parked"]) == (1, 0, 0) and sms[
        "oldest_pending_age_s"
    ] >= 0

    r = await client.post(f"/v1/admin/outbox/{msg_id}/replay", headers=admin_token)
    assert r.status == 202
    health = await _health(client, admin_token)
    assert (
        health["insurer.webhook:PICC"]["pending"],
        health["insurer.webhook:PICC"]["parked"],
    ) == (1, 0)

    async def delivered() -> bool:
        return any(
            r["id"] == msg_id and r["status"] == "delivered" for r in await rows(fast.database_url)
        )

    await run_workers(fast, delivered)
    health = await _health(client, admin_token)
    assert "insurer.webhook:PICC" not in health  # nothing waiting for PICC any more
    assert rx.ids()[f"msg_{msg_id.hex}"] == 2  # refused once, then delivered under the same id


async def test_the_runtime_view_lists_a_worker_by_its_heartbeat(fast, client, admin_token):
    seen: list[dict] = []

    async def listed() -> bool:
        r = await client.get("/v1/admin/runtime", headers=admin_token)
        seen[:] = (await r.json())["workers"]
        return any(w["name"] == "w0" and w["state"] == "running" for w in seen)

    await run_workers(fast, listed, limit_s=5)
    assert any(w["name"] == "w0" and w["state"] == "running" for w in seen), seen
    r = await client.get("/v1/admin/runtime", headers=admin_token)
    body = await r.json()
    [w0] = [w for w in body["workers"] if w["name"] == "w0"]
    assert (
        w0["state"] == "stopped" and w0["stopped_at"] is not None
    )  # it said goodbye when it stopped
    assert body["loop_lag"]["samples"] >= 0


async def test_a_rotated_secret_signs_beside_the_old_one_then_alone(
    fast, aiohttp_server, client, admin_token
):
    old = new_secret()
    await point_insurer(fast.database_url, "http://127.0.0.1:9/unused", [{"secret": old}])
    url = "/v1/admin/insurers/PICC/webhook/secrets"
    r = await client.post(
        url, json={"overlap_hours": 24}, headers={**admin_token, "Idempotency-Key": "rot-1"}
    )
    assert r.status == 201, await r.text()
    rotated = await r.json()
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old
    assert [s["signing"] for s in rotated["secrets"]] == [True, True]
    assert (
        rotated["secrets"][0]["not_after"] is not None
        and rotated["secrets"][1]["not_after"] is None
    )
    again = await client.post(
        url, json={"overlap_hours": 24}, headers={**admin_token, "Idempotency-Key": "rot-1"}
    )
    assert (await again.json())["secret"] == new  # a retry is the same rotation, not a second one
    r = await client.get(url, headers=admin_token)
    listed = (await r.json())["secrets"]
    assert len(listed) == 2 and all(old not in str(s) and new not in str(s) for s in listed)

    # during the overlap a receiver holding either secret verifies every message
    rx = await start(aiohttp_server, [old, new])
    await point_insurer(fast.database_url, rx.url, await _stored_secrets(fast))
    [first] = await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, lambda: _delivered(fast, first))
    assert len(rx.arrivals) == 1 and len(rx.arrivals[0].signatures) == 2

    r = await client.post(
        url, json={"overlap_hours": 0}, headers=admin_token
    )  # the old ones stop now
    newest = (await r.json())["secret"]
    rx.secrets = [newest]
    [second] = await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, lambda: _delivered(fast, second))
    assert len(rx.arrivals[-1].signatures) == 1 and not rx.rejected
    r = await client.post("/v1/admin/insurers/NOPE/webhook/secrets", json={}, headers=admin_token)
    assert r.status == 404


async def _stored_secrets(settings) -> list[dict]:
    conn = await connect(settings.database_url)
    try:
        return await conn.fetchval("SELECT webhook_secrets FROM insurers WHERE code = 'PICC'")
    finally:
        await conn.close()


async def _delivered(settings, msg_id) -> bool:
    return any(
        r["id"] == msg_id and r["status"] == "delivered" for r in await rows(settings.database_url)
    )


async def test_reference_versions_are_listed_newest_first(client, admin_token):
    r = await client.get("/v1/admin/reference/versions", headers=admin_token)
    body = await r.json()
    assert r.status == 200 and body["versions"]
    assert body["current_in_this_process"] == body["versions"][0]["version"]
    assert len(body["versions"][0]["digest"]) >= 32


async def test_an_admin_creates_scopes_and_deactivates_a_police_account(client, admin_token):
    body = {
        "username": "officer.x",
        "role": "police",
        "display_name": "上城交警",
        "jurisdiction": ["zj-330102"],
        "kind": "system_client",
    }
    r = await client.post(
        "/v1/admin/staff", json=body, headers={**admin_token, "Idempotency-Key": "c-1"}
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    token = created["token"]
    assert created["account"]["jurisdiction"] == ["zj-330102"] and created["account"]["active"]
    again = await client.post(
        "/v1/admin/staff", json=body, headers={**admin_token, "Idempotency-Key": "c-1"}
    )
    assert (
        again.status == 201 and (await again.json())["token"] == token
    )  # the same account, not a second
    r = await client.post("/v1/admin/staff", json=body, headers=admin_token)
    assert r.status == 409 and (await r.json())["errors"][0]["pointer"] == "#/username"
    r = await client.get("/v1/police/reviews", headers=bearer(token))
    assert r.status == 200  # the new token works at once

    r = await client.post(
        "/v1/admin/staff",
        json={**body, "username": "officer.y", "jurisdiction": ["zj-999"]},
        headers=admin_token,
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/jurisdiction"
    r = await client.post(
        "/v1/admin/staff", json={"username": "adj.z", "role": "adjuster"}, headers=admin_token
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/insurer"

    r = await client.put(
        "/v1/admin/staff/officer.x/jurisdiction",
        json={"zones": ["zj-330102", "zj-330922"]},
        headers=admin_token,
    )
    assert r.status == 200 and (await r.json())["jurisdiction"] == ["zj-330102", "zj-330922"]
    r = await client.get("/v1/admin/staff?role=police", headers=admin_token)
    assert [a["username"] for a in (await r.json())["accounts"]] == ["officer.x"]
    r = await client.put(
        "/v1/admin/staff/officer.x/jurisdiction",
        json={"zones": ["zj-330102"]},
        headers=bearer(token),
    )
    assert r.status == 403  # a police account manages no accounts

    r = await client.post("/v1/admin/staff/officer.x/deactivate", headers=admin_token)
    assert r.status == 200 and (await r.json())["active"] is False
    r = await client.post("/v1/admin/staff/officer.x/deactivate", headers=admin_token)
    assert r.status == 409
    r = await client.post("/v1/admin/staff/nobody/deactivate", headers=admin_token)
    assert r.status == 404
    conn_rows = await client.get("/v1/admin/staff?active=false", headers=admin_token)
    assert [a["username"] for a in (await conn_rows.json())["accounts"]] == ["officer.x"]


async def test_housekeeping_removes_the_heartbeats_of_workers_silent_for_a_week(
    settings, owner_database_url
):
    from kernel import heartbeat

    owner = await connect(owner_database_url)
    try:
        await owner.execute("""INSERT INTO worker_heartbeats (name, started_at, beat_at) VALUES
                               ('gone:1', now() - interval '9 days', now() - interval '8 days'),
                               ('alive:2', now() - interval '9 days', now())""")
    finally:
        await owner.close()
    conn = await connect(settings.database_url)  # as the service: its grants allow the pruning
    try:
        assert await heartbeat.prune(conn) == 1
        assert [r["name"] for r in await heartbeat.workers(conn, stale_after_s=30)] == ["alive:2"]
    finally:
        await conn.close()


async def test_the_jurisdiction_command_changes_the_zones_and_leaves_the_token_alone(
    settings, client
):
    import asyncio
    import os
    import subprocess
    import sys

    from tests.api.workbench_steps import officer_of

    officer = await officer_of(settings, "officer.cli", ["zj-330102"])
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    env.pop("KUAICHU_ENVIRONMENT", None)
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "kuaichu.cli",
            "staff",
            "jurisdiction",
            "officer.cli",
            "zj-330102,zj-330922",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "officer.cli: zj-330102, zj-330922"  # and no new token printed
    r = await client.get("/v1/police/reviews", headers=officer)
    assert r.status == 200  # the officer's token still works
    conn = await connect(settings.database_url)
    try:
        zones = await conn.fetchval("SELECT jurisdiction FROM staff WHERE username = 'officer.cli'")
        actor = await conn.fetchval(
            "SELECT actor_id FROM audit_events WHERE action = 'jurisdiction_changed'"
        )
    finally:
        await conn.close()
    assert zones == ["zj-330102", "zj-330922"] and actor.startswith("cli")


async def test_an_admin_creates_a_person_who_gets_a_one_time_enrolment_link(client, admin_token):
    body = {
        "username": "supervisor.hz",
        "role": "supervisor",
        "jurisdiction": ["zj-330102", "zj-330105"],
    }
    r = await client.post(
        "/v1/admin/staff", json=body, headers={**admin_token, "Idempotency-Key": "p-1"}
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    assert created["token"] is None and "/staff/enrol#token=" in created["enrolment_url"]
    assert created["account"]["role"] == "supervisor" and created["enrolment_expires_at"]
    again = await client.post(
        "/v1/admin/staff", json=body, headers={**admin_token, "Idempotency-Key": "p-1"}
    )
    assert (await again.json())["enrolment_url"] == created["enrolment_url"]
    token = created["enrolment_url"].split("#token=", 1)[1]
    r = await client.get("/v1/supervision/counties", headers=bearer(token))
    assert r.status == 401  # an enrolment link is no credential


async def test_a_supervisor_reads_the_aggregates_of_its_counties_and_answers_nothing(
    client, admin_token
):
    body = {
        "username": "supervisor.ss",
        "role": "supervisor",
        "jurisdiction": ["zj-330922"],
        "kind": "system_client",
    }
    r = await client.post("/v1/admin/staff", json=body, headers=admin_token)
    supervisor = bearer((await r.json())["token"])
    r = await client.get("/v1/supervision/counties", headers=supervisor)
    assert r.status == 200
    data = await r.json()
    assert data["scope"] == "jurisdiction" and [c["zone_id"] for c in data["counties"]] == [
        "zj-330922"
    ]
    assert (await client.get("/v1/inquiries", headers=supervisor)).status == 200
    r = await client.post(
        f"/v1/inquiries/{uuid.uuid4()}/answer", json={"text": "答复"}, headers=supervisor
    )
    assert r.status == 403  # read-only
    assert (await client.get("/v1/admin/outbox/health", headers=supervisor)).status == 403

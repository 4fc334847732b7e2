"""The outbox and its worker against a real SMS gateway on loopback and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from aiohttp import web

from kernel import outbox
from kernel.crypto import Keyring
from kuaichu.db import connect
from kuaichu.settings import Settings
from tests.integration.delivery import run_workers
from tests.polling import poll_until


class Gateway:
    """An SMS gateway that records every arrival; it can be told to fail, hang or refuse."""

    def __init__(self) -> None:
        self.arrivals: list[str] = []
        self.mode = "ok"  # ok | hang_first | retry_after | refuse
        self.seen: set[str] = set()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrivals.append(body["id"])
        if self.mode == "hang_first" and body["id"] not in self.seen:
            self.seen.add(body["id"])
            await asyncio.sleep(3600)
        if self.mode == "retry_after":
            return web.Response(status=429, headers={"Retry-After": "3600"})
        if self.mode == "refuse":
            return web.json_response({"error": "number blocked"}, status=400)
        return web.json_response({"ok": True})


@pytest.fixture
async def gateway(aiohttp_server):
    gw = Gateway()
    app = web.Application()
    app.router.add_post("/sms", gw.handle)
    server = await aiohttp_server(app)
    gw.url = str(server.make_url("/sms"))
    return gw


def _http_settings(settings: Settings, gateway: Gateway, **extra) -> Settings:
    return settings.model_copy(
        update={"sms_backend": "http", "sms_gateway_url": gateway.url, **extra}
    )


async def _enqueue_texts(dsn: str, keyring: Keyring, n: int) -> list[uuid.UUID]:
    conn = await connect(dsn)
    ids = []
    try:
        for i in range(n):
            async with conn.transaction():
                payload = {
                    "to_enc": base64.b64encode(keyring.encrypt(f"1390000{i:04d}")).decode(),
                    "text_enc": base64.b64encode(keyring.encrypt(f"message {i}")).decode(),
                }
                ids.append(
                    await outbox.enqueue(conn, topic="sms", dedupe_key=f"test:{i}", payload=payload)
                )
    finally:
        await conn.close()
    return ids


def _keyring(settings: Settings) -> Keyring:
    return Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )


async def _delivered_once(dsn: str) -> bool:
    return (await _statuses(dsn))["delivered"] == 1


async def _statuses(dsn: str) -> Counter:
    conn = await connect(dsn)
    try:
        return Counter(r["status"] for r in await conn.fetch("SELECT status FROM outbox"))
    finally:
        await conn.close()


async def test_two_workers_deliver_every_message_exactly_once(settings, gateway):
    s = _http_settings(settings, gateway)
    ids = await _enqueue_texts(s.database_url, _keyring(s), 60)

    async def all_delivered() -> bool:
        return (await _statuses(s.database_url))["delivered"] == 60

    await run_workers(s, all_delivered, n_workers=2)
    assert await all_delivered()
    assert sorted(gateway.arrivals) == sorted(str(i) for i in ids)  # none twice, none missing


async def test_a_message_claimed_by_a_worker_that_died_is_delivered_after_its_lease(
    settings, gateway
):
    s = _http_settings(settings, gateway)
    [msg_id] = await _enqueue_texts(s.database_url, _keyring(s), 1)
    conn = await connect(s.database_url)
    try:  # what a worker SIGKILLed between claim and send leaves behind
        claimed = await outbox.claim(conn, worker="dead-worker", limit=10, lease_s=0.5)
    finally:
        await conn.close()
    assert [m.id for m in claimed] == [msg_id]

    async def delivered() -> bool:
        return (await _statuses(s.database_url))["delivered"] == 1

    await run_workers(s, delivered, n_workers=1)
    assert gateway.arrivals == [str(msg_id)]


async def test_retry_after_is_kept_in_the_database(settings, gateway):
    s = _http_settings(settings, gateway)
    gateway.mode = "retry_after"
    await _enqueue_texts(s.database_url, _keyring(s), 1)

    async def attempted() -> bool:
        return len(gateway.arrivals) >= 1

    await run_workers(s, attempted, n_workers=1)
    conn = await connect(s.database_url)
    try:
        row = await conn.fetchrow("SELECT status, next_attempt_at, last_status FROM outbox")
    finally:
        await conn.close()
    assert row["status"] == "pending" and row["last_status"] == 429
    assert (row["next_attempt_at"] - datetime.now(UTC)).total_seconds() > 3500


async def test_a_refused_message_is_parked_with_its_reason_and_an_operator_replays_it(
    settings, gateway, client
):
    s = _http_settings(settings, gateway)
    gateway.mode = "refuse"
    [msg_id] = await _enqueue_texts(s.database_url, _keyring(s), 1)

    async def parked() -> bool:
        return (await _statuses(s.database_url))["parked"] == 1

    await run_workers(s, parked, n_workers=1)
    from kuaichu.commands.staff import create_staff

    conn = await connect(s.database_url)
    try:
        token = await create_staff(
            conn, _keyring(s), username="ops", role="admin", name=None, insurer=None
        )
    finally:
        await conn.close()
    r = await client.get("/v1/admin/outbox", headers={"Authorization": f"Bearer {token}"})
    [listed] = (await r.json())["messages"]
    assert (
        listed["id"] == str(msg_id)
        and listed["last_status"] == 400
        and "400" in listed["last_error"]
    )
    gateway.mode = "ok"
    r = await client.post(
        f"/v1/admin/outbox/{msg_id}/replay", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status == 202

    async def delivered() -> bool:
        return (await _statuses(s.database_url))["delivered"] == 1

    await run_workers(s, delivered, n_workers=1)
    assert gateway.arrivals == [str(msg_id), str(msg_id)]


async def test_a_worker_killed_after_sending_loses_nothing_and_the_resend_keeps_its_id(
    settings, gateway, tmp_path
):
    s = _http_settings(settings, gateway)
    gateway.mode = "hang_first"
    [msg_id] = await _enqueue_texts(s.database_url, _keyring(s), 1)
    env = {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "KUAICHU_SMS_BACKEND": "http",
        "KUAICHU_SMS_GATEWAY_URL": gateway.url,
        "KUAICHU_OUTBOX_LEASE_S": "1",
        "KUAICHU_OUTBOX_POLL_S": "0.1",
        "KUAICHU_VAR_DIR": str(tmp_path),
        "KUAICHU_ENVIRONMENT": "test",
    }
    cmd = [sys.executable, "-m", "kuaichu.cli", "worker"]
    first = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        # a worker process starting on a busy machine may take a while
        await poll_until(lambda: gateway.arrivals, limit_s=30)
        assert gateway.arrivals == [str(msg_id)]  # the gateway has it; the worker never heard back
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    second = await asyncio.create_subprocess_exec(*cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        await poll_until(lambda: _delivered_once(s.database_url), limit_s=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 10)
    assert (await _statuses(s.database_url))["delivered"] == 1
    assert gateway.arrivals == [
        str(msg_id),
        str(msg_id),
    ]  # same id: the gateway drops the duplicate

"""Insurer webhooks through the outbox to a real verifying receiver on loopback, on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from claims.webhooks import UnknownEvent, enqueue_insurer_event, event_body
from kuaichu.db import connect
from tests.integration.delivery import (
    EVENT_AT,
    all_in,
    enqueue_disputes,
    point_insurer,
    rows,
    run_workers,
)
from tests.integration.webhook_receiver import new_secret, start


async def test_every_event_arrives_verified_and_a_retry_keeps_its_id_and_body(fast, aiohttp_server):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["500"] = 3
    rx.fail["hang"] = 2
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    ids = await enqueue_disputes(fast.database_url, 20)
    await run_workers(fast, all_in(fast.database_url, "delivered", 20), n_workers=2)
    assert {f"msg_{i.hex}" for i in ids} == set(
        rx.ids()
    )  # every one arrived, none under another id
    assert sum(rx.ids().values()) == 25 and not rx.rejected
    by_id: dict[str, set[bytes]] = {}
    for a in rx.arrivals:
        by_id.setdefault(a.webhook_id, set()).add(a.body)
    assert all(len(bodies) == 1 for bodies in by_id.values())  # a retry sends the same bytes
    event = rx.arrivals[0].event
    assert event["type"] == "report.disputed" and event["timestamp"] == "2026-11-02T09:30:00Z"
    assert event["data"]["schema_version"] == 1 and event["data"]["party_label"] == "B"


async def test_429_retry_after_is_honoured_then_delivered(fast, aiohttp_server):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["429"] = 1
    rx.retry_after = "1"
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, all_in(fast.database_url, "delivered", 1))
    first, second = rx.arrivals
    assert (
        first.webhook_id == second.webhook_id and int(second.timestamp) - int(first.timestamp) >= 1
    )


async def test_a_410_disables_the_endpoint_messages_wait_and_an_operator_re_enables_it(
    fast, aiohttp_server, client, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["410"] = 1
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    [gone] = await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, all_in(fast.database_url, "parked", 1))
    later = await enqueue_disputes(fast.database_url, 2)
    await run_workers(fast, lambda: asyncio.sleep(0.5, result=True))
    assert len(rx.arrivals) == 1  # nothing sent while disabled
    assert Counter(r["status"] for r in await rows(fast.database_url)) == {
        "parked": 1,
        "pending": 2,
    }
    r = await client.get("/v1/admin/insurers/webhooks", headers=admin_token)
    picc = next(i for i in (await r.json())["insurers"] if i["code"] == "PICC")
    assert picc["enabled"] is False and "410" in picc["disabled_reason"] and picc["parked"] == 1
    r = await client.post("/v1/admin/insurers/PICC/webhook/enable", headers=admin_token)
    assert r.status == 200 and (await r.json())["messages_woken"] == 3
    await run_workers(fast, all_in(fast.database_url, "delivered", 3))
    assert {f"msg_{i.hex}" for i in [gone, *later]} == set(rx.ids())
    r = await client.get("/v1/admin/insurers/webhooks", headers=admin_token)
    assert next(i for i in (await r.json())["insurers"] if i["code"] == "PICC")["enabled"] is True


async def test_another_4xx_is_parked_with_the_reason_and_replayed_by_an_operator(
    fast, aiohttp_server, client, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["400"] = 1
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    [msg] = await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, all_in(fast.database_url, "parked", 1))
    [row] = await rows(fast.database_url)
    assert row["last_status"] == 400 and "told to answer 400" in row["last_error"]
    r = await client.post(f"/v1/admin/outbox/{msg}/replay", headers=admin_token)
    assert r.status == 202
    await run_workers(fast, all_in(fast.database_url, "delivered", 1))
    assert rx.ids() == Counter({f"msg_{msg.hex}": 2})


async def test_while_secrets_overlap_both_sign_and_either_verifies(fast, aiohttp_server):
    old, new, future, expired = new_secret(), new_secret(), new_secret(), new_secret()
    now = datetime.now(UTC)
    secrets = [
        {"secret": old, "not_after": (now + timedelta(days=1)).isoformat()},
        {"secret": new, "not_before": (now - timedelta(days=1)).isoformat()},
        {"secret": future, "not_before": (now + timedelta(days=1)).isoformat()},
        {"secret": expired, "not_after": (now - timedelta(days=1)).isoformat()},
    ]
    rx = await start(aiohttp_server, [old, new])  # verifies with each of the two alone
    await point_insurer(fast.database_url, rx.url, secrets)
    await enqueue_disputes(fast.database_url, 1)
    await run_workers(fast, all_in(fast.database_url, "delivered", 1))
    [arrival] = rx.arrivals
    assert len(arrival.signatures) == 2 and all(s.startswith("v1,") for s in arrival.signatures)


async def test_the_same_dedupe_key_queues_one_message(settings):
    conn = await connect(settings.database_url)
    try:
        kw = {
            "insurer_code": "PICC",
            "event_type": "report.disputed",
            "occurred_at": EVENT_AT,
            "report_id": None,
            "data": {"report_id": "r", "party_label": "A", "reason": "x"},
            "dedupe_key": "same",
        }
        assert await enqueue_insurer_event(conn, **kw) is not None
        assert await enqueue_insurer_event(conn, **kw) is None
    finally:
        await conn.close()


def test_event_bodies_are_checked_against_their_schema():
    with pytest.raises(UnknownEvent):
        event_body(event_type="claim.exploded", data={}, occurred_at=EVENT_AT)
    with pytest.raises(ValueError):
        event_body(event_type="report.disputed", data={"report_id": "r"}, occurred_at=EVENT_AT)
    body = event_body(
        event_type="assessment.requested",
        occurred_at=EVENT_AT,
        data={
            "report_id": "r",
            "task_id": "t",
            "zone_id": "330102",
            "due_at": "2026-11-02T10:00:00Z",
        },
    )
    assert json.loads(body)["data"] == {
        "schema_version": 1,
        "report_id": "r",
        "task_id": "t",
        "zone_id": "330102",
        "due_at": "2026-11-02T10:00:00Z",
    }

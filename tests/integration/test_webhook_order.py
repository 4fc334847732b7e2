"""Insurer webhooks of one claim or task arrive in the order they were caused, even after retries and parking."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from claims.webhooks import enqueue_insurer_event
from kuaichu.db import connect
from tests.integration.delivery import EVENT_AT, point_insurer, rows, run_workers
from tests.integration.webhook_receiver import new_secret, start

STEPS = ("assessment.requested", "assessment.assigned", "assessment.on_scene")


async def task_events(dsn: str, task_id: str, types=STEPS) -> list[uuid.UUID]:
    """The events of one assessment task, each queued in its own transaction as the task moves on."""
    conn = await connect(dsn)
    report_id = uuid.uuid4()
    try:
        ids = []
        for event_type in types:
            async with conn.transaction():
                ids.append(
                    await enqueue_insurer_event(
                        conn,
                        insurer_code="PICC",
                        event_type=event_type,
                        occurred_at=EVENT_AT,
                        report_id=report_id,
                        data={"report_id": str(report_id), "task_id": task_id},
                        dedupe_key=f"{task_id}:{event_type}",
                    )
                )
        return ids
    finally:
        await conn.close()


def statuses(dsn: str, ids: list[uuid.UUID]):
    async def read() -> list[str]:
        by_id = {r["id"]: r["status"] for r in await rows(dsn)}
        return [by_id[i] for i in ids]

    return read


async def test_behind_a_parked_event_the_later_ones_of_its_task_wait_and_a_replay_sends_all_in_order(
    fast, aiohttp_server, client, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["400"] = 1  # the first event is refused for good: parked
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    first, second, third = await task_events(fast.database_url, "task-1")

    async def first_parked() -> bool:
        return (await statuses(fast.database_url, [first])()) == ["parked"]

    await run_workers(fast, first_parked)
    [other] = await task_events(fast.database_url, "task-2", types=("assessment.requested",))

    async def other_delivered() -> bool:
        return (await statuses(fast.database_url, [other])()) == ["delivered"]

    await run_workers(fast, other_delivered)  # another task is not held up
    await run_workers(
        fast, lambda: asyncio.sleep(0.5, result=True)
    )  # time enough to send what may go
    assert await statuses(fast.database_url, [first, second, third, other])() == [
        "parked",
        "pending",
        "pending",
        "delivered",
    ]
    assert rx.ids() == Counter({f"msg_{first.hex}": 1, f"msg_{other.hex}": 1})

    r = await client.get("/v1/admin/outbox?status=pending", headers=admin_token)
    waiting = {m["id"]: m["blocked_by"] for m in (await r.json())["messages"]}
    assert waiting == {str(second): str(first), str(third): str(first)}

    r = await client.post(f"/v1/admin/outbox/{first}/replay", headers=admin_token)
    assert r.status == 202

    async def all_delivered() -> bool:
        return set(await statuses(fast.database_url, [first, second, third])()) == {"delivered"}

    await run_workers(fast, all_delivered)
    task_1 = [a.event["type"] for a in rx.arrivals if a.event["data"]["task_id"] == "task-1"]
    assert task_1 == [
        "assessment.requested",
        *STEPS,
    ]  # the refused attempt, then the three in order


async def test_a_retrying_event_holds_back_the_next_one_of_its_task(fast, aiohttp_server):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["500"] = 3
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    ids = await task_events(fast.database_url, "task-3")

    async def all_delivered() -> bool:
        return set(await statuses(fast.database_url, ids)()) == {"delivered"}

    await run_workers(fast, all_delivered, n_workers=2)
    delivered = [a.event["type"] for a in rx.arrivals if a.event["type"] != "assessment.requested"]
    assert [a.event["type"] for a in rx.arrivals][:4] == ["assessment.requested"] * 4
    assert delivered == ["assessment.assigned", "assessment.on_scene"]


async def test_an_operator_discards_a_parked_event_with_a_reason_and_the_rest_go_on(
    fast, aiohttp_server, client, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["400"] = 1
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    first, second, third = await task_events(fast.database_url, "task-4")

    async def parked() -> bool:
        return (await statuses(fast.database_url, [first])()) == ["parked"]

    await run_workers(fast, parked)
    r = await client.post(f"/v1/admin/outbox/{first}/discard", headers=admin_token, json={})
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/reason"
    r = await client.post(
        f"/v1/admin/outbox/{first}/discard",
        headers=admin_token,
        json={"reason": "保险公司确认已线下收到 / insurer confirmed it by phone"},
    )
    assert r.status == 200
    r = await client.post(
        f"/v1/admin/outbox/{first}/discard", headers=admin_token, json={"reason": "again"}
    )
    assert r.status == 404  # only a parked message can be discarded

    async def rest_delivered() -> bool:
        return (await statuses(fast.database_url, [second, third])()) == ["delivered", "delivered"]

    await run_workers(fast, rest_delivered)
    assert [a.event["type"] for a in rx.arrivals] == list(
        STEPS
    )  # the discarded one was never sent again
    conn = await connect(fast.database_url)
    try:
        audit = await conn.fetchrow(
            "SELECT actor_kind, changes FROM audit_events WHERE entity_id = $1 AND action = 'discarded'",
            str(first),
        )
    finally:
        await conn.close()
    assert (
        audit["actor_kind"] == "staff"
        and "insurer confirmed" in audit["changes"]["reason"]["after"]
    )

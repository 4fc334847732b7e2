"""Assessment tasks on a real PostgreSQL: routing per zone kind, queue, decline, SLA escalation, capacity."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from assessment import staff as assessment_staff
from assessment.service import on_report_settled, sweep
from kuaichu.keys import SERVICES
from tests.api.flows import TONGLU
from tests.integration.assessment_setup import (
    ctx_of,
    insurer_events,
    load,
    principal_of,
    set_assessors,
    settled,
    tasks,
    two_vehicles,
)


async def test_urban_vehicles_go_to_their_own_insurers_nearest_adjuster_once(client, settings):
    report_id = await two_vehicles(client, settings)
    ctx = ctx_of(client)
    created = await on_report_settled(ctx, payload=settled(report_id))
    assert len(created) == 2
    assert (
        await on_report_settled(ctx, payload=settled(report_id)) == []
    )  # redelivered: nothing new
    t = await tasks(client, report_id)
    assert (t["A"]["insurer_code"], t["A"]["status"], t["A"]["assignee_id"]) == (
        "PICC",
        "offered",
        "adj-picc-1",
    )
    assert (t["B"]["insurer_code"], t["B"]["status"], t["B"]["assignee_id"]) == (
        "CPIC",
        "offered",
        "adj-cpic-1",
    )
    assert (await load(client))["adj-picc-1"] == 1
    events = await insurer_events(client, report_id)
    assert sorted(events) == [("CPIC", "assessment.requested"), ("PICC", "assessment.requested")]


async def test_a_rural_vehicle_goes_to_the_nearest_coordinator_serving_the_zone(client, settings):
    report_id = await two_vehicles(client, settings, location=dict(TONGLU), address="桐庐县")
    await on_report_settled(ctx_of(client), payload=settled(report_id))
    t = await tasks(client, report_id)
    # Whatever the vehicle's insurer, the nearer coordinator of 桐庐县 (capacity 2) takes both.
    assert t["A"]["assignee_id"] == t["B"]["assignee_id"] == "coord-tonglu-1"
    assert t["A"]["zone_kind"] == "rural" and (t["A"]["insurer_code"], t["B"]["insurer_code"]) == (
        "PICC",
        "CPIC",
    )


async def test_a_near_boundary_scene_is_flagged_on_the_task_and_shown_to_operators(
    client, settings
):
    near_edge = {
        "lat": 30.319792,
        "lon": 120.201298,
    }  # inside 上城区, 76 m from 拱墅区 (tests/unit/test_geo_zones)
    report_id = await two_vehicles(client, settings, location=near_edge, address="边界")
    await on_report_settled(ctx_of(client), payload=settled(report_id))
    t = await tasks(client, report_id)
    assert "near_boundary" in t["A"]["flags"] and t["A"]["status"] == "offered"
    q = await assessment_staff.queue(ctx_of(client))
    assert {f["vehicle_label"] for f in q["flagged"] if f["report_id"] == report_id} == {"A", "B"}


async def test_nobody_free_queues_the_task_and_it_is_offered_as_soon_as_a_slot_frees(
    client, settings
):
    await set_assessors(client, "UPDATE assessors SET capacity = 1 WHERE kind = 'adjuster'")
    await set_assessors(client, "UPDATE assessors SET active = false WHERE id = 'adj-picc-2'")
    first = await two_vehicles(client, settings)
    second = await two_vehicles(client, settings)
    ctx = ctx_of(client)
    await on_report_settled(ctx, payload=settled(first))
    await on_report_settled(ctx, payload=settled(second))
    assert (await tasks(client, second))["A"]["status"] == "queued"
    assert ("PICC", "assessment.queued") in await insurer_events(client, second)
    q = await assessment_staff.queue(ctx)
    assert [x["vehicle_label"] for x in q["queued"]] == ["A"]
    picc1 = await principal_of(client, "adj-picc-1")
    await assessment_staff.decline(
        ctx, who=picc1, task_id=(await _task_id(client, first, "A")), reason="车坏了"
    )
    assert (await tasks(client, first))["A"]["status"] == "queued"  # nobody else free for PICC
    # picc-1's freed slot went straight to the oldest queued task it may take: the second report's A.
    assert (await tasks(client, second))["A"]["assignee_id"] == "adj-picc-1"
    assert (await load(client))["adj-picc-1"] == 1


async def test_a_decline_goes_to_the_next_nearest_candidate(client, settings):
    report_id = await two_vehicles(client, settings)
    ctx = ctx_of(client)
    await on_report_settled(ctx, payload=settled(report_id))
    task_id = await _task_id(client, report_id, "A")
    view = await assessment_staff.decline(
        ctx, who=await principal_of(client, "adj-picc-1"), task_id=task_id, reason="不在附近"
    )
    assert (view["status"], view["assignee_id"]) == ("offered", "adj-picc-2")
    assert [o["outcome"] for o in view["offers"]] == ["declined", "pending"]
    assert (await load(client))["adj-picc-1"] == 0


async def test_an_offer_not_accepted_within_the_sla_is_escalated_by_the_sweep(client, settings):
    report_id = await two_vehicles(client, settings)
    ctx = ctx_of(client, offer_sla_s=0.0)
    await on_report_settled(ctx, payload=settled(report_id))
    assert await sweep(ctx) >= 2
    t = await tasks(client, report_id)
    assert t["A"]["assignee_id"] == "adj-picc-2" and "escalated" in t["A"]["flags"]
    assert t["A"]["excluded"] == ["adj-picc-1"]
    assert ("PICC", "assessment.escalated") in await insurer_events(client, report_id)
    assert (await load(client))["adj-picc-1"] == 0


async def test_concurrent_routing_never_exceeds_any_capacity(client, settings):
    await set_assessors(client, "UPDATE assessors SET capacity = 2 WHERE kind = 'adjuster'")
    reports = [await two_vehicles(client, settings) for _ in range(6)]
    ctx = ctx_of(client)
    await asyncio.gather(*(on_report_settled(ctx, payload=settled(r)) for r in reports))
    held = await load(client)
    assert held["adj-picc-1"] == held["adj-picc-2"] == held["adj-cpic-1"] == held["adj-cpic-2"] == 2
    pool = client.server.app[SERVICES].pool
    counts = await pool.fetch("SELECT status, count(*) FROM assessment_tasks GROUP BY status")
    assert dict(counts) == {"offered": 8, "queued": 4}
    assert not await pool.fetchval("SELECT count(*) FROM assessors WHERE open_tasks > capacity")


async def _task_id(client: Any, report_id: uuid.UUID, label: str) -> uuid.UUID:
    return await client.server.app[SERVICES].pool.fetchval(
        "SELECT id FROM assessment_tasks WHERE report_id = $1::uuid AND vehicle_label = $2::text",
        report_id,
        label,
    )

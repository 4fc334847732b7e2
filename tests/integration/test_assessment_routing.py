"""Assessment tasks on a real PostgreSQL: routing per zone kind, queue, decline, SLA escalation, capacity."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

from assessment import staff as assessment_staff
from assessment.service import AssessmentContext, AssessmentPolicy, on_report_settled, sweep
from kernel.crypto import new_token
from kernel.identity import StaffPrincipal
from kernel.sessions import STAFF_PREFIX
from kuaichu.keys import SERVICES
from tests.api.evidence import keyring_of
from tests.api.flows import TONGLU, bearer, create_report, join


def ctx_of(client: Any, **policy: float) -> AssessmentContext:
    ctx = client.server.app[SERVICES].assessment
    return dataclasses.replace(ctx, policy=AssessmentPolicy(**policy)) if policy else ctx


async def two_vehicles(client: Any, settings: Any, **overrides: Any) -> uuid.UUID:
    """A PICC-insured party A and a CPIC-insured party B (tests/api/flows.py), in 上城区 unless overridden."""
    a = await create_report(client, settings.var_dir, **overrides)
    status, _, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    return uuid.UUID(a["report"]["id"])


def settled(report_id: uuid.UUID) -> dict[str, Any]:
    return {"report_id": str(report_id), "outcome": "agreed", "version": 1,
            "parties": [{"label": "A", "liability": "full", "share_percent": 100},
                        {"label": "B", "liability": "none", "share_percent": 0}],
            "mutual_self_compensation": {"A": False, "B": False}}


async def tasks(client: Any, report_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    pool = client.server.app[SERVICES].pool
    rows = await pool.fetch("SELECT vehicle_label, insurer_code, status, assignee_id, flags, zone_kind, excluded"
                            " FROM assessment_tasks WHERE report_id = $1::uuid", report_id)
    return {r["vehicle_label"]: dict(r) for r in rows}


async def load(client: Any) -> dict[str, int]:
    rows = await client.server.app[SERVICES].pool.fetch("SELECT id, open_tasks FROM assessors")
    return {r["id"]: r["open_tasks"] for r in rows}


async def set_assessors(client: Any, sql: str, *args: Any) -> None:
    await client.server.app[SERVICES].pool.execute(sql, *args)


async def principal_of(client: Any, assessor_id: str) -> StaffPrincipal:
    row = await client.server.app[SERVICES].pool.fetchrow(
        "SELECT s.id, s.username, s.role, s.insurer_code FROM staff s JOIN assessors a ON a.staff_id = s.id"
        " WHERE a.id = $1::text", assessor_id)
    return StaffPrincipal(row["id"], row["username"], row["role"], row["insurer_code"])


async def token_of(client: Any, settings: Any, username: str) -> dict[str, str]:
    """What `kuaichu staff rotate-token USERNAME` does: a fresh token for a loaded account."""
    token = new_token(STAFF_PREFIX)
    await set_assessors(client, "UPDATE staff SET token_hash = $2::bytea WHERE username = $1::text", username,
                        keyring_of(settings).token_hash(token))
    return bearer(token)


async def insurer_events(client: Any, report_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await client.server.app[SERVICES].pool.fetch(
        "SELECT payload FROM outbox WHERE topic = 'insurer.webhook' AND report_id = $1::uuid ORDER BY created_at",
        report_id)
    return [(r["payload"]["insurer_code"], r["payload"]["event_type"]) for r in rows
            if r["payload"]["event_type"].startswith("assessment.")]


async def test_urban_vehicles_go_to_their_own_insurers_nearest_adjuster_once(client, settings):
    report_id = await two_vehicles(client, settings)
    ctx = ctx_of(client)
    created = await on_report_settled(ctx, payload=settled(report_id))
    assert len(created) == 2
    assert await on_report_settled(ctx, payload=settled(report_id)) == []  # redelivered: nothing new
    t = await tasks(client, report_id)
    assert (t["A"]["insurer_code"], t["A"]["status"], t["A"]["assignee_id"]) == ("PICC", "offered", "adj-picc-1")
    assert (t["B"]["insurer_code"], t["B"]["status"], t["B"]["assignee_id"]) == ("CPIC", "offered", "adj-cpic-1")
    assert (await load(client))["adj-picc-1"] == 1
    events = await insurer_events(client, report_id)
    assert sorted(events) == [("CPIC", "assessment.requested"), ("PICC", "assessment.requested")]


async def test_a_rural_vehicle_goes_to_the_nearest_coordinator_serving_the_zone(client, settings):
    report_id = await two_vehicles(client, settings, location=dict(TONGLU), address="桐庐县")
    await on_report_settled(ctx_of(client), payload=settled(report_id))
    t = await tasks(client, report_id)
    # Whatever the vehicle's insurer, the nearer coordinator of 桐庐县 (capacity 2) takes both.
    assert t["A"]["assignee_id"] == t["B"]["assignee_id"] == "coord-tonglu-1"
    assert t["A"]["zone_kind"] == "rural" and (t["A"]["insurer_code"], t["B"]["insurer_code"]) == ("PICC", "CPIC")


async def test_a_near_boundary_scene_is_flagged_on_the_task_and_shown_to_operators(client, settings):
    near_edge = {"lat": 30.319792, "lon": 120.201298}  # inside 上城区, 76 m from 拱墅区 (tests/unit/test_geo_zones)
    report_id = await two_vehicles(client, settings, location=near_edge, address="边界")
    await on_report_settled(ctx_of(client), payload=settled(report_id))
    t = await tasks(client, report_id)
    assert "near_boundary" in t["A"]["flags"] and t["A"]["status"] == "offered"
    q = await assessment_staff.queue(ctx_of(client))
    assert {f["vehicle_label"] for f in q["flagged"] if f["report_id"] == report_id} == {"A", "B"}


async def test_nobody_free_queues_the_task_and_it_is_offered_as_soon_as_a_slot_frees(client, settings):
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
    await assessment_staff.decline(ctx, who=picc1, task_id=(await _task_id(client, first, "A")), reason="车坏了")
    assert (await tasks(client, first))["A"]["status"] == "queued"  # nobody else free for PICC
    # picc-1's freed slot went straight to the oldest queued task it may take: the second report's A.
    assert (await tasks(client, second))["A"]["assignee_id"] == "adj-picc-1"
    assert (await load(client))["adj-picc-1"] == 1


async def test_a_decline_goes_to_the_next_nearest_candidate(client, settings):
    report_id = await two_vehicles(client, settings)
    ctx = ctx_of(client)
    await on_report_settled(ctx, payload=settled(report_id))
    task_id = await _task_id(client, report_id, "A")
    view = await assessment_staff.decline(ctx, who=await principal_of(client, "adj-picc-1"), task_id=task_id,
                                          reason="不在附近")
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
        "SELECT id FROM assessment_tasks WHERE report_id = $1::uuid AND vehicle_label = $2::text", report_id, label)

"""The staff side through real HTTP: from an agreed report to the on-scene record, and who may see what."""

from __future__ import annotations

import json

import aiohttp

from kuaichu.keys import SERVICES
from tests.api.evidence import phone_jpeg, run_worker, staff_token
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond, sign
from tests.api.flows import TONGLU, bearer
from tests.integration.assessment_setup import insurer_events, settled, token_of, two_vehicles


async def _agreed(client, settings, **overrides) -> str:
    case = await report_with_parties(client, settings, **overrides)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, v)).status == 200
    for label in ("A", "B"):
        assert (await sign(client, settings, case, label, v)).status == 200
    return case.report_id


async def _tasks_exist(client, report_id: str) -> bool:
    pool = client.server.app[SERVICES].pool
    return (
        await pool.fetchval(
            "SELECT count(*) FROM assessment_tasks WHERE report_id = $1::uuid", report_id
        )
        == 2
    )


def _record_form(photos: list[bytes], **record) -> aiohttp.FormData:
    f = aiohttp.FormData(default_to_multipart=True)
    f.add_field("record", json.dumps(record, ensure_ascii=False), content_type="application/json")
    for data in photos:
        f.add_field("photo", data, filename="scene.jpg", content_type="image/jpeg")
    return f


async def test_an_agreed_rural_report_reaches_a_coordinator_whose_record_is_handed_to_the_insurer(
    client, settings
):
    report_id = await _agreed(client, settings, location=dict(TONGLU), address="桐庐县")
    await run_worker(client, lambda: _tasks_exist(client, report_id))
    coord = await token_of(client, settings, "coord.tonglu.1")
    r = await client.get("/v1/assessment/tasks", headers=coord)
    mine = [t for t in (await r.json())["tasks"] if t["report_id"] == report_id]
    assert sorted((t["vehicle_label"], t["status"]) for t in mine) == [
        ("A", "offered"),
        ("B", "offered"),
    ]
    task = next(t for t in mine if t["vehicle_label"] == "A")
    url = f"/v1/assessment/tasks/{task['id']}"
    r = await client.post(url + "/accept", json={"eta_minutes": 25}, headers=coord)
    assert r.status == 200 and (await r.json())["status"] == "accepted"
    assert (await client.post(url + "/on-scene", headers=coord)).status == 200
    r = await client.post(
        url + "/record",
        headers=coord,
        data=_record_form(
            [phone_jpeg(shade=10), phone_jpeg(shade=90)],
            notes="前保险杠刮擦，左前灯破裂",
            items=[
                {"part": "前保险杠", "description": "刮擦", "amount_fen": 80000},
                {"part": "左前大灯", "description": "破裂", "amount_fen": 120050},
            ],
        ),
    )
    assert r.status == 201, await r.text()
    done = await r.json()
    assert done["status"] == "completed" and done["record"]["total_fen"] == 200050
    events = [e for e in await insurer_events(client, report_id) if e[0] == "PICC"]
    assert events[0] == ("PICC", "assessment.requested")
    assert {"assessment.assigned", "assessment.record_submitted"} <= {e[1] for e in events}
    pool = client.server.app[SERVICES].pool
    body = json.loads(
        await pool.fetchval(
            "SELECT payload->>'body' FROM outbox WHERE payload->>'event_type' = 'assessment.record_submitted'"
        )
    )
    assert body["data"]["handed_over"] is True and len(body["data"]["photos"]) == len(
        done["record"]["photo_ids"]
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM audit_events WHERE entity = 'assessment_task'"
            " AND entity_id = $1::text",
            task["id"],
        )
        >= 4
    )


async def test_staff_see_only_their_insurers_or_zones_tasks(client, settings):
    from assessment.service import on_report_settled
    from tests.integration.assessment_setup import ctx_of

    urban = await two_vehicles(client, settings)
    await on_report_settled(ctx_of(client), payload=settled(urban))
    ids = {
        r["vehicle_label"]: str(r["id"])
        for r in await client.server.app[SERVICES].pool.fetch(
            "SELECT vehicle_label, id FROM assessment_tasks WHERE report_id = $1::uuid", urban
        )
    }
    picc2, cpic1 = (
        await token_of(client, settings, "adj.picc.2"),
        await token_of(client, settings, "adj.cpic.1"),
    )
    coord = await token_of(client, settings, "coord.tonglu.1")
    assert (
        await client.get(f"/v1/assessment/tasks/{ids['A']}", headers=picc2)
    ).status == 200  # same insurer
    assert (await client.get(f"/v1/assessment/tasks/{ids['A']}", headers=cpic1)).status == 404
    assert (await client.get(f"/v1/assessment/tasks/{ids['A']}", headers=coord)).status == 404
    r = await client.post(
        f"/v1/assessment/tasks/{ids['A']}/accept", json={"eta_minutes": 5}, headers=picc2
    )
    assert r.status == 409  # visible, but offered to adj-picc-1
    assert (await r.json())["zh"][
        "detail"
    ] == "该任务当前为“已派单待接受”，或未派给您，不能执行此操作"
    r = await client.post(
        f"/v1/assessment/tasks/{ids['B']}/decline", json={"reason": "x"}, headers=picc2
    )
    assert r.status == 404
    police = bearer(await staff_token(settings, "police"))
    assert (await client.get(f"/v1/assessment/tasks/{ids['B']}", headers=police)).status == 200
    assert (await client.get("/v1/assessment/queue", headers=police)).status == 200
    assert (await client.get("/v1/assessment/queue", headers=picc2)).status == 403
    assert (await client.get("/v1/assessment/tasks", headers=police)).status == 403


async def test_the_assessor_on_the_way_sees_the_photos_the_place_and_the_drivers_phone_only_while_open(
    client, settings
):
    report_id = await _agreed(
        client, settings, location=dict(TONGLU), address="桐庐县城南街道迎春南路88号"
    )
    await run_worker(client, lambda: _tasks_exist(client, report_id))
    coord = await token_of(client, settings, "coord.tonglu.1")
    mine = [
        t
        for t in (await (await client.get("/v1/assessment/tasks", headers=coord)).json())["tasks"]
        if t["report_id"] == report_id
    ]
    task = next(t for t in mine if t["vehicle_label"] == "A")
    url = f"/v1/assessment/tasks/{task['id']}"
    offered = await (await client.get(url, headers=coord)).json()
    assert offered["place"] == {"address": "桐庐县城南街道迎春南路88号", "zone_name": "桐庐县"}
    assert {p["kind"] for p in offered["photos"]} >= {
        "front_overview",
        "rear_overview",
        "impact_point",
    }
    photo = await client.get(offered["photos"][0]["url"].removeprefix(settings.public_base_url))
    assert (
        photo.status == 200 and photo.content_type == "image/jpeg"
    )  # the signed link opens the original
    assert offered["driver_contact"] is None  # not before the task is accepted

    assert (
        await client.post(url + "/accept", json={"eta_minutes": 20}, headers=coord)
    ).status == 200
    accepted = await (await client.get(url, headers=coord)).json()
    pool = client.server.app[SERVICES].pool
    phone_a = await pool.fetchval(
        "SELECT phone_enc FROM parties WHERE report_id = $1::uuid AND label = 'A'", report_id
    )
    from tests.api.evidence import keyring_of

    assert accepted["driver_contact"] == {
        "vehicle_label": "A",
        "phone": keyring_of(settings).decrypt(bytes(phone_a)),
    }
    police = bearer(await staff_token(settings, "police"))
    assert (await (await client.get(url, headers=police)).json())[
        "driver_contact"
    ] is None  # not the assessor
    shown = await pool.fetchval(
        "SELECT count(*) FROM audit_events WHERE entity_id = $1 AND action = 'driver_phone_shown'",
        task["id"],
    )
    assert shown == 1

"""A court request queues the dispute package in its own transaction; the real worker delivers it, signed, to a
recording court on loopback that answers as each test scripts it (tests/api/court_setup.py)."""

from __future__ import annotations

import json
from typing import Any

from standardwebhooks import Webhook

from court_bridge.package import verify
from schemas.court import DisputePackage
from tests.api.court_setup import Court, court_case, package_row, pool_of, settings_with_court, work
from tests.api.flows import SHENGSI, bearer

settings = settings_with_court  # the settings pointing at the recording court


async def test_a_court_request_queues_revision_1_with_the_request_and_exempt_zones_queue_nothing(
    client, settings
):
    case = await court_case(client, settings)
    row = await package_row(client, case.report_id)
    assert row["revision"] == 1 and row["state"] == "queued" and row["attempts"] == 0
    driver = row["body"]["parties"][0]["driver"]
    assert set(driver["name"]) == {"enc"}  # personal data encrypted at rest, the rest readable
    assert row["body"]["dispute"]["reason"] == "不服认定，申请诉前调解"
    msg = await pool_of(client).fetchrow("SELECT * FROM outbox WHERE topic = 'court.case'")
    assert (msg["ordering_key"], msg["sequence"]) == (row["package_id"], 0)
    island = await court_case(client, settings, location=dict(SHENGSI), address="嵊泗县菜园镇")
    assert (
        island.extra["state"]["status"] == "offline_mediation"
        and "海岛" in island.extra["state"]["message"]["zh"]
    )
    assert await package_row(client, island.report_id) is None
    assert (
        await pool_of(client).fetchval("SELECT count(*) FROM outbox WHERE topic LIKE 'court.%'")
        == 1
    )


async def test_the_package_goes_signed_with_the_outbound_secret_and_the_same_bytes_on_every_attempt(
    client, settings, court
):
    case = await court_case(client, settings)
    answers = iter([(503, {}, {}), (429, {}, {"Retry-After": "0"}), (408, {}, {})])
    court.answer = lambda a: next(answers, None) or Court.accept(a)
    row = await package_row(client, case.report_id)

    async def delivered() -> bool:
        return (await package_row(client, case.report_id))["state"] == "delivered"

    await work(client, delivered)
    row = await package_row(client, case.report_id)
    assert row["case_number"] == "（2026）浙0102民诉前调1号" and row["attempts"] == 4
    key = f"{row['package_id']}.1"
    assert court.keys() == [key] * 4 and {a["raw"] for a in court.arrivals} == {
        court.arrivals[0]["raw"]
    }
    secret = settings.court_outbound_secret.get_secret_value()
    for arrival in court.arrivals:
        assert arrival["path"] == "/v1/cases" and arrival["headers"]["webhook-id"] == key
        Webhook(secret).verify(
            arrival["raw"], arrival["headers"]
        )  # raises unless signed with this secret
    package = json.loads(court.arrivals[0]["raw"])
    assert (
        verify(package) and DisputePackage.model_validate(package).parties[0].driver.name == "张三"
    )
    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["B"]))
    summary = await r.json()
    assert summary["state"] == "with_court" and summary["case_number"] == row["case_number"]


async def test_a_refused_package_is_parked_with_the_court_problem_and_an_operator_sends_revision_2(
    client, settings, court
):
    from tests.api.evidence import staff_token

    case = await court_case(client, settings)
    court.answer = lambda a: (
        (422, {"title": "材料不全", "detail": "地址不详"}, {})
        if a["key"].endswith(".1")
        else Court.accept(a)
    )
    row = await package_row(client, case.report_id)
    pkg = row["package_id"]

    async def state_is(want: str) -> bool:
        return (await package_row(client, case.report_id))["state"] == want

    await work(client, lambda: state_is("parked"))
    admin = bearer(await staff_token(settings, "admin"))
    r = await client.get("/v1/court/cases?state=parked", headers=admin)
    [listed] = (await r.json())["cases"]
    assert listed["package_id"] == pkg and listed["revisions"][0]["problem"]["detail"] == "地址不详"
    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["A"]))
    assert (await r.json())["state"] == "needs_operator"
    fix = {
        "reason": "补充详细地址",
        "corrections": [{"pointer": "/accident/place/address", "value": "杭州市上城区解放东路8号"}],
    }
    bad = {"reason": "x", "corrections": [{"pointer": "/package_id", "value": "other"}]}
    r = await client.post(f"/v1/admin/court/cases/{pkg}/revisions", json=bad, headers=admin)
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/package_id"
    r = await client.post(f"/v1/admin/court/cases/{pkg}/revisions", json=fix, headers=admin)
    assert r.status == 201, await r.text()
    assert (await r.json())["revision"] == 2
    await work(client, lambda: state_is("delivered"))
    assert court.keys() == [f"{pkg}.1", f"{pkg}.2"]
    second = json.loads(court.arrivals[1]["raw"])
    assert (
        second["revision"] == 2
        and second["accident"]["place"]["address"] == "杭州市上城区解放东路8号"
    )
    assert (
        verify(second)
        and second["integrity"]["digest"] != json.loads(court.arrivals[0]["raw"])["integrity"]
    )
    r = await client.post(f"/v1/admin/court/cases/{pkg}/revisions", json=fix, headers=admin)
    assert r.status == 409  # delivered: nothing to correct


async def test_409_is_retried_a_capped_number_of_times_then_parked(client, settings, court):
    case = await court_case(client, settings)
    court.answer = lambda a: (409, {"title": "conflict"}, {})
    await work(client, lambda: _parked(client, case.report_id))
    row = await package_row(client, case.report_id)
    assert row["conflicts"] == 3 and len(court.arrivals) == 3
    assert row["problem"]["detail"] == "HTTP 409 3 times"
    status = await pool_of(client).fetchval("SELECT status FROM outbox WHERE topic = 'court.case'")
    assert status == "parked"


async def _parked(client: Any, report_id: str) -> bool:
    return (await package_row(client, report_id))["state"] == "parked"

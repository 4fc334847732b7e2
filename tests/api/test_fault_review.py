"""Disputes, the police review queue, determinations, and court handling (or offline mediation when exempt)."""

from __future__ import annotations

from kuaichu.keys import SERVICES
from tests.api.fault_steps import determine, dispute_to_review, police, report_with_parties
from tests.api.flows import SHENGSI, bearer


async def _outbox(client, topic: str) -> list:
    return await client.server.app[SERVICES].pool.fetch(
        "SELECT dedupe_key, payload FROM outbox WHERE topic = $1::text ORDER BY created_at", topic
    )


async def test_a_dispute_queues_the_report_for_police_oldest_first_and_tells_the_insurer_side(
    client, settings
):
    first = await report_with_parties(client, settings)
    second = await report_with_parties(client, settings)
    await dispute_to_review(client, first)
    state = await dispute_to_review(client, second)
    assert state["status"] == "in_review"
    r = await client.get("/v1/police/reviews", headers=await police(settings))
    reviews = (await r.json())["reviews"]
    assert [x["report_id"] for x in reviews] == [first.report_id, second.report_id]
    assert reviews[0]["source"] == "dispute" and "对方急刹车" in reviews[0]["reasons"][0]["zh"]
    disputed = await _outbox(client, "report.disputed")
    assert [m["payload"]["disputed_by"] for m in disputed] == ["B", "B"]
    assert disputed[0]["payload"]["reason"] == "对方急刹车，我来不及反应"


async def test_police_determine_70_30_and_both_parties_accept(client, settings):
    case = await report_with_parties(client, settings)
    await dispute_to_review(client, case)
    officer = await police(settings)
    r = await client.get(f"/v1/reports/{case.report_id}", headers=officer)
    assert r.status == 200 and len((await r.json())["parties"]) == 2
    r = await determine(client, case, officer, {"A": "major", "B": "minor"})
    assert r.status == 201, await r.text()
    state = await r.json()
    assert state["status"] == "determined"
    assert state["determination"]["shares"] == [
        {"party": "A", "liability": "major", "share_percent": 70},
        {"party": "B", "liability": "minor", "share_percent": 30},
    ]
    r = await client.get("/v1/police/reviews", headers=officer)
    assert (await r.json())["reviews"] == []
    for label in "AB":
        body = {"determination_version": 1, "response": "accept"}
        r = await client.post(
            case.url("/determination-responses"), json=body, headers=bearer(case.tokens[label])
        )
        assert r.status == 200, await r.text()
    assert [x["response"] for x in (await r.json())["determination_responses"]] == [
        "accept",
        "accept",
    ]
    [settled] = await _outbox(client, "report.settled")
    assert settled["dedupe_key"] == f"report.settled:{case.report_id}:1"
    assert settled["payload"]["outcome"] == "determined"
    assert [p["share_percent"] for p in settled["payload"]["parties"]] == [70, 30]


async def test_a_determination_must_cover_every_party_add_up_to_100_and_cite_articles(
    client, settings
):
    case = await report_with_parties(client, settings)
    await dispute_to_review(client, case)
    officer = await police(settings)
    r = await determine(client, case, officer, {"A": "major", "B": "major"})
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/shares"
    body = {
        "shares": [{"party": "A", "liability": "full"}, {"party": "B", "liability": "none"}],
        "reason": "追尾",
        "articles": ["交通法43条"],
    }
    r = await client.post(case.url("/determinations"), json=body, headers=officer)
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/articles/0"


async def _disputed_determination(client, settings, case) -> None:
    await dispute_to_review(client, case)
    r = await determine(client, case, await police(settings), {"A": "equal", "B": "equal"})
    assert r.status == 201, await r.text()
    body = {"determination_version": 1, "response": "dispute", "reason": "B车急刹车应负主要责任"}
    r = await client.post(
        case.url("/determination-responses"), json=body, headers=bearer(case.tokens["A"])
    )
    assert r.status == 200, await r.text()


async def test_a_party_that_disputes_the_determination_may_ask_for_court_handling(client, settings):
    case = await report_with_parties(client, settings)
    await _disputed_determination(client, settings, case)
    r = await client.post(
        case.url("/court-requests"), json={"reason": "不服认定"}, headers=bearer(case.tokens["B"])
    )
    assert (
        r.status == 409
    )  # B accepted nothing and disputed nothing: no court request without a dispute
    r = await client.post(
        case.url("/court-requests"),
        json={"reason": "不服认定，申请诉前调解"},
        headers=bearer(case.tokens["A"]),
    )
    assert r.status == 201, await r.text()
    state = await r.json()
    assert state["status"] == "court_requested"
    assert state["court_request"]["party"] == "A" and "法院" in state["message"]["zh"]
    assert [m["payload"]["stage"] for m in await _outbox(client, "report.disputed")] == [
        "proposal",
        "determination",
    ]


async def test_in_a_court_exempt_island_zone_the_court_request_becomes_offline_mediation(
    client, settings
):
    case = await report_with_parties(
        client, settings, location=dict(SHENGSI), address="嵊泗县菜园镇"
    )
    await _disputed_determination(client, settings, case)
    r = await client.post(
        case.url("/court-requests"), json={"reason": "不服认定"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 201, await r.text()
    state = await r.json()
    assert state["status"] == "offline_mediation"
    assert "嵊泗县" in state["message"]["zh"] and "海岛" in state["message"]["zh"]
    assert "island" in state["message"]["en"] and "mediation" in state["message"]["en"]
    r = await client.post(
        case.url("/court-requests"), json={"reason": "再次申请"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 409
    for label in "AB":  # both parties' court view says where the case goes, not merely "not sent"
        r = await client.get(
            f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens[label])
        )
        summary = await r.json()
        assert summary["state"] == "offline_mediation" and summary["sent_to_court"] is False
        assert (
            "线下调解" in summary["zh"]
            and "嵊泗县" in summary["zh"]
            and "in person" in summary["en"]
        )


async def test_parties_opt_in_to_mutual_self_compensation_when_accepting_a_70_30_determination(
    client, settings
):
    from tests.api.claims_setup import settle, sql, tokens

    case = await report_with_parties(client, settings)
    await dispute_to_review(client, case)
    r = await determine(client, case, await police(settings), {"A": "major", "B": "minor"})
    assert r.status == 201, await r.text()
    body = {
        "determination_version": 1,
        "response": "dispute",
        "reason": "不同意",
        "mutual_self_compensation": True,
    }
    r = await client.post(
        case.url("/determination-responses"), json=body, headers=bearer(case.tokens["A"])
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#"
    for label in "AB":
        body = {"determination_version": 1, "response": "accept", "mutual_self_compensation": True}
        r = await client.post(
            case.url("/determination-responses"), json=body, headers=bearer(case.tokens[label])
        )
        assert r.status == 200, await r.text()
    first, again = await _outbox(client, "report.settled")
    assert first["payload"]["mutual_self_compensation"] == {
        "A": False,
        "B": False,
    }  # when the police decided
    assert again["dedupe_key"].endswith(":1:mutual")
    assert again["payload"]["mutual_self_compensation"] == {"A": True, "B": True}
    assert [p["share_percent"] for p in again["payload"]["parties"]] == [70, 30]

    for message in (first, again):  # what the worker hands the claims side, in order
        await settle(settings, message["payload"])
    auth = await tokens(settings)
    claims = {
        r["label"]: (str(r["id"]), r["insurer_code"])
        for r in await sql(
            settings,
            "SELECT id, label, insurer_code FROM claims WHERE report_id = $1::uuid",
            case.report_id,
        )
    }
    for label, fen in (("A", 120_000), ("B", 80_000)):
        claim_id, insurer = claims[label]
        items = [{"part": "车门", "operation": "repair", "amount_fen": fen}]
        r = await client.post(
            f"/v1/insurer/claims/{claim_id}/assessment",
            headers=auth[insurer],
            json={"reference": f"m-{label}", "items": items, "total_fen": fen},
        )
        assert r.status == 201, await r.text()
    covers = await sql(
        settings,
        "SELECT label, cover FROM claims WHERE report_id = $1::uuid ORDER BY label",
        case.report_id,
    )
    assert [c["cover"]["mode"] for c in covers] == ["mutual_self_compensation"] * 2
    assert [(p["payer"], p["source"]) for c in covers for p in c["cover"]["payments"]] == [
        ("A", "own_insurer"),
        ("B", "own_insurer"),
    ]  # each insurer pays its own insured, no cross-claims


async def test_an_officer_sees_and_decides_only_the_reports_of_their_jurisdiction(client, settings):
    from kuaichu.commands.staff import create_staff
    from kuaichu.db import connect
    from tests.api.evidence import keyring_of

    hangzhou = await report_with_parties(client, settings)  # 上城区
    island = await report_with_parties(
        client, settings, location=dict(SHENGSI), address="嵊泗县菜园镇"
    )
    for case in (hangzhou, island):
        await dispute_to_review(client, case)
    conn = await connect(settings.database_url)
    try:
        officer = bearer(
            await create_staff(
                conn,
                keyring_of(settings),
                username="shengsi-1",
                role="police",
                name="嵊泗交警",
                insurer=None,
                jurisdiction=["zj-330922"],
            )
        )
    finally:
        await conn.close()
    r = await client.get("/v1/police/reviews", headers=officer)
    assert [x["report_id"] for x in (await r.json())["reviews"]] == [island.report_id]
    assert (await client.get(f"/v1/reports/{hangzhou.report_id}", headers=officer)).status == 404
    assert (await client.get(f"/v1/reports/{island.report_id}", headers=officer)).status == 200
    r = await determine(client, hangzhou, officer, {"A": "full", "B": "none"})
    assert r.status == 404  # nothing of a case outside the jurisdiction, not even that it exists
    r = await client.get(
        "/v1/police/reviews", headers=await police(settings)
    )  # province-wide officer
    assert {x["report_id"] for x in (await r.json())["reviews"]} == {
        hangzhou.report_id,
        island.report_id,
    }

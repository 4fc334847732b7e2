"""Accounts, proposals and answers of the fault flow, and the guards on every transition."""

from __future__ import annotations

from kuaichu.keys import SERVICES
from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    REAR_END,
    give_accounts,
    police,
    put_account,
    report_with_parties,
    respond,
)
from tests.api.flows import bearer, create_report


async def test_a_single_vehicle_report_gets_full_liability_under_s01(client, settings):
    case = await report_with_parties(client, settings, vehicles=1)
    state = await give_accounts(
        client,
        case,
        {
            "A": {
                "context": {"junction": "none", "collision": "single_vehicle"},
                "movement": "straight",
                "impact": "front",
            }
        },
    )
    assert state["status"] == "proposed"
    result = state["proposal"]["result"]
    assert result["allocations"] == [{"party": "A", "liability": "full", "share_percent": 100}]
    assert [m["scenario"] for m in result["matched"]] == ["S01"]


async def test_three_vehicles_go_to_police_review_with_the_multi_vehicle_reason(client, settings):
    case = await report_with_parties(client, settings, vehicles=3)
    accounts = {label: {"context": REAR_END, "movement": "straight"} for label in "ABC"}
    state = await give_accounts(client, case, accounts)
    assert state["status"] == "in_review"
    assert [r["code"] for r in state["proposal"]["result"]["review_reasons"]] == ["multi_vehicle"]
    r = await client.get("/v1/police/reviews", headers=await police(settings))
    [item] = (await r.json())["reviews"]
    assert item["report_id"] == case.report_id and item["source"] == "engine"
    assert item["reasons"][0]["code"] == "multi_vehicle"


async def test_the_proposal_waits_until_every_party_gave_its_account(client, settings):
    case = await report_with_parties(client, settings)
    r = await put_account(client, case, "A", A_REAR_ENDS_B["A"])
    state = await r.json()
    assert (
        state["proposal"] is None
        and state["missing_accounts"] == ["B"]
        and state["status"] == "facts_complete"
    )


async def test_differing_views_of_the_context_are_contradictory_facts_for_review(client, settings):
    case = await report_with_parties(client, settings)
    b = {**A_REAR_ENDS_B["B"], "context": {"junction": "signalised", "collision": "rear_end"}}
    state = await give_accounts(client, case, {"A": A_REAR_ENDS_B["A"], "B": b})
    assert state["status"] == "in_review"
    assert state["proposal"]["result"]["review_reasons"][0]["code"] == "contradictory_facts"


async def test_a_party_cannot_submit_the_other_partys_account(client, settings):
    case = await report_with_parties(client, settings)
    r = await put_account(client, case, "B", A_REAR_ENDS_B["B"], as_party="A")
    assert r.status == 403
    assert (await r.json())["type"] == "/problems/not-your-account"
    r = await client.get(case.url(), headers=bearer(case.tokens["B"]))
    assert (await r.json())["accounts"] == []


async def test_changing_an_account_makes_a_new_proposal_and_voids_earlier_acceptances(
    client, settings
):
    case = await report_with_parties(client, settings)
    v1 = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    assert (await respond(client, case, "A", v1)).status == 200
    changed = {**A_REAR_ENDS_B["B"], "flags": ["lawfully_parked"]}
    r = await put_account(client, case, "B", changed)
    state = await r.json()
    assert state["proposal"]["version"] == v1 + 1 and state["responses"] == []
    assert state["accounts"][1]["version"] == 2
    voided = await client.server.app[SERVICES].pool.fetchval(
        "SELECT count(*) FROM fault_responses WHERE voided_at IS NOT NULL"
    )
    assert voided == 1
    r = await respond(client, case, "A", v1)
    assert r.status == 409
    problem = await r.json()
    assert problem["type"] == "/problems/stale-version" and problem["current_version"] == v1 + 1


async def test_the_same_account_again_changes_nothing(client, settings):
    case = await report_with_parties(client, settings)
    v1 = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    state = await give_accounts(client, case, {"A": A_REAR_ENDS_B["A"]})
    assert state["proposal"]["version"] == v1


async def test_an_answer_retried_with_its_idempotency_key_is_recorded_once(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    first = await respond(client, case, "A", v, key="k-1")
    again = await respond(client, case, "A", v, key="k-1")
    assert first.status == again.status == 200
    assert await first.json() == await again.json()
    r = await respond(
        client, case, "A", v
    )  # the same answer without a key: the same state (a safe retry)
    assert r.status == 200 and await r.json() == await first.json()
    r = await respond(
        client, case, "A", v, "dispute", "其实是对方的责任"
    )  # another answer: refused
    assert r.status == 409 and (await r.json())["type"] == "/problems/already-done"


async def test_accounts_and_answers_out_of_turn_are_illegal_transitions(client, settings):
    draft = await create_report(client, settings.var_dir)
    r = await client.put(
        f"/v1/reports/{draft['report']['id']}/fault/accounts/A",
        json=A_REAR_ENDS_B["A"],
        headers=bearer(draft["party_token"]),
    )
    assert r.status == 409 and (await r.json())["type"] == "/problems/illegal-transition"
    case = await report_with_parties(client, settings)
    assert (await respond(client, case, "A", 1)).status == 409
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in "AB":
        await respond(client, case, label, v)
    r = await put_account(client, case, "A", {**A_REAR_ENDS_B["A"], "other_from": None})
    assert r.status == 409  # after both accepted only signing is left
    body = {"determination_version": 1, "response": "accept"}
    r = await client.post(
        case.url("/determination-responses"), json=body, headers=bearer(case.tokens["A"])
    )
    assert r.status == 409


async def test_a_dispute_needs_a_reason(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    r = await respond(client, case, "B", v, "dispute")
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/reason"


async def test_police_endpoints_refuse_a_party(client, settings):
    case = await report_with_parties(client, settings)
    r = await client.get("/v1/police/reviews", headers=bearer(case.tokens["A"]))
    assert r.status == 403
    body = {
        "shares": [{"party": "A", "liability": "full"}, {"party": "B", "liability": "none"}],
        "reason": "x",
        "articles": ["道路交通安全法第四十三条"],
    }
    r = await client.post(case.url("/determinations"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 403

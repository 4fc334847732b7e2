"""`POST /v1/eligibility/check`: the fixed contract other systems call."""

from __future__ import annotations

from tests.api.flows import ELIGIBLE_CASE, ELIGIBLE_PARTY


def body(**party: bool) -> dict:
    return {
        **ELIGIBLE_CASE,
        "parties": [{"id": "A", **ELIGIBLE_PARTY}, {"id": "B", **ELIGIBLE_PARTY, **party}],
    }


async def test_an_eligible_case_answers_self_handle(client):
    r = await client.post("/v1/eligibility/check", json=body())
    assert r.status == 200
    assert await r.json() == {"eligible": True, "action": "self_handle", "reasons": []}


async def test_an_uninsured_vehicle_is_told_to_move_then_call_122_in_both_languages(client):
    r = await client.post("/v1/eligibility/check", json=body(compulsory_insurance=False))
    data = await r.json()
    assert data["eligible"] is False and data["action"] == "move_then_call_122"
    [reason] = data["reasons"]
    assert reason["code"] == "no_compulsory_insurance" and reason["parties"] == ["B"]
    assert "交强险" in reason["zh"] and "insurance" in reason["en"]


async def test_missing_fields_unknown_keys_and_duplicate_ids_are_422_with_pointers(client):
    missing = body()
    del missing["injuries"]
    r = await client.post("/v1/eligibility/check", json=missing)
    assert r.status == 422 and r.content_type == "application/problem+json"
    assert (await r.json())["errors"][0]["pointer"] == "#/injuries"

    unknown = body()
    unknown["parties"][1]["colour"] = "red"
    r = await client.post("/v1/eligibility/check", json=unknown)
    assert [e["pointer"] for e in (await r.json())["errors"]] == ["#/parties/1/colour"]

    dup = body()
    dup["parties"][1]["id"] = "A"
    r = await client.post("/v1/eligibility/check", json=dup)
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/parties"

    r = await client.post("/v1/eligibility/check", json={**ELIGIBLE_CASE, "parties": []})
    assert r.status == 422

    r = await client.post("/v1/eligibility/check", json={**body(), "injuries": "no"})
    assert (await r.json())["errors"][0]["pointer"] == "#/injuries"


async def test_english_is_chosen_by_accept_language(client):
    r = await client.post(
        "/v1/eligibility/check",
        json={"injuries": False},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    problem = await r.json()
    assert problem["title"] == "Invalid input" and problem["zh"]["title"] == "输入有误"

"""`POST /v1/fault/assess` through the real app: the §4 contract, the §5 examples, and malformed input."""

from __future__ import annotations

import pytest

from accident.fault import load_shipped_sets

NATIONAL = load_shipped_sets()["national-online"]
URL = "/v1/fault/assess"
REAR = {"junction": "none", "collision": "rear_end"}
EXAMPLE_1 = {
    "context": REAR,
    "parties": [
        {"id": "A", "movement": "straight", "impact": "front", "other_from": "ahead"},
        {"id": "B", "movement": "stopped", "impact": "rear", "other_from": "behind"},
    ],
}


async def test_a_determined_case_returns_every_field_of_the_contract(client):
    resp = await client.post(URL, json=EXAMPLE_1)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == {
        "outcome": "determined",
        "allocations": [
            {"party": "A", "liability": "full", "share_percent": 100},
            {"party": "B", "liability": "none", "share_percent": 0},
        ],
        "matched": [
            {
                "party": "A",
                "scenario": "Q01",
                "title": {
                    "zh": "追尾前车（同车道）",
                    "en": "Rear-ends the vehicle ahead in the same lane",
                },
                "legal_basis": ["道路交通安全法第四十三条"],
            }
        ],
        "template_set": {"id": "national-online", "version": NATIONAL.version},
        "review_reasons": [],
    }


async def test_a_case_for_review_lists_its_reasons_and_keeps_its_matches(client):
    body = {
        "context": REAR,
        "parties": [
            {"id": "A", "movement": "straight", "impact": "front", "declared_scenarios": ["Q18"]},
            {"id": "B", "movement": "stopped", "impact": "rear", "flags": ["no_hazard_lights"]},
        ],
    }
    data = await (await client.post(URL, json=body)).json()
    assert data["outcome"] == "needs_review"
    assert data["allocations"] == []
    assert [m["scenario"] for m in data["matched"]] == ["Q01"]
    assert [r["code"] for r in data["review_reasons"]] == ["declared_mismatch", "modifier"]
    assert all(
        set(r) == {"code", "zh", "en"} and r["zh"] and r["en"] for r in data["review_reasons"]
    )


EXAMPLES = [
    (
        {"junction": "none", "collision": "rear_end"},
        [
            {"id": "A", "movement": "straight", "impact": "front"},
            {"id": "B", "movement": "reversing", "impact": "rear"},
        ],
        [0, 100],
        ["B:Q18"],
    ),
    (
        {"junction": "none", "collision": "sideswipe_same_direction"},
        [{"id": "A", "movement": "changing_lane"}, {"id": "B", "movement": "changing_lane"}],
        [50, 50],
        ["A:Q02", "B:Q02"],
    ),
    (
        {"junction": "signalised", "collision": "side_impact"},
        [
            {"id": "A", "movement": "straight", "signal": "red", "other_from": "left"},
            {"id": "B", "movement": "straight", "signal": "red", "other_from": "right"},
        ],
        [50, 50],
        ["A:Q05", "B:Q05"],
    ),
    (
        {"junction": "none", "collision": "side_impact"},
        [
            {"id": "A", "movement": "stopped", "flags": ["lawfully_parked", "door_opened"]},
            {"id": "B", "movement": "straight"},
        ],
        [100, 0],
        ["A:Q20"],
    ),
    (
        {"junction": "none", "collision": "single_vehicle"},
        [{"id": "A", "movement": "reversing", "impact": "rear"}],
        [100],
        ["A:Q18", "A:S01"],
    ),
    (
        {"junction": "none", "collision": "side_impact"},
        [{"id": "A", "movement": "straight"}, {"id": "B", "movement": "straight"}],
        [],
        [],
    ),
]


@pytest.mark.parametrize(("context", "parties", "shares", "matched"), EXAMPLES)
async def test_worked_examples_over_http(client, context, parties, shares, matched):
    data = await (await client.post(URL, json={"context": context, "parties": parties})).json()
    assert [a["share_percent"] for a in data["allocations"]] == shares
    assert [f"{m['party']}:{m['scenario']}" for m in data["matched"]] == matched


async def test_the_template_set_can_be_named_and_is_echoed_with_its_version(client):
    data = await (
        await client.post(URL, json={**EXAMPLE_1, "template_set": "national-online"})
    ).json()
    assert data["template_set"] == {"id": "national-online", "version": NATIONAL.version}


BAD = [
    (
        "unknown enum value",
        {**EXAMPLE_1, "context": {"junction": "none", "collision": "crash"}},
        ["#/context/collision"],
    ),
    (
        "unknown key in a party",
        {
            **EXAMPLE_1,
            "parties": [{**EXAMPLE_1["parties"][0], "speed": 50}, EXAMPLE_1["parties"][1]],
        },
        ["#/parties/0/speed"],
    ),
    ("unknown top-level key", {**EXAMPLE_1, "weather": "rain"}, ["#/weather"]),
    (
        "unknown flag",
        {
            **EXAMPLE_1,
            "parties": [EXAMPLE_1["parties"][0], {**EXAMPLE_1["parties"][1], "flags": ["drunk"]}],
        },
        ["#/parties/1/flags/0"],
    ),
    (
        "unknown movement",
        {"context": REAR, "parties": [{"id": "A", "movement": "flying"}]},
        ["#/parties/0/movement"],
    ),
    ("no context", {"parties": EXAMPLE_1["parties"]}, ["#/context"]),
    ("no parties", {"context": REAR, "parties": []}, ["#/parties"]),
    ("parties missing", {"context": REAR}, ["#/parties"]),
    (
        "duplicate party ids",
        {
            "context": REAR,
            "parties": [{"id": "A", "movement": "straight"}, {"id": "A", "movement": "stopped"}],
        },
        ["#/parties/1/id"],
    ),
    ("unknown template set", {**EXAMPLE_1, "template_set": "mars"}, ["#/template_set"]),
    (
        "unknown declared scenario",
        {
            "context": REAR,
            "parties": [
                {"id": "A", "movement": "straight", "declared_scenarios": ["Q01", "Q16"]},
                {"id": "B", "movement": "stopped"},
            ],
        },
        ["#/parties/0/declared_scenarios/1"],
    ),
    ("movement missing", {"context": REAR, "parties": [{"id": "A"}]}, ["#/parties/0/movement"]),
]


@pytest.mark.parametrize(("name", "body", "pointers"), BAD, ids=[b[0] for b in BAD])
async def test_malformed_input_is_a_422_problem_pointing_at_each_bad_field(
    client, name, body, pointers
):
    resp = await client.post(URL, json=body)
    assert resp.status == 422, name
    assert resp.content_type == "application/problem+json"
    problem = await resp.json()
    assert problem["type"] == "/problems/validation-error"
    assert [e["pointer"] for e in problem["errors"]] == pointers


async def test_a_body_that_is_not_json_is_refused(client):
    resp = await client.post(URL, data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400

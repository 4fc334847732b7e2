"""The review paths of §3: more than two parties, every contradiction, declared mismatches, the modifier."""

from __future__ import annotations

import pytest

from accident.fault import Facts, assess, load_shipped_sets

NATIONAL = load_shipped_sets()["national-online"]
REAR = {"junction": "none", "collision": "rear_end"}


def decide(context: dict, *parties: dict):
    return assess(NATIONAL, Facts.from_dict({"context": context, "parties": list(parties)}))


def test_more_than_two_parties_go_to_review_and_nothing_is_matched():
    d = decide(REAR, *({"id": x, "movement": "reversing"} for x in "ABC"))
    assert (d.outcome, d.matched, d.allocations) == ("needs_review", (), ())
    assert [r.code for r in d.review_reasons] == ["multi_vehicle"]


def a_b(a: dict, b: dict) -> tuple[dict, dict]:
    return {"id": "A", "movement": "reversing", **a}, {"id": "B", "movement": "straight", **b}


CONTRADICTIONS = [
    (
        "other_from ahead/ahead",
        {"junction": "none", "collision": "side_impact"},
        *a_b({"other_from": "ahead"}, {"other_from": "ahead"}),
    ),
    (
        "other_from left/left",
        {"junction": "none", "collision": "side_impact"},
        *a_b({"other_from": "left"}, {"other_from": "left"}),
    ),
    (
        "other_from opposite/behind",
        {"junction": "none", "collision": "head_on"},
        *a_b({"other_from": "opposite"}, {"other_from": "behind"}),
    ),
    ("rear-end front/front", REAR, *a_b({"impact": "front"}, {"impact": "front"})),
    ("rear-end rear/rear", REAR, *a_b({"impact": "rear"}, {"impact": "rear"})),
    ("rear-end left and unknown", REAR, *a_b({"impact": "left"}, {})),
    ("rear-end front and right", REAR, *a_b({"impact": "front"}, {"impact": "right"})),
    (
        "single_vehicle with two parties",
        {"junction": "none", "collision": "single_vehicle"},
        *a_b({}, {}),
    ),
    (
        "signal at a junction without lights",
        {"junction": "none", "collision": "side_impact"},
        *a_b({"signal": "red"}, {}),
    ),
    (
        "signal at an unsignalised junction",
        {"junction": "unsignalised", "collision": "side_impact"},
        *a_b({}, {"signal": "green"}),
    ),
    (
        "priority at a signalised junction",
        {"junction": "signalised", "collision": "side_impact"},
        *a_b({"priority": "yield_sign"}, {}),
    ),
    (
        "priority off any junction",
        {"junction": "none", "collision": "side_impact"},
        *a_b({}, {"priority": "major_road"}),
    ),
    (
        "priority in a roundabout",
        {"junction": "roundabout", "collision": "side_impact"},
        *a_b({"priority": "major_road"}, {}),
    ),
    (
        "lawfully parked and stopped unlawfully",
        {"junction": "none", "collision": "side_impact"},
        *a_b({}, {"flags": ["lawfully_parked", "stopped_unlawfully"]}),
    ),
]


@pytest.mark.parametrize(
    ("name", "context", "a", "b"), CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS]
)
def test_contradictory_facts_end_the_evaluation_in_review(name, context, a, b):
    for parties in ((a, b), (b, a)):
        d = decide(context, *parties)
        assert (d.outcome, d.matched, d.allocations) == ("needs_review", (), ()), name
        assert [r.code for r in d.review_reasons] == ["contradictory_facts"]
        assert d.review_reasons[0].zh and d.review_reasons[0].en


@pytest.mark.parametrize(
    "collision", ["rear_end", "head_on", "side_impact", "sideswipe_opposite_direction"]
)
def test_a_lone_party_in_a_two_vehicle_collision_type_is_contradictory(collision):
    d = decide({"junction": "none", "collision": collision}, {"id": "A", "movement": "reversing"})
    assert [r.code for r in d.review_reasons] == ["contradictory_facts"]


@pytest.mark.parametrize(
    ("junction", "signal", "priority"),
    [
        ("signalised", "red", None),
        ("signalised", "none", "none"),
        ("unsignalised", None, "yield_sign"),
        ("none", "none", "none"),
        ("roundabout", "none", None),
    ],
)
def test_consistent_signals_and_signs_are_not_contradictions(junction, signal, priority):
    a = {"id": "A", "movement": "reversing", **({"signal": signal} if signal else {})}
    a |= {"priority": priority} if priority else {}
    d = decide(
        {"junction": junction, "collision": "side_impact"}, a, {"id": "B", "movement": "straight"}
    )
    assert d.outcome == "determined"


def test_mirrored_directions_are_consistent_and_a_lone_direction_is_mirrored():
    ctx = {"junction": "unsignalised", "collision": "side_impact"}
    a = {"id": "A", "movement": "straight", "priority": "none"}
    b = {"id": "B", "movement": "straight", "priority": "none", "other_from": "left"}
    d = decide(ctx, a, b)  # A's view is inferred: B came from A's right, so A gives way (B09)
    assert [(m.party, m.code) for m in d.matched] == [("A", "B09")]


def test_a_declared_scenario_that_matched_needs_no_review():
    d = decide(
        REAR,
        {"id": "A", "movement": "straight", "impact": "front", "declared_scenarios": ["Q01"]},
        {"id": "B", "movement": "stopped", "impact": "rear"},
    )
    assert d.outcome == "determined"


def test_a_declared_scenario_by_the_party_not_at_fault_goes_to_review():
    d = decide(
        REAR,
        {"id": "A", "movement": "straight", "impact": "front"},
        {"id": "B", "movement": "stopped", "impact": "rear", "declared_scenarios": ["Q19"]},
    )
    assert [r.code for r in d.review_reasons] == ["declared_mismatch"]
    assert [(m.party, m.code) for m in d.matched] == [("A", "Q01")]


@pytest.mark.parametrize("flag", ["stopped_unlawfully", "no_hazard_lights"])
def test_a_lead_vehicle_at_fault_in_a_rear_end_is_a_modifier(flag):
    d = decide(
        REAR,
        {"id": "A", "movement": "straight", "impact": "front"},
        {"id": "B", "movement": "stopped", "impact": "rear", "flags": [flag]},
    )
    assert [r.code for r in d.review_reasons] == ["modifier"]
    assert d.allocations == ()


def test_the_modifier_needs_the_flag_on_the_vehicle_hit_in_the_rear():
    d = decide(
        REAR,
        {"id": "A", "movement": "straight", "impact": "front", "flags": ["no_hazard_lights"]},
        {"id": "B", "movement": "stopped", "impact": "rear"},
    )
    assert d.outcome == "determined"


def test_review_texts_are_chinese_and_english():
    d = decide(
        {"junction": "none", "collision": "side_impact"},
        {"id": "A", "movement": "straight"},
        {"id": "B", "movement": "straight"},
    )
    (r,) = d.review_reasons
    assert r.zh.startswith("没有") and r.en.startswith("No scenario")

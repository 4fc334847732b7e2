"""Every row of the national set: a positive case, near misses one fact off, exemptions, unknown facts."""

from __future__ import annotations

import pytest

from accident.fault import Facts, assess, load_shipped_sets
from tests.unit.fault_row_cases import NEAR_MISSES, POSITIVE, SIG, N, near_miss, p

NATIONAL = load_shipped_sets()["national-online"]


def decide(context: dict, *parties: dict):
    return assess(NATIONAL, Facts.from_dict({"context": context, "parties": list(parties)}))


def codes_of(decision, party: str) -> set[str]:
    return {m.code for m in decision.matched if m.party == party}


def test_every_row_of_the_set_has_a_positive_case():
    assert set(POSITIVE) | {"S01"} == NATIONAL.codes


@pytest.mark.parametrize("code", sorted(POSITIVE))
def test_row_matches_the_party_whose_facts_fit_it_and_that_party_bears_full_liability(code):
    context, a, b = POSITIVE[code]
    d = decide(context, a, b)
    assert codes_of(d, "A") == {code}
    assert codes_of(d, "B") == set()
    assert [(x.party, x.share_percent) for x in d.allocations] == [("A", 100), ("B", 0)]


def test_single_vehicle_row_matches_a_lone_party():
    d = decide({"junction": "none", "collision": "single_vehicle"}, p("A", "straight"))
    assert [(m.party, m.code) for m in d.matched] == [("A", "S01")]
    assert [(a.party, a.liability) for a in d.allocations] == [("A", "full")]


@pytest.mark.parametrize(
    ("code", "change"), NEAR_MISSES, ids=[f"{c}-{ch[0]}.{ch[1]}" for c, ch in NEAR_MISSES]
)
def test_one_fact_off_and_the_row_does_not_match(code, change):
    context, a, b = near_miss(code, change)
    assert code not in codes_of(decide(context, a, b), "A")


EXEMPT = ["Q04", "Q05", "Q13", "Q14", "Q17", "B02", "B03"]


@pytest.mark.parametrize("code", EXEMPT)
def test_an_emergency_vehicle_on_duty_never_matches_routes_directions_or_signals(code):
    context, a, b = POSITIVE[code]
    a = {**a, "flags": [*a.get("flags", []), "emergency_on_duty"]}
    d = decide(context, a, b)
    assert code not in codes_of(d, "A")


def test_the_emergency_exemption_leaves_other_rows_alone():
    context, a, b = POSITIVE["Q18"]
    d = decide(context, {**a, "flags": ["emergency_on_duty"]}, b)
    assert codes_of(d, "A") == {"Q18"}


@pytest.mark.parametrize("fact", ["impact", "signal", "priority", "other_from"])
def test_an_unknown_fact_is_never_assumed(fact):
    needs = {"impact": "Q01", "signal": "Q04", "priority": "Q07", "other_from": "Q09"}[fact]
    context, a, b = (dict(x) for x in POSITIVE[needs])
    a.pop(fact, None)
    b.pop(fact, None)
    assert decide(context, a, b).outcome == "needs_review"


def test_in_a_rear_end_one_given_impact_implies_the_other():
    context, a, b = (dict(x) for x in POSITIVE["Q01"])
    a.pop("impact")
    assert codes_of(decide(context, a, b), "A") == {"Q01"}
    b.pop("impact")
    a["impact"] = "front"
    assert codes_of(decide(context, a, b), "A") == {"Q01"}


def test_for_a_lone_party_every_fact_about_the_other_is_unknown():
    d = decide(
        {"junction": "none", "collision": "single_vehicle"},
        p("A", "overtaking", other_from="opposite"),
    )
    assert codes_of(d, "A") == {"S01", "Q15"}
    lone = decide({"junction": "none", "collision": "single_vehicle"}, p("A", "straight"))
    assert "B12" not in codes_of(lone, "A") and "B04" not in codes_of(lone, "A")


BOTH = [
    (
        "Q05 both",
        SIG,
        p("A", "turning_left", signal="red"),
        p("B", "straight", signal="red"),
        {"Q05"},
        {"Q05"},
    ),
    ("Q18 both", N, p("A", "reversing"), p("B", "reversing"), {"Q18"}, {"Q18"}),
    (
        "Q14 vs Q18",
        N,
        p("A", "straight", flags=["wrong_way"]),
        p("B", "reversing"),
        {"Q14"},
        {"Q18"},
    ),
    (
        "Q06 vs Q17",
        N,
        p("A", "overtaking"),
        p("B", "turning_left", flags=["wrong_guide_lane"]),
        {"Q06"},
        {"Q17"},
    ),
]


@pytest.mark.parametrize(
    ("name", "context", "a", "b", "codes_a", "codes_b"), BOTH, ids=[x[0] for x in BOTH]
)
def test_when_both_parties_match_liability_is_equal(name, context, a, b, codes_a, codes_b):
    d = decide(context, a, b)
    assert (codes_of(d, "A"), codes_of(d, "B")) == (codes_a, codes_b)
    assert [(x.party, x.liability, x.share_percent) for x in d.allocations] == [
        ("A", "equal", 50),
        ("B", "equal", 50),
    ]

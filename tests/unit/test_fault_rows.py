"""Every row of the national set: a positive case, near misses one fact off, exemptions, unknown facts."""

from __future__ import annotations

import pytest

from accident.fault import Facts, assess, load_shipped_sets

NATIONAL = load_shipped_sets()["national-online"]
N = {"junction": "none", "collision": "side_impact"}
SIG = {"junction": "signalised", "collision": "side_impact"}
UNS = {"junction": "unsignalised", "collision": "side_impact"}
RB = {"junction": "roundabout", "collision": "side_impact"}


def p(pid: str, movement: str, **facts) -> dict:
    return {"id": pid, "movement": movement, **facts}


# code → (context, A (the party that should match), B)
POSITIVE = {
    "Q01": (
        {"junction": "none", "collision": "rear_end"},
        p("A", "straight", impact="front"),
        p("B", "stopped", impact="rear"),
    ),
    "Q02": (
        {"junction": "none", "collision": "sideswipe_same_direction"},
        p("A", "changing_lane"),
        p("B", "straight"),
    ),
    "Q03": (SIG, p("A", "turning_right", signal="green"), p("B", "straight", signal="green")),
    "Q04": (SIG, p("A", "turning_right", signal="red"), p("B", "straight", signal="green")),
    "Q05": (SIG, p("A", "turning_left", signal="red"), p("B", "straight", signal="green")),
    "Q06": (N, p("A", "overtaking"), p("B", "turning_left")),
    "Q07": (UNS, p("A", "straight", priority="yield_sign"), p("B", "straight", priority="major_road")),
    "Q08": (UNS, p("A", "turning_left", priority="none"), p("B", "straight", priority="none")),
    "Q09": (
        UNS,
        p("A", "turning_right", priority="none", other_from="opposite"),
        p("B", "turning_left", priority="none"),
    ),
    "Q10": (RB, p("A", "entering_roundabout"), p("B", "in_roundabout")),
    "Q11": (N, p("A", "u_turn"), p("B", "straight")),
    "Q12": (N, p("A", "overtaking"), p("B", "u_turn")),
    "Q13": (N, p("A", "u_turn", flags=["u_turn_prohibited"]), p("B", "turning_left")),
    "Q14": (N, p("A", "straight", flags=["wrong_way"]), p("B", "straight")),
    "Q15": (
        {"junction": "none", "collision": "head_on"},
        p("A", "overtaking", other_from="opposite"),
        p("B", "straight"),
    ),
    "Q17": (SIG, p("A", "turning_left", flags=["wrong_guide_lane"]), p("B", "turning_left")),
    "Q18": (N, p("A", "reversing"), p("B", "stopped")),
    "Q19": (N, p("A", "rolling"), p("B", "stopped")),
    "Q20": (N, p("A", "stopped", flags=["door_opened"]), p("B", "straight")),
    "B01": (N, p("A", "turning_left", flags=["ignored_officer"]), p("B", "turning_left")),
    "B02": (N, p("A", "straight", flags=["reserved_lane"]), p("B", "turning_left")),
    "B03": (N, p("A", "straight", flags=["prohibited_road"]), p("B", "turning_left")),
    "B04": (N, p("A", "turning_left"), p("B", "straight", flags=["emergency_on_duty"])),
    "B09": (
        UNS,
        p("A", "straight", priority="none", other_from="right"),
        p("B", "straight", priority="none"),
    ),
    "B10": (N, p("A", "entering_road"), p("B", "straight")),
    "B12": (N, p("A", "straight"), p("B", "parked", flags=["lawfully_parked"])),
    "B13": (
        {"junction": "none", "collision": "sideswipe_same_direction"},
        p("A", "overtaking", flags=["overtook_on_right"]),
        p("B", "straight"),
    ),
}


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


# code → (fact path, off value): one fact changed so that the row must not match.
NEAR_MISSES = [
    ("Q01", ("B", "movement", "reversing")),
    ("Q01", ("B", "movement", "changing_lane")),
    ("Q01", ("ctx", "collision", "head_on")),
    ("Q02", ("B", "movement", "turning_left")),
    ("Q02", ("ctx", "collision", "head_on")),
    ("Q03", ("B", "signal", None)),
    ("Q03", ("B", "movement", "turning_left")),
    ("Q03", ("ctx", "junction", "none")),
    ("Q04", ("B", "signal", "red")),
    ("Q04", ("A", "signal", None)),
    ("Q05", ("A", "movement", "stopped")),
    ("Q05", ("A", "signal", "yellow")),
    ("Q06", ("B", "movement", "straight")),
    ("Q07", ("B", "priority", "yield_sign")),
    ("Q07", ("B", "priority", None)),
    ("Q08", ("A", "priority", None)),
    ("Q08", ("B", "movement", "turning_right")),
    ("Q09", ("A", "other_from", None)),
    ("Q09", ("A", "other_from", "left")),
    ("Q10", ("B", "movement", "entering_roundabout")),
    ("Q11", ("A", "flags", ["u_turn_prohibited"])),
    ("Q11", ("B", "movement", "turning_left")),
    ("Q12", ("B", "movement", "straight")),
    ("Q13", ("A", "flags", [])),
    ("Q14", ("A", "flags", [])),
    ("Q15", ("A", "other_from", None)),
    ("Q15", ("A", "movement", "straight")),
    ("Q17", ("A", "flags", [])),
    ("Q18", ("A", "movement", "straight")),
    ("Q19", ("A", "movement", "stopped")),
    ("Q20", ("A", "flags", ["lawfully_parked"])),
    ("B01", ("A", "flags", [])),
    ("B02", ("A", "flags", [])),
    ("B03", ("A", "flags", [])),
    ("B04", ("A", "flags", ["emergency_on_duty"])),
    ("B04", ("B", "flags", [])),
    ("B09", ("A", "other_from", None)),
    ("B09", ("B", "priority", None)),
    ("B10", ("B", "movement", "turning_left")),
    ("B12", ("A", "movement", "stopped")),
    ("B12", ("B", "flags", ["lawfully_parked", "door_opened"])),
    ("B13", ("A", "flags", [])),
]


@pytest.mark.parametrize(
    ("code", "change"), NEAR_MISSES, ids=[f"{c}-{ch[0]}.{ch[1]}" for c, ch in NEAR_MISSES]
)
def test_one_fact_off_and_the_row_does_not_match(code, change):
    context, a, b = (dict(x) for x in POSITIVE[code])
    who, fact, value = change
    target = {"ctx": context, "A": a, "B": b}[who]
    if value is None:
        target.pop(fact, None)
    else:
        target[fact] = value
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
        {"junction": "none", "collision": "single_vehicle"}, p("A", "overtaking", other_from="opposite")
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
    ("Q14 vs Q18", N, p("A", "straight", flags=["wrong_way"]), p("B", "reversing"), {"Q14"}, {"Q18"}),
    (
        "Q06 vs Q17",
        N,
        p("A", "overtaking"),
        p("B", "turning_left", flags=["wrong_guide_lane"]),
        {"Q06"},
        {"Q17"},
    ),
]


@pytest.mark.parametrize(("name", "context", "a", "b", "codes_a", "codes_b"), BOTH, ids=[x[0] for x in BOTH])
def test_when_both_parties_match_liability_is_equal(name, context, a, b, codes_a, codes_b):
    d = decide(context, a, b)
    assert (codes_of(d, "A"), codes_of(d, "B")) == (codes_a, codes_b)
    assert [(x.party, x.liability, x.share_percent) for x in d.allocations] == [
        ("A", "equal", 50),
        ("B", "equal", 50),
    ]

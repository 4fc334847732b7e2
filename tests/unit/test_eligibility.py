"""The eligibility gate (FAULT_RULES.md §1), pure and table-driven."""

from __future__ import annotations

import pytest

from accident.eligibility import RULES, Action, CaseAnswers, PartyAnswers, check

CASE_OK = dict(
    injuries=False, vehicles_movable=True, public_facility_damage=False, intentional=False
)
PARTY_OK = dict(
    licence_valid=True,
    compulsory_insurance=True,
    inspection_mark_valid=True,
    suspected_impairment=False,
    has_plate=True,
    fled=False,
    dangerous_goods=False,
    overloaded_passenger=False,
)


def verdict(case: dict | None = None, **party_b: bool):
    return check(
        CaseAnswers(**{**CASE_OK, **(case or {})}),
        (PartyAnswers(id="A", **PARTY_OK), PartyAnswers(id="B", **{**PARTY_OK, **party_b})),
    )


def test_a_clean_case_may_be_self_handled_with_no_reasons():
    v = verdict()
    assert v.eligible and v.action is Action.SELF_HANDLE and v.reasons == ()


@pytest.mark.parametrize(
    ("case", "party_b", "code", "action", "parties"),
    [
        ({"injuries": True}, {}, "injury", Action.CALL_122_STAY, ()),
        ({}, {"licence_valid": False}, "no_licence", Action.CALL_122_STAY, ("B",)),
        ({}, {"suspected_impairment": True}, "impairment", Action.CALL_122_STAY, ("B",)),
        ({}, {"overloaded_passenger": True}, "overloaded_passenger", Action.CALL_122_STAY, ("B",)),
        ({}, {"has_plate": False}, "no_plate", Action.CALL_122_STAY, ("B",)),
        ({"vehicles_movable": False}, {}, "immovable", Action.CALL_122_STAY, ()),
        ({}, {"fled": True}, "fled", Action.CALL_122_STAY, ("B",)),
        ({"intentional": True}, {}, "intentional", Action.CALL_122_STAY, ()),
        ({}, {"dangerous_goods": True}, "dangerous_goods", Action.CALL_122_STAY, ("B",)),
        (
            {},
            {"compulsory_insurance": False},
            "no_compulsory_insurance",
            Action.MOVE_THEN_CALL_122,
            ("B",),
        ),
        (
            {},
            {"inspection_mark_valid": False},
            "no_inspection_mark",
            Action.MOVE_THEN_CALL_122,
            ("B",),
        ),
        ({"public_facility_damage": True}, {}, "facility_damage", Action.MOVE_THEN_CALL_122, ()),
    ],
)
def test_each_condition_gives_its_code_action_and_the_parties_it_concerns(
    case, party_b, code, action, parties
):
    v = verdict(case, **party_b)
    assert not v.eligible and v.action is action
    assert [(r.code, r.parties) for r in v.reasons] == [(code, parties)]
    assert "122" in v.reasons[0].zh and "122" in v.reasons[0].en


def test_staying_outranks_moving_and_reasons_keep_the_table_order():
    v = verdict({"public_facility_damage": True}, compulsory_insurance=False, licence_valid=False)
    assert v.action is Action.CALL_122_STAY
    assert [r.code for r in v.reasons] == [
        "no_licence",
        "no_compulsory_insurance",
        "facility_damage",
    ]


def test_a_condition_of_both_parties_lists_both():
    v = check(
        CaseAnswers(**CASE_OK),
        (
            PartyAnswers(id="A", **{**PARTY_OK, "has_plate": False}),
            PartyAnswers(id="B", **{**PARTY_OK, "has_plate": False}),
        ),
    )
    assert v.reasons[0].parties == ("A", "B")


def test_the_table_covers_every_code_of_the_contract_once():
    assert [r.code for r in RULES] == [
        "injury",
        "no_licence",
        "impairment",
        "overloaded_passenger",
        "no_plate",
        "immovable",
        "fled",
        "intentional",
        "dangerous_goods",
        "no_compulsory_insurance",
        "no_inspection_mark",
        "facility_damage",
    ]

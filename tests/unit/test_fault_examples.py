"""The worked examples of FAULT_RULES.md §5, exactly, and each with the party order swapped."""

from __future__ import annotations

import pytest

from accident.fault import Facts, assess
from tests.unit.fault_examples import EXAMPLES, NATIONAL


def decide(context: dict, parties: list[dict]):
    return assess(NATIONAL, Facts.from_dict({"context": context, "parties": parties}))


@pytest.mark.parametrize(
    ("name", "context", "parties", "outcome", "shares", "matched", "reviews"), EXAMPLES
)
def test_worked_example_gives_exactly_the_documented_decision(
    name, context, parties, outcome, shares, matched, reviews
):
    d = decide(context, parties)
    assert d.outcome == outcome, name
    assert {a.party: a.share_percent for a in d.allocations} == shares
    assert [a.party for a in d.allocations] == ([p["id"] for p in parties] if shares else [])
    assert [(m.party, m.code) for m in d.matched] == matched
    assert [r.code for r in d.review_reasons] == reviews
    assert (d.set_id, d.set_version) == ("national-online", NATIONAL.version)


@pytest.mark.parametrize(
    ("name", "context", "parties", "outcome", "shares", "matched", "reviews"), EXAMPLES
)
def test_swapping_the_party_order_mirrors_the_decision(
    name, context, parties, outcome, shares, matched, reviews
):
    d = decide(context, list(reversed(parties)))
    assert d.outcome == outcome, name
    assert [a.party for a in d.allocations] == (
        [p["id"] for p in reversed(parties)] if shares else []
    )
    assert {a.party: a.share_percent for a in d.allocations} == shares
    order = [p["id"] for p in reversed(parties)]
    assert [(m.party, m.code) for m in d.matched] == sorted(
        matched, key=lambda m: (order.index(m[0]), m[1])
    )
    assert [r.code for r in d.review_reasons] == reviews


def test_liability_names_follow_the_shares():
    full = decide(*EXAMPLES[0][1:3]).allocations
    equal = decide(*EXAMPLES[3][1:3]).allocations
    assert [a.liability for a in full] == ["full", "none"]
    assert [a.liability for a in equal] == ["equal", "equal"]


def test_every_match_carries_its_titles_and_legal_basis():
    (m,) = decide(*EXAMPLES[0][1:3]).matched
    assert m.legal_basis == ("道路交通安全法第四十三条",)
    assert m.title_zh and m.title_en

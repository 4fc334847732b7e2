"""交强险 property cover, 互碰自赔 and the rest by liability: PRODUCT.md's worked examples and one example per rule,
written from the statutes' wording, table-driven over every branch and boundary."""

from __future__ import annotations

from datetime import date

import pytest

from claims.limits import NoLimitsInForce, limits_on
from claims.model import Fen, Loss, Mode, PartyCover, Source
from claims.rules import capped_split, decide_cover, split

DAY = date(2026, 11, 1)


def P(
    label: str, share: int, *, ins: str | None = None, opt: bool = False, comp: bool = True
) -> PartyCover:
    return PartyCover(label, ins or f"I{label}", share, has_compulsory=comp, opted_in_mutual=opt)


def L(label: str, fen: int, vehicle_only: bool = True) -> Loss:
    return Loss(label, Fen(fen), vehicle_only)


def flat(cover) -> set[tuple[str, str, str, int]]:
    return {(p.payee, p.payer, p.source.value, p.amount_fen) for p in cover.payments}


MUTUAL_CASES = [
    # (name, parties, losses, expected mode)
    (
        "equal fault, both opted in, small losses",
        [P("A", 50, opt=True), P("B", 50, opt=True)],
        [L("A", 150_000), L("B", 120_000)],
        Mode.MUTUAL,
    ),
    (
        "exactly 2,000.00 each is still mutual",
        [P("A", 70, opt=True), P("B", 30, opt=True)],
        [L("A", 200_000), L("B", 200_000)],
        Mode.MUTUAL,
    ),
    (
        "2,000.01 for one party is not",
        [P("A", 70, opt=True), P("B", 30, opt=True)],
        [L("A", 200_001), L("B", 100_000)],
        Mode.LIABILITY,
    ),
    (
        "one party did not opt in",
        [P("A", 50, opt=True), P("B", 50)],
        [L("A", 1000), L("B", 1000)],
        Mode.LIABILITY,
    ),
    (
        "one party bears no liability",
        [P("A", 100, opt=True), P("B", 0, opt=True)],
        [L("A", 1000), L("B", 1000)],
        Mode.LIABILITY,
    ),
    (
        "one vehicle without 交强险",
        [P("A", 50, opt=True), P("B", 50, opt=True, comp=False)],
        [L("A", 1000), L("B", 1000)],
        Mode.LIABILITY,
    ),
    (
        "damage beyond the vehicles",
        [P("A", 50, opt=True), P("B", 50, opt=True)],
        [L("A", 1000, vehicle_only=False), L("B", 1000)],
        Mode.LIABILITY,
    ),
    (
        "three vehicles, all conditions",
        [P("A", 40, opt=True), P("B", 30, opt=True), P("C", 30, opt=True)],
        [L("A", 1000), L("B", 1000), L("C", 1000)],
        Mode.MUTUAL,
    ),
]


@pytest.mark.parametrize(
    ("name", "parties", "losses", "mode"), MUTUAL_CASES, ids=[c[0] for c in MUTUAL_CASES]
)
def test_mutual_self_compensation_applies_only_when_every_condition_holds(
    name, parties, losses, mode
):
    cover = decide_cover(parties=parties, losses=losses, accident_day=DAY)
    assert cover.mode is mode
    if mode is Mode.MUTUAL:
        assert flat(cover) == {(x.label, x.label, "own_insurer", x.amount_fen) for x in losses}


LIABILITY_CASES = [
    # Two vehicles.
    (
        "full–none: at-fault insurer pays the other's loss within 2,000; the no-fault insurer 100 of his",
        [P("A", 100), P("B", 0)],
        [L("A", 50_000), L("B", 150_000)],
        {
            ("B", "A", "compulsory", 150_000),
            ("A", "B", "compulsory", 10_000),
            ("A", "A", "self_borne", 40_000),
        },
    ),
    (
        "no-fault limit boundary: exactly 100 yuan",
        [P("A", 100), P("B", 0)],
        [L("A", 10_000)],
        {("A", "B", "compulsory", 10_000)},
    ),
    (
        "no-fault limit boundary: 100.01 yuan leaves one fen",
        [P("A", 100), P("B", 0)],
        [L("A", 10_001)],
        {("A", "B", "compulsory", 10_000), ("A", "A", "self_borne", 1)},
    ),
    (
        "at-fault limit boundary: exactly 2,000.00 without opt-in",
        [P("A", 100), P("B", 0)],
        [L("B", 200_000)],
        {("B", "A", "compulsory", 200_000)},
    ),
    (
        "at-fault limit boundary: 2,000.01 leaves one fen to the at-fault party (道交法 §76)",
        [P("A", 100), P("B", 0)],
        [L("B", 200_001)],
        {("B", "A", "compulsory", 200_000), ("B", "A", "party", 1)},
    ),
    (
        "equal fault above the mutual ceiling: each 2,000, then half the rest each (道交法 §76 第一款第一项)",
        [P("A", 50), P("B", 50)],
        [L("A", 300_000), L("B", 600_000)],
        {
            ("A", "B", "compulsory", 200_000),
            ("A", "B", "party", 50_000),
            ("A", "A", "self_borne", 50_000),
            ("B", "A", "compulsory", 200_000),
            ("B", "A", "party", 200_000),
            ("B", "B", "self_borne", 200_000),
        },
    ),
    (
        "major–minor 70/30: the rest 3,000 split 2,100 / 900",
        [P("A", 70), P("B", 30)],
        [L("B", 500_000)],
        {
            ("B", "A", "compulsory", 200_000),
            ("B", "A", "party", 210_000),
            ("B", "B", "self_borne", 90_000),
        },
    ),
    (
        "an uninsured at-fault party pays what its insurer would have, as a party (SPC §16)",
        [P("A", 100, comp=False), P("B", 0)],
        [L("B", 250_000)],
        {("B", "A", "compulsory_uninsured", 200_000), ("B", "A", "party", 50_000)},
    ),
    # Several vehicles: PRODUCT.md's worked examples (normative).
    (
        "worked example 1: A 70 % / B 30 % / C 0 %, losses A 1,050.00 and C 1,900.00",
        [P("A", 70), P("B", 30), P("C", 0)],
        [L("A", 105_000), L("C", 190_000)],
        {
            ("A", "B", "compulsory", 100_000),
            ("A", "C", "compulsory", 5_000),
            ("C", "A", "compulsory", 95_000),
            ("C", "B", "compulsory", 95_000),
        },
    ),
    (
        "worked example 2: A 100 % / B 0 % / C 0 %, losses B 1,500.00 and C 900.00",
        [P("A", 100), P("B", 0), P("C", 0)],
        [L("B", 150_000), L("C", 90_000)],
        {
            ("B", "A", "compulsory", 125_000),
            ("C", "A", "compulsory", 75_000),
            ("B", "A", "party", 25_000),
            ("C", "A", "party", 15_000),
        },
    ),
    # One example per rule, from the statute's wording.
    (
        "SPC §18: a loss beyond the sum of the limits gets each payer's whole limit",
        [P("A", 60), P("B", 40), P("C", 0)],
        [L("C", 500_000)],
        {
            ("C", "A", "compulsory", 200_000),
            ("C", "B", "compulsory", 200_000),
            ("C", "A", "party", 60_000),
            ("C", "B", "party", 40_000),
        },
    ),
    (
        "SPC §18: a smaller loss is split by the payers' full limits (2,000 : 100), not by what is left",
        [P("A", 30), P("B", 70), P("C", 0)],
        [L("A", 42_000)],
        {("A", "B", "compulsory", 40_000), ("A", "C", "compulsory", 2_000)},
    ),
    (
        "SPC §19: one limit shared by its victims in proportion to their losses",
        [P("A", 100), P("B", 0), P("C", 0)],
        [L("B", 300_000), L("C", 100_000)],
        {
            ("B", "A", "compulsory", 150_000),
            ("C", "A", "compulsory", 50_000),
            ("B", "A", "party", 150_000),
            ("C", "A", "party", 50_000),
        },
    ),
    (
        "re-spread: C's shortfall at B goes to A, which has limit left; A's own shortfall has nowhere to go",
        [P("A", 50), P("B", 50), P("C", 0)],
        [L("A", 300_000), L("C", 300_000)],
        {
            ("C", "A", "compulsory", 200_000),
            ("C", "B", "compulsory", 100_000),
            ("A", "B", "compulsory", 100_000),
            ("A", "C", "compulsory", 10_000),
            ("A", "A", "self_borne", 95_000),
            ("A", "B", "party", 95_000),
        },
    ),
    (
        "industry rule: a no-fault vehicle pays nothing towards another no-fault vehicle",
        [P("A", 100), P("B", 0), P("C", 0)],
        [L("B", 50_000)],
        {("B", "A", "compulsory", 50_000)},
    ),
    (
        "the fen rule: one fen between equal limits goes to the earlier label",
        [P("B", 50), P("A", 50), P("C", 0)],
        [L("C", 1)],
        {("C", "A", "compulsory", 1)},
    ),
]


@pytest.mark.parametrize(
    ("name", "parties", "losses", "expected"), LIABILITY_CASES, ids=[c[0] for c in LIABILITY_CASES]
)
def test_liability_mode_pays_compulsory_first_then_the_rest_by_liability(
    name, parties, losses, expected
):
    cover = decide_cover(parties=parties, losses=losses, accident_day=DAY)
    assert cover.mode is Mode.LIABILITY
    assert flat(cover) == expected
    for loss in losses:
        assert cover.total_for(loss.label) == loss.amount_fen  # every fen of every loss is placed
    limits = {p.label: (200_000 if p.share_percent else 10_000) for p in parties}
    for payer, limit in limits.items():
        assert (
            sum(
                p.amount_fen
                for p in cover.payments
                if p.payer == payer and p.source in (Source.COMPULSORY, Source.COMPULSORY_UNINSURED)
            )
            <= limit
        )  # no payer beyond its limit


def test_insured_payers_pay_first_when_the_claimant_asks_and_the_uninsured_party_the_rest():
    """SPC §18 第三款: part of the vehicles uninsured, the claimant asks the insured ones to pay first."""
    parties = [P("A", 50, comp=False), P("B", 50), P("C", 0)]
    by_limits = decide_cover(parties=parties, losses=[L("C", 300_000)], accident_day=DAY)
    assert flat(by_limits) == {
        ("C", "A", "compulsory_uninsured", 150_000),
        ("C", "B", "compulsory", 150_000),
    }
    first = decide_cover(
        parties=parties, losses=[Loss("C", Fen(300_000), insured_first=True)], accident_day=DAY
    )
    assert flat(first) == {
        ("C", "B", "compulsory", 200_000),
        ("C", "A", "compulsory_uninsured", 100_000),
    }
    assert any("§18 第三款" in b for b in first.basis)


def test_when_no_party_is_liable_cover_is_not_computed_and_waits_for_a_person():
    cover = decide_cover(
        parties=[P("A", 0), P("B", 0)], losses=[L("A", 30_000), L("B", 5_000)], accident_day=DAY
    )
    assert cover.mode is Mode.MANUAL and cover.payments == ()
    assert "人工" in cover.basis[0]


def test_a_single_vehicle_gets_nothing_from_its_own_compulsory_insurance():
    cover = decide_cover(parties=[P("A", 100)], losses=[L("A", 80_000)], accident_day=DAY)
    assert cover.mode is Mode.SINGLE_VEHICLE
    assert flat(cover) == {("A", "A", "self_borne", 80_000)}


@pytest.mark.parametrize(
    ("total", "weights", "caps", "parts"),
    [
        (200_000, [150_000, 90_000], [150_000, 90_000], [125_000, 75_000]),
        (
            100,
            [1, 1],
            [10, 200],
            [10, 90],
        ),  # the capped one keeps its cap, the other takes the rest
        (100, [1, 1], [10, 20], [10, 20]),  # not enough room: everyone at its cap
    ],
)
def test_a_limit_shared_by_losses_never_gives_a_victim_more_than_its_cap(
    total, weights, caps, parts
):
    assert capped_split(total, weights, caps) == parts


@pytest.mark.parametrize(
    ("day", "version", "no_fault"),
    [
        (date(2007, 1, 1), "2006-07-01", 40_000),
        (date(2008, 2, 1), "2008-02-01", 10_000),
        (date(2020, 9, 18), "2008-02-01", 10_000),
        (date(2020, 9, 19), "2020-09-19", 10_000),
    ],
)
def test_the_limits_in_force_on_the_accident_day_apply(day, version, no_fault):
    limits = limits_on(day)
    assert (limits.version, limits.no_fault_fen, limits.at_fault_fen) == (
        version,
        no_fault,
        200_000,
    )


def test_an_older_no_fault_limit_changes_the_payment():
    cover = decide_cover(
        parties=[P("A", 100), P("B", 0)], losses=[L("A", 50_000)], accident_day=date(2007, 5, 1)
    )
    assert flat(cover) == {("A", "B", "compulsory", 40_000), ("A", "A", "self_borne", 10_000)}


@pytest.mark.parametrize(
    ("parties", "losses"),
    [
        ([P("A", 60), P("B", 60)], []),
        ([P("A", 100), P("A", 0)], []),
        ([P("A", 100), P("B", 0)], [L("Z", 1)]),
        ([P("A", 100), P("B", 0)], [L("A", -1)]),
    ],
)
def test_inconsistent_input_is_refused(parties, losses):
    with pytest.raises(ValueError):
        decide_cover(parties=parties, losses=losses, accident_day=DAY)


def test_no_limits_before_the_regulation():
    with pytest.raises(NoLimitsInForce):
        limits_on(date(2005, 1, 1))


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (7, [70, 30], [5, 2]),
        (0, [1, 2], [0, 0]),
        (5, [0, 0], [0, 0]),
    ],
)
def test_split_adds_up_exactly(total, weights, parts):
    assert split(total, weights) == parts

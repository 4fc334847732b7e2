"""Which insurers a claim opens lines for, what each owes, and how a duty stands (PRODUCT.md "Claims, lines
and duties"; 交强险条例 §21, §23, §28–§29; the 互碰自赔 rules; the no-fault industry rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from claims.lifecycle import Deadline, duty_state
from claims.lines import claim_status_of, owed_by, owes_nothing, planned_lines
from claims.model import PartyCover as P


def plans(parties: list[P], label: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(p.insurer_code, p.basis, p.payer_labels) for p in planned_lines(parties, label)]


THREE = [P("A", "PICC", 70), P("B", "CPIC", 30), P("C", "PINGAN", 0)]


def test_the_other_vehicles_insurers_could_owe_within_their_limits():
    # 交强险条例 §21, §23: every other vehicle's compulsory insurer pays third parties' property loss, the
    # at-fault ones within 2,000, the no-fault ones within 100
    assert plans(THREE, "A") == [("CPIC", "liability", ("B",)), ("PINGAN", "liability", ("C",))]
    assert plans(THREE, "C") == [("CPIC", "liability", ("B",)), ("PICC", "liability", ("A",))]


def test_a_no_fault_vehicle_never_pays_a_no_fault_one():
    # industry rule, not statute: with A fully liable, B and C (no fault) owe each other nothing
    parties = [P("A", "PICC", 100), P("B", "CPIC", 0), P("C", "PINGAN", 0)]
    assert plans(parties, "B") == [("PICC", "liability", ("A",))]
    assert plans(parties, "C") == [("PICC", "liability", ("A",))]


def test_when_every_party_opted_in_to_mutual_the_own_insurer_could_owe_too():
    parties = [P("A", "PICC", 50, opted_in_mutual=True), P("B", "CPIC", 50, opted_in_mutual=True)]
    assert plans(parties, "A") == [
        ("CPIC", "liability", ("B",)),
        ("PICC", "mutual_self_compensation", ("A",)),
    ]
    one_declines = [P("A", "PICC", 50, opted_in_mutual=True), P("B", "CPIC", 50)]
    assert plans(one_declines, "A") == [("CPIC", "liability", ("B",))]


def test_one_insurer_of_two_payers_has_one_line_for_both():
    parties = [P("A", "PICC", 60), P("B", "PICC", 40), P("C", "CPIC", 0)]
    assert plans(parties, "C") == [("PICC", "liability", ("A", "B"))]


def test_an_uninsured_payer_pays_as_a_party_and_has_no_line():
    # 最高法交通事故解释(2020) §16: the owner of a vehicle without compulsory insurance pays within the limit
    parties = [P("A", None, 100, has_compulsory=False), P("B", "CPIC", 0)]
    assert plans(parties, "B") == []


def test_when_nobody_is_liable_every_other_insurer_keeps_a_line_for_the_manual_decision():
    parties = [P("A", "PICC", 0), P("B", "CPIC", 0)]
    assert plans(parties, "A") == [("CPIC", "liability", ("B",))]
    assert (
        owed_by({"mode": "manual_decision", "payments": []}, "CPIC") is None
    )  # never closed as not owing


def test_a_single_vehicle_claim_has_no_line():
    # 交强险条例 §3, §21: one's own vehicle is no third party
    assert planned_lines([P("A", "PICC", 100, opted_in_mutual=True)], "A") == []


COVER = {
    "mode": "liability",
    "payments": [
        {
            "payee": "A",
            "payer": "B",
            "insurer_code": "CPIC",
            "source": "compulsory",
            "amount_fen": 100_000,
        },
        {
            "payee": "A",
            "payer": "C",
            "insurer_code": "PINGAN",
            "source": "compulsory",
            "amount_fen": 0,
        },
        {
            "payee": "A",
            "payer": "B",
            "insurer_code": "CPIC",
            "source": "party",
            "amount_fen": 5_000,
        },
        {
            "payee": "A",
            "payer": "A",
            "insurer_code": None,
            "source": "self_borne",
            "amount_fen": 7_000,
        },
    ],
}


def test_a_line_owes_only_its_insurers_payments():
    assert owed_by(COVER, "CPIC") == 100_000  # what the party pays itself is no insurer's
    assert owes_nothing(COVER, "PINGAN") and not owes_nothing(COVER, "CPIC")
    assert owed_by(None, "CPIC") is None and not owes_nothing(
        None, "CPIC"
    )  # not decided: nothing closes


def test_the_claim_status_sums_up_its_lines():
    assert claim_status_of(["opened", "not_owing"]) == "opened"
    assert claim_status_of(["closed", "not_owing"]) == "closed"
    assert claim_status_of(["withdrawn", "withdrawn"]) == "withdrawn"
    assert claim_status_of([]) == "opened"


DUE = datetime(2026, 11, 4, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("met", "now", "ended", "state"),
    [
        (None, DUE - timedelta(hours=1), None, "open"),
        (None, DUE + timedelta(seconds=1), None, "overdue"),
        (DUE - timedelta(hours=3), DUE + timedelta(days=9), None, "met"),
        (
            DUE + timedelta(hours=3),
            DUE + timedelta(days=9),
            None,
            "met_late",
        ),  # stays visible as met late
        (
            None,
            DUE + timedelta(days=9),
            DUE + timedelta(days=1),
            "breached",
        ),  # line closed after the due time
        (
            None,
            DUE + timedelta(days=9),
            DUE - timedelta(hours=1),
            "ended",
        ),  # closed before: the duty ended
    ],
)
def test_how_a_duty_stands(met, now, ended, state):
    d = Deadline("documents_listed", DUE, met, "交强险条例 §28")
    assert duty_state(d, now=now, ended_at=ended) == state

"""The court simulator refuses a claim_status update it could not file: an unknown status, or a claimant's
disagreement without its reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from court_bridge.simulator import claim_status_problem
from schemas.court import CaseUpdate


def update(type_: str, **data: object) -> CaseUpdate:
    return CaseUpdate(
        sequence=1, type=type_, occurred_at=datetime(2026, 12, 1, tzinfo=UTC), data=data
    )


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (update("claim_status", status="paid"), None),
        (update("claim_status", status="disputed", reason="金额不足以修车"), None),
        (
            update("claim_status", status="disputed"),
            "a disputed claim_status update carries the claimant's reason",
        ),
        (update("claim_status", status="exploded"), "unknown claim status 'exploded'"),
        (update("assessment", total_fen=100), None),
    ],
)
def test_claim_status_updates_name_a_known_status_and_a_dispute_its_reason(given, problem):
    assert claim_status_problem(given) == problem

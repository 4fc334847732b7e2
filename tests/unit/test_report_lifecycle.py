"""The report lifecycle is one table: every status has its moves, the court's stages only go forward, and any
other move is refused with a 409 worded in both languages."""

from __future__ import annotations

import itertools

import pytest

from accident.errors import IllegalTransition
from accident.model import NEXT, Status, transition


def test_every_status_has_its_moves_and_moves_only_to_statuses():
    assert set(NEXT) == set(Status)
    assert all(isinstance(after, Status) for moves in NEXT.values() for after in moves)


def test_the_roadside_flow_is_allowed_step_by_step():
    path = [
        Status.DRAFT,
        Status.AWAITING_PARTIES,
        Status.FACTS_COMPLETE,
        Status.PROPOSED,
        Status.IN_REVIEW,
        Status.DETERMINED,
        Status.COURT_REQUESTED,
        Status.COURT_ACCEPTED,
        Status.COURT_JUDGED,
        Status.COURT_PAYOUT_ORDERED,
    ]
    for before, after in itertools.pairwise(path):
        assert transition(before, after) is after


def test_the_court_stages_never_go_back_and_a_finished_court_case_cannot_be_withdrawn():
    with pytest.raises(IllegalTransition):
        transition(Status.COURT_JUDGED, Status.COURT_ACCEPTED)
    assert transition(Status.COURT_MEDIATION, Status.COURT_WITHDRAWN) is Status.COURT_WITHDRAWN
    with pytest.raises(IllegalTransition):
        transition(Status.COURT_PAYOUT_ORDERED, Status.COURT_WITHDRAWN)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Status.AGREED, Status.IN_REVIEW),
        (Status.DRAFT, Status.AGREED),
        (Status.REFERRED_TO_122, Status.FACTS_COMPLETE),
    ],
)
def test_any_other_move_is_refused_in_both_languages(before, after):
    with pytest.raises(IllegalTransition) as refused:
        transition(before, after)
    assert "不能变为" in refused.value.detail_zh and after.value in refused.value.detail_en

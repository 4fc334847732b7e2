"""The claim lifecycle and the §28–§29 deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from claims.lifecycle import ClaimStatus, IllegalClaimTransition, Moments, deadlines, ensure_transition, overdue

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
S = ClaimStatus


@pytest.mark.parametrize(("current", "wanted"), [
    (S.OPENED, S.DOCUMENTS_REQUESTED), (S.DOCUMENTS_REQUESTED, S.DOCUMENTS_COMPLETE), (S.DOCUMENTS_COMPLETE, S.DECIDED),
    (S.DECIDED, S.PAYOUT_AGREED), (S.DECIDED, S.CLOSED), (S.PAYOUT_AGREED, S.PAID), (S.PAID, S.CLOSED),
    (S.OPENED, S.WITHDRAWN), (S.PAYOUT_AGREED, S.WITHDRAWN),
])
def test_the_lifecycle_allows_each_next_step(current, wanted):
    ensure_transition(current, wanted)


@pytest.mark.parametrize(("current", "wanted"), [
    (S.OPENED, S.DECIDED), (S.DOCUMENTS_REQUESTED, S.PAID), (S.CLOSED, S.WITHDRAWN), (S.WITHDRAWN, S.OPENED),
    (S.PAID, S.WITHDRAWN), (S.DECIDED, S.DOCUMENTS_REQUESTED),
])
def test_the_lifecycle_refuses_skipped_or_backward_steps(current, wanted):
    with pytest.raises(IllegalClaimTransition):
        ensure_transition(current, wanted)


@pytest.mark.parametrize(("moments", "status", "now", "late"), [
    (Moments(T0), S.OPENED, T0 + timedelta(hours=23), []),
    (Moments(T0), S.OPENED, T0 + timedelta(days=1, seconds=1), ["documents_listed"]),
    (Moments(T0, T0 + timedelta(hours=30)), S.DOCUMENTS_REQUESTED, T0 + timedelta(days=9), []),
    (Moments(T0, T0, T0 + timedelta(days=2)), S.DOCUMENTS_COMPLETE, T0 + timedelta(days=7), []),
    (Moments(T0, T0, T0 + timedelta(days=2)), S.DOCUMENTS_COMPLETE, T0 + timedelta(days=7, seconds=1), ["decision"]),
    (Moments(T0, T0, T0, T0, T0), S.PAYOUT_AGREED, T0 + timedelta(days=10, seconds=1), ["payment"]),
    (Moments(T0, T0, T0, T0, T0, T0 + timedelta(days=3)), S.PAID, T0 + timedelta(days=30), []),
    (Moments(T0), S.WITHDRAWN, T0 + timedelta(days=30), []),
])
def test_a_duty_is_overdue_only_while_open_past_its_due_time(moments, status, now, late):
    assert [d.duty for d in overdue(moments, status=status, now=now)] == late


def test_due_times_follow_the_statute():
    m = Moments(T0, T0 + timedelta(hours=2), T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=3))
    assert [(d.duty, d.due_at - T0, d.basis) for d in deadlines(m)] == [
        ("documents_listed", timedelta(days=1), "交强险条例 §28"),
        ("decision", timedelta(days=6), "交强险条例 §29"),
        ("payment", timedelta(days=13), "交强险条例 §29"),
    ]

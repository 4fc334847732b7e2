"""The claim lifecycle and the §28–§29 deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from claims.calendar import BEIJING, HolidayCalendar, HolidayYear, library_years
from claims.lifecycle import (
    ClaimStatus,
    IllegalClaimTransition,
    Moments,
    deadlines,
    ensure_transition,
    overdue,
)

S = ClaimStatus


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.OPENED, S.DOCUMENTS_REQUESTED),
        (S.DOCUMENTS_REQUESTED, S.DOCUMENTS_COMPLETE),
        (S.DOCUMENTS_COMPLETE, S.DECIDED),
        (S.DECIDED, S.PAYOUT_AGREED),
        (S.DECIDED, S.CLOSED),
        (S.PAYOUT_AGREED, S.PAID),
        (S.PAID, S.CLOSED),
        (S.OPENED, S.WITHDRAWN),
        (S.PAYOUT_AGREED, S.WITHDRAWN),
    ],
)
def test_the_lifecycle_allows_each_next_step(current, wanted):
    ensure_transition(current, wanted)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.OPENED, S.DECIDED),
        (S.DOCUMENTS_REQUESTED, S.PAID),
        (S.CLOSED, S.WITHDRAWN),
        (S.WITHDRAWN, S.OPENED),
        (S.PAID, S.WITHDRAWN),
        (S.DECIDED, S.DOCUMENTS_REQUESTED),
    ],
)
def test_the_lifecycle_refuses_skipped_or_backward_steps(current, wanted):
    with pytest.raises(IllegalClaimTransition):
        ensure_transition(current, wanted)


def bj(*args: int) -> datetime:
    """A Beijing time."""
    return datetime(*args, tzinfo=BEIJING)


CAL = HolidayCalendar([y for y in library_years() if y.year <= 2026])  # as published: 2027 not yet
T0 = bj(2026, 11, 2, 17, 0)  # a Monday


@pytest.mark.parametrize(
    ("moments", "status", "now", "late"),
    [
        (
            Moments(T0),
            S.OPENED,
            bj(2026, 11, 3, 23, 59, 59),
            [],
        ),  # §28's day runs to 24:00 of the next day
        (Moments(T0), S.OPENED, bj(2026, 11, 4, 0, 0, 1), ["documents_listed"]),
        (
            Moments(T0, T0 + timedelta(hours=30)),
            S.DOCUMENTS_REQUESTED,
            T0 + timedelta(days=9),
            [],
        ),  # met late: not open
        (Moments(T0, T0, bj(2026, 11, 4, 9)), S.DOCUMENTS_COMPLETE, bj(2026, 11, 9, 23, 59), []),
        (
            Moments(T0, T0, bj(2026, 11, 4, 9)),
            S.DOCUMENTS_COMPLETE,
            bj(2026, 11, 10, 0, 0, 1),
            ["decision"],
        ),
        (Moments(T0, T0, T0, T0, T0), S.PAYOUT_AGREED, bj(2026, 11, 13, 0, 0, 1), ["payment"]),
        (Moments(T0, T0, T0, T0, T0, T0 + timedelta(days=3)), S.PAID, T0 + timedelta(days=30), []),
        (Moments(T0), S.WITHDRAWN, T0 + timedelta(days=30), []),
    ],
)
def test_a_duty_is_overdue_only_while_open_past_its_due_time(moments, status, now, late):
    assert [d.duty for d in overdue(moments, status=status, now=now, calendar=CAL)] == late


@pytest.mark.parametrize(
    ("event", "days", "due"),
    [
        (
            bj(2026, 11, 2, 17, 0),
            1,
            bj(2026, 11, 4),
        ),  # the event's own day does not count (民法典 §201)
        (bj(2026, 11, 2, 23, 59), 1, bj(2026, 11, 4)),
        (
            datetime(2026, 11, 2, 16, 30, tzinfo=UTC),
            1,
            bj(2026, 11, 5),
        ),  # 00:30 on the 3rd in Beijing
        (
            bj(2026, 11, 6, 10, 0),
            1,
            bj(2026, 11, 10),
        ),  # last day a Saturday: Monday is the last day (§203)
        (
            bj(2026, 9, 30, 15, 0),
            1,
            bj(2026, 10, 9),
        ),  # last day 1 October: after the National Day holiday
        (
            bj(2026, 9, 29, 9, 0),
            5,
            bj(2026, 10, 9),
        ),  # 4 October, mid-holiday: the 8th is the last day
        (
            bj(2026, 10, 5, 12, 0),
            5,
            bj(2026, 10, 11),
        ),  # 10 October is a Saturday worked (调休): it counts
        (bj(2026, 9, 16, 12, 0), 4, bj(2026, 9, 21)),  # Sunday 20 September is worked too
    ],
)
def test_days_are_counted_as_the_civil_code_says_across_holidays_and_make_up_days(event, days, due):
    result = CAL.due(event, days)
    assert result.at == due and not result.provisional


def test_a_deadline_in_a_year_without_holiday_data_is_provisional_until_the_year_is_loaded():
    event = bj(2026, 12, 30, 10, 0)
    weekends_only = CAL.due(event, 3)  # 2 January 2027, a Saturday: Monday 4 January, weekends only
    assert weekends_only.provisional and weekends_only.at == bj(2027, 1, 5)
    year_2027 = HolidayYear(
        2027,
        frozenset({date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 1, 4)}),
        frozenset(),
        "a notice",
    )
    loaded = HolidayCalendar([*CAL.years.values(), year_2027])
    final = loaded.due(event, 3)
    assert not final.provisional and final.at == bj(2027, 1, 6)
    assert not CAL.due(bj(2026, 12, 1, 10), 3).provisional  # within 2026: final


def test_due_times_follow_the_statute():
    m = Moments(
        T0,
        T0 + timedelta(hours=2),
        T0 + timedelta(days=1),
        T0 + timedelta(days=2),
        T0 + timedelta(days=3),
    )
    assert [(d.duty, d.due_at, d.basis) for d in deadlines(m, CAL)] == [
        ("documents_listed", bj(2026, 11, 4), "交强险条例 §28; 民法典 §201, §203"),
        (
            "decision",
            bj(2026, 11, 10),
            "交强险条例 §29; 民法典 §201, §203",
        ),  # last day Sunday 8th → Monday 9th
        (
            "payment",
            bj(2026, 11, 17),
            "交强险条例 §29; 民法典 §201, §203",
        ),  # Sunday 15th → Monday 16th
    ]

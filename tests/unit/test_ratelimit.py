"""When a full sliding window has room again, and how a 429 says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel.ratelimit import Window, limited, retry_after

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR = Window("things-per-hour", 3, 3600, "每小时最多3次", "at most 3 an hour")


def ago(*seconds: int) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize(
    ("hits", "wait"),
    [
        ([], None),
        (ago(10, 20), None),  # room for a third
        (ago(4000, 10, 20), None),  # the oldest left the window
        (ago(3000, 10, 20), 600.0),  # full: room when the oldest leaves
        (
            ago(3000, 2000, 10, 20),
            1600.0,
        ),  # over-full (the limit was lowered): the two oldest must leave
    ],
)
def test_a_full_window_has_room_again_when_enough_of_its_oldest_hits_have_left(hits, wait):
    assert retry_after(hits, HOUR, NOW) == wait


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (42, "42秒", "42 s"),
        (61, "2分钟", "2 min"),
        (3600, "1小时", "1 h"),
        (5400, "1小时30分钟", "1 h 30 min"),
    ],
)
def test_a_refusal_names_the_limit_and_says_when_to_retry_in_both_languages(seconds, zh, en):
    error = limited(HOUR, seconds)
    assert error.detail_zh == f"每小时最多3次，请{zh}后再试"
    assert error.detail_en == f"at most 3 an hour; try again in {en}"
    assert error.extra == {
        "retry_after_s": seconds,
        "limit": {"name": "things-per-hour", "max": 3, "window_s": 3600},
    }

"""Periods in days as the law counts them, over a dated holiday calendar. PURE.

民法典 §201: a period in days starts the day after the event. §203: its last day ends at 24:00; a last day
that is a statutory rest day (法定休假日: weekends and public holidays, the official make-up working days
(调休) counting as working days) moves to the first working day after. Days are Beijing days (UTC+8, no
daylight saving since 1991).

The calendar is data with its source: the State Council's yearly 节假日安排 notice, as published by the
`chinesecalendar` package for the years it carries, or loaded by an operator from a file for a year it
lacks (`kuaichu calendar load`). A deadline that needs a year the calendar lacks is **provisional**: counted
with weekends only, and recomputed once that year is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class HolidayYear:
    """One year of the State Council's arrangement: public holidays (rest days, weekends within them
    included) and make-up working days (调休: weekend days worked)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str  # the notice (title, number, date) or the package that publishes it


@dataclass(frozen=True, slots=True)
class Due:
    """When a period ends (24:00 Beijing time of its last day), and whether it rests on a missing year."""

    at: datetime
    last_day: date
    provisional: bool


class HolidayCalendar:
    """Rest days and working days for the years it has data for."""

    def __init__(self, years: Iterable[HolidayYear]) -> None:
        self.years: dict[int, HolidayYear] = {y.year: y for y in years}

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_rest_day(self, day: date) -> bool:
        """A public holiday, or a weekend day that is not a make-up working day; weekends only for a year
        the calendar lacks."""
        known = self.years.get(day.year)
        if known is None:
            return day.weekday() >= 5
        return day in known.holidays or (day.weekday() >= 5 and day not in known.workdays)

    def due(self, event_at: datetime, days: int) -> Due:
        """The end of a period of `days` days after `event_at` (民法典 §201, §203)."""
        if event_at.tzinfo is None:
            raise ValueError("event_at must carry a time zone")
        last = event_at.astimezone(BEIJING).date() + timedelta(days=days)
        provisional = not self.knows(last.year)
        while self.is_rest_day(last):
            last += timedelta(days=1)
            provisional = provisional or not self.knows(last.year)
        return Due(datetime.combine(last + timedelta(days=1), time(0), BEIJING), last, provisional)


@cache
def library_years() -> tuple[HolidayYear, ...]:
    """Every year the `chinesecalendar` package publishes (it refuses the others)."""
    from chinese_calendar import constants

    source = "chinesecalendar (国务院办公厅节假日安排通知)"
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return tuple(
        HolidayYear(
            y,
            frozenset(d for d in constants.holidays if d.year == y),
            frozenset(d for d in constants.workdays if d.year == y),
            source,
        )
        for y in sorted(years)
    )


def calendar_with(loaded: Iterable[HolidayYear]) -> HolidayCalendar:
    """The package's years, plus the years operators loaded that it lacks."""
    years = {y.year: y for y in library_years()}
    for y in loaded:
        years.setdefault(y.year, y)
    return HolidayCalendar(years.values())


def year_from_rows(row: Mapping) -> HolidayYear:
    return HolidayYear(
        row["year"],
        frozenset(row["holidays"]),
        frozenset(row["workdays"]),
        f"{row['source_title']}（{row['source_number']}，{row['source_date'].isoformat()}）",
    )

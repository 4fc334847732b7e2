"""The file an operator transcribes from the State Council's yearly holiday notice (节假日安排通知)."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from schemas.base import Out, Strict
from schemas.messages import field_error


class NoticeSource(Strict):
    title: str = Field(
        min_length=4, max_length=200, examples=["国务院办公厅关于2027年部分节假日安排的通知"]
    )
    number: str = Field(min_length=2, max_length=100, examples=["国办发明电〔2026〕7号"])
    date: date


class HolidayYearFile(Strict):
    """One year: every public-holiday rest day (weekend days inside a holiday included) and every make-up
    working day (调休: a weekend day worked)."""

    year: int = Field(ge=2000, le=2200)
    source: NoticeSource
    holidays: list[date] = Field(min_length=1, max_length=60)
    workdays: list[date] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> HolidayYearFile:
        outside = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if outside:
            raise field_error(
                "calendar_year",
                f"日期 {outside[0]} 不在 {self.year} 年内",
                f"The date {outside[0]} is not in {self.year}",
            )
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise field_error(
                "calendar_overlap",
                f"{min(both)} 不能既是假日又是调休工作日",
                f"{min(both)} cannot be both a holiday and a make-up working day",
            )
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            raise field_error(
                "calendar_workday",
                f"调休工作日 {weekdays[0]} 应为周六或周日",
                f"The make-up working day {weekdays[0]} must be a Saturday or Sunday",
            )
        return self


class CalendarYearRead(Out):
    year: int
    holidays: int
    workdays: int
    source: str


class ProvisionalDeadline(Out):
    claim_id: str
    line_id: str | None = None
    insurer_code: str
    duty: str
    due_at: str
    basis: str


class CalendarState(Out):
    """The years with holiday data, and the open duties counted without it (暂定 / provisional)."""

    years: list[CalendarYearRead]
    provisional_deadlines: list[ProvisionalDeadline]

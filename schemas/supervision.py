"""Supervision aggregates per county (read-only): the query and the table behind each picture."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from schemas.base import Out, Strict
from schemas.messages import field_error

MAX_PERIOD_DAYS = 366


class SupervisionQuery(Strict):
    since: date | None = Field(
        None, description="First Beijing day of the period (default: 29 days before until)"
    )
    until: date | None = Field(
        None, description="Last Beijing day of the period (default: today, Beijing)"
    )
    format: Literal["json", "csv"] | None = Field(
        None,
        description="csv: the same table as a download (UTF-8 with BOM); also chosen by Accept: text/csv",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SupervisionQuery:
        if self.since and self.until:
            if self.since > self.until:
                raise field_error(
                    "period_order", "开始日期不能晚于结束日期", "since must not be after until"
                )
            if (self.until - self.since).days >= MAX_PERIOD_DAYS:
                raise field_error(
                    "period_too_long",
                    f"统计期间最长 {MAX_PERIOD_DAYS} 天",
                    f"The period is at most {MAX_PERIOD_DAYS} days",
                )
        return self


class AgreementTime(Out):
    count: int = Field(description="Reports agreed (signed by every party)")
    p50_min: float | None = Field(
        description="Median minutes from report to agreement (nearest rank)"
    )
    p90_min: float | None
    max_min: float | None
    buckets: dict[str, int] = Field(
        description="Agreed reports by minutes to agreement: lt_15m, 15_30m, 30_60m, "
        "1_2h, 2_6h, 6_24h, ge_24h"
    )


class CountyRow(Out):
    zone_id: str
    zone_name: str
    kind: Literal["urban", "rural"]
    cases: int = Field(
        description="Reports created in the period (drafts excluded): the cohort of every column"
    )
    sla_breaches: int = Field(
        description="Reports with any deadline breached (review, assessment or inquiry)"
    )
    review_breaches: int = Field(description="Reports whose police review ran past its due time")
    assessment_breaches: int = Field(
        description="Reports with an assessment task escalated (missed offer or ETA)"
    )
    inquiry_breaches: int = Field(
        description="Reports with an inquiry or complaint answered late or not yet"
    )
    agreed: int
    agreement_time: AgreementTime
    disputes: int = Field(
        description="Reports where a party disputed the proposal or the determination"
    )
    court_deliveries: int = Field(
        description="Reports whose dispute package the court platform accepted"
    )
    complaints_assessor: int = Field(description="Complaints about the case's assessor")
    complaints_insurer: int = Field(description="Complaints about the case's insurer")


class Totals(Out):
    cases: int
    sla_breaches: int
    review_breaches: int
    assessment_breaches: int
    inquiry_breaches: int
    agreed: int
    agreement_time: AgreementTime
    disputes: int
    court_deliveries: int
    complaints_assessor: int
    complaints_insurer: int


class Period(Out):
    since: date
    until: date
    timezone: Literal["Asia/Shanghai"]


class CountyAggregates(Out):
    period: Period
    scope: Literal["all", "jurisdiction"]
    counties: list[CountyRow] = Field(
        description="Every county in scope, those with no case included"
    )
    totals: Totals

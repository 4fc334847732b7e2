"""The police reviewer's case file and the articles a determination may cite."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from schemas.base import Out
from schemas.fault_flow import FaultStateRead
from schemas.reports import AuditEventRead, PartyRead, PhotoRead, ReportRead


class ReviewState(Out):
    opened_at: datetime
    closed_at: datetime | None
    source: Literal["engine", "dispute"]
    reasons: list[dict[str, Any]]
    due_at: datetime = Field(
        description="opened_at + KUAICHU_POLICE_REVIEW_SLA_S (程序规定 §24: three days)"
    )
    breached: bool = Field(description="Open past its due time, or closed after it")


class CaseSide(Out):
    party: str
    details: PartyRead
    account: dict[str, Any] | None = Field(
        description="This party's own account, as in the fault flow"
    )
    proposal_response: dict[str, Any] | None
    determination_response: dict[str, Any] | None


class PhotoAgainstReport(Out):
    taken_after_report_s: float | None = Field(
        description="EXIF capture time minus the reported time of the accident, in seconds (None: no EXIF time)"
    )
    distance_from_report_m: float | None = Field(
        description="Metres between the EXIF GPS position and the reported location (None: no EXIF position)"
    )


class PhotoLinks(Out):
    original: str
    preview: str
    thumbnail: str


class CasePhoto(PhotoRead):
    links: PhotoLinks
    against_report: PhotoAgainstReport


class ScenarioRef(Out):
    template_set: str
    version: str
    code: str
    title_zh: str
    title_en: str


class CitableArticle(Out):
    article: str = Field(
        description="As a determination's `articles` takes it, e.g. 道路交通安全法第四十三条"
    )
    title_zh: str | None
    title_en: str | None
    scenarios: list[ScenarioRef] = Field(description="Template rows citing it")


class ArticleList(Out):
    articles: list[CitableArticle]


class LiabilityOption(Out):
    liability: Literal["full", "major", "equal", "minor", "none"]
    share_percent: int


class CaseFile(Out):
    report: ReportRead
    review: ReviewState | None = Field(description="The latest police review of the report, if any")
    sides: list[CaseSide] = Field(
        description="Each party with its own account, side by side (A, B, ...)"
    )
    photos: list[CasePhoto]
    proposal: dict[str, Any] | None = Field(
        description="The current proposal: template set, facts, result and why"
    )
    fault: FaultStateRead
    history: list[AuditEventRead]
    articles: list[CitableArticle]
    liability_options: list[LiabilityOption] = Field(
        description="The categories a determination gives each party (程序规定 §60), shares adding up to 100"
    )

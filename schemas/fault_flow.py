"""The fault flow of a report: accounts, proposal responses, signatures, police determinations, court requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, StrictBool, model_validator

from schemas.base import Out, Strict
from schemas.common import MultilineText, Text
from schemas.fault import Direction, FaultContext, Flag, Impact, Movement, Priority, Signal
from schemas.messages import field_error

Response = Literal["accept", "dispute"]
PoliceLiability = Literal["full", "major", "equal", "minor", "none"]


def _reason() -> Any:
    return Field(None, min_length=1, max_length=2000, description="required when disputing")


class AccountCreate(Strict):
    """This party's own account (FAULT_RULES.md §2): its view of the context and its own facts only."""

    context: FaultContext
    movement: Movement
    impact: Impact | None = None
    signal: Signal | None = None
    priority: Priority | None = None
    other_from: Direction | None = None
    flags: list[Flag] = Field(default_factory=list, max_length=12)
    declared_scenarios: list[Text] = Field(default_factory=list, max_length=40)


class ProposalResponseCreate(Strict):
    proposal_version: int = Field(ge=1, description="the version this party saw; a stale one → 409")
    response: Response
    reason: MultilineText | None = _reason()


class SignatureCreate(Strict):
    proposal_version: int = Field(ge=1)
    code: str = Field(
        pattern=r"^\d{6}$", description="the one-time code texted to this party's phone"
    )
    mutual_self_compensation: StrictBool = Field(description="opt in to 交强险互碰自赔")
    signature_png_base64: str | None = Field(
        None, max_length=700_000, description="a drawn signature (PNG)"
    )


class ShareIn(Strict):
    party: Text = Field(min_length=1, max_length=2, description="party label, e.g. A")
    liability: PoliceLiability


class DeterminationCreate(Strict):
    """A police determination (认定): per-party liability (major/minor = 70/30), a reason and the articles."""

    shares: list[ShareIn] = Field(min_length=1, max_length=10)
    reason: MultilineText = Field(min_length=1, max_length=4000)
    articles: list[Text] = Field(
        min_length=1, max_length=20, description="e.g. 道路交通安全法第四十三条"
    )


class DeterminationResponseCreate(Strict):
    determination_version: int = Field(ge=1)
    response: Response
    reason: MultilineText | None = _reason()
    mutual_self_compensation: StrictBool = Field(
        False,
        description="opt in to 交强险互碰自赔 when accepting (every party must, and every condition hold)",
    )

    @model_validator(mode="after")
    def _opt_in_only_when_accepting(self) -> DeterminationResponseCreate:
        if self.mutual_self_compensation and self.response != "accept":
            raise field_error(
                "opt_in_needs_accept",
                "只有接受责任认定时才能选择互碰自赔",
                "Opting in to 互碰自赔 goes with accepting the determination",
            )
        return self


class CourtRequestCreate(Strict):
    reason: MultilineText = Field(min_length=1, max_length=2000)


class CourtWithdrawalCreate(Strict):
    reason: MultilineText = Field(min_length=1, max_length=2000)


class Bilingual(Out):
    zh: str
    en: str


class CodeSent(Out):
    challenge_id: str
    expires_at: datetime
    phone_masked: str


class FaultStateRead(Out):
    report_id: str
    status: str
    accounts: list[dict[str, Any]]
    missing_accounts: list[str]
    proposal: dict[str, Any] | None
    responses: list[dict[str, Any]]
    signatures: list[dict[str, Any]]
    agreement: dict[str, Any] | None
    determination: dict[str, Any] | None
    determination_responses: list[dict[str, Any]]
    court_request: dict[str, Any] | None
    message: Bilingual | None = None


class ReviewItem(Out):
    report_id: str
    opened_at: datetime
    source: Literal["engine", "dispute"]
    reasons: list[dict[str, Any]]
    zone: str
    vehicle_count: int
    due_at: datetime = Field(
        description="When the determination is due (KUAICHU_POLICE_REVIEW_SLA_S after the "
        "review opened; 程序规定 §24: three days)"
    )
    breached: bool = Field(description="The due time has passed")


class ReviewQueue(Out):
    reviews: list[ReviewItem]

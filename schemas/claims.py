"""Insurer callback bodies (idempotent by the insurer's own `reference`) and claim views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, Field, StrictBool, StrictInt, model_validator

from schemas.base import Out, Strict
from schemas.common import MultilineText, Text
from schemas.messages import field_error
from schemas.webhooks import PhotoLink

Fen = Annotated[StrictInt, Field(ge=0, le=10**12, description="integer fen (分), never a float")]
Reference = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.:\-/]+$",
                                 description="the insurer's own reference: a repeat with it is idempotent")]


class AssessmentItem(Strict):
    part: Text = Field(min_length=1, max_length=100)
    operation: Literal["repair", "replace", "paint", "adjust", "other"]
    amount_fen: Fen


class PhotoRef(Strict):
    """A photo of the assessment: the SHA-256 of a photo we hold, or a URL on the insurer's side."""

    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    url: AnyHttpUrl | None = None

    @model_validator(mode="after")
    def _one(self) -> PhotoRef:
        if (self.sha256 is None) == (self.url is None):
            raise field_error("photo_ref", "请只填写 sha256 或 url 其中之一", "Give exactly one of sha256 or url")
        return self


class AssessmentCreate(Strict):
    """定损: the damaged vehicle's items, their total, and what the insured's policy holds."""

    reference: Reference
    items: list[AssessmentItem] = Field(min_length=1, max_length=200)
    total_fen: Fen
    vehicle_only: StrictBool = True  # false when property off the vehicles was damaged too
    # The insured's policy includes 商业三者险: recorded for the insurer's own use; commercial insurance is
    # outside kuaichu's cover decisions.
    commercial_third_party: StrictBool = False
    photos: list[PhotoRef] = Field(default_factory=list, max_length=50)


class DocumentsUpdate(Strict):
    reference: Reference
    stage: Literal["requested", "complete"]  # §28 list sent to the claimant / everything received
    items: list[Text] = Field(default_factory=list, max_length=50)


class DecisionCreate(Strict):
    reference: Reference
    covered: StrictBool
    reason: MultilineText | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _reason(self) -> DecisionCreate:
        if not self.covered and not (self.reason or "").strip():
            raise field_error("refusal_reason", "拒赔须书面说明理由（交强险条例第二十九条），请填写 reason",
                              "A refusal states its reason in writing (交强险条例 §29): fill in reason")
        return self


class PayoutAgreementCreate(Strict):
    """The amount agreed with the claimant; agreeing again before payment revises it. Above the cover
    kuaichu computed it needs a reason, and is flagged for review (so is one made before any cover is computed)."""

    reference: Reference
    amount_fen: Fen
    reason: str | None = Field(None, min_length=1, max_length=2000)


class PaymentCreate(Strict):
    reference: Reference
    amount_fen: Fen
    paid_at: AwareDatetime | None = None


class WithdrawalCreate(Strict):
    reference: Reference
    reason: MultilineText = Field(min_length=1, max_length=2000)


class DeadlineRead(Out):
    duty: str
    due_at: datetime
    met_at: datetime | None
    overdue: bool
    basis: str
    provisional: bool = Field(
        False, description="Counted without the holiday calendar of its year (weekends only): recomputed when "
                           "that year's State Council notice is loaded; shown as 暂定 / provisional")
    zh: str = Field(description="the duty and its due time in Beijing time, e.g. 2026年12月8日 17:30")
    en: str


class ClaimRead(Out):
    id: str
    report_id: str
    label: str
    insurer_code: str
    status: str
    applied_at: datetime
    documents: list[str]
    decision: dict | None
    payout_fen: int | None
    paid_fen: int | None
    assessed_fen: int | None
    assessment_revision: int | None
    cover: dict | None
    cover_revision: int
    deadlines: list[DeadlineRead]
    overdue: bool
    payout_revision: int = Field(0, description="How many times the payout agreement was made or revised")
    payout_reason: str | None = Field(None, description="Why the payout is above the computed cover")
    flags: list[dict] = Field(default_factory=list, description=(
        "Signals for review, never refusals: payout_above_cover, payout_before_cover, "
        "payment_differs_from_agreement"))


class DisagreementCreate(Strict):
    """A claimant disagrees with the insurer's decision on their claim."""

    reason: str = Field(min_length=2, max_length=2000)


class Remedies(Out):
    zh: str
    en: str


class DisagreementRecorded(Out):
    id: str
    claim_id: str
    recorded_at: datetime
    remedies: Remedies = Field(description="The legal remedies this record does not replace, in plain words")


class ClaimWithPhotos(ClaimRead):
    photos: list[PhotoLink] = Field(description="Links to the report's photos signed for this insurer at this read")


class ClaimList(Out):
    claims: list[ClaimRead]


class OverdueQuery(Strict):
    insurer: Text | None = Field(None, max_length=32)
    limit: int = Field(200, ge=1, le=1000)


class ListQuery(Strict):
    limit: int = Field(200, ge=1, le=1000)

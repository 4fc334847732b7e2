"""Insurer webhook events (Standard Webhooks 1.0 envelope), versioned by `data.schema_version`.

Thin on purpose: ids, amounts in fen, liability, and signed expiring photo links; an insurer fetches
anything more through the API. A new field is additive; a changed meaning is a new schema_version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1


class _OpenEvent(_Event):
    """Events whose data another team composes: the named fields are checked, further ones kept."""

    model_config = ConfigDict(extra="allow", frozen=True)


class PhotoLink(BaseModel):
    """A link to an original photo, signed for the one insurer it was sent to.

    A webhook's body never changes between delivery attempts, so its links are the ones signed when the event was
    queued. They outlast the retry schedule by at least 7 days; a receiver whose links expired gets fresh ones by
    reading the claim (`GET /v1/insurer/claims/{id}`) or the assessment task again. Every use is checked: 403
    problem+json once a party withdrew its sharing consent or the insurer no longer has a claim or task on the
    report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    photo_id: str
    kind: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str = Field(
        description="signed for this recipient; valid until expires_at and while it still has a claim, "
        "task or case on the report and every party consents to sharing"
    )
    expires_at: AwareDatetime


class LiabilityShare(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    party_id: str
    share_percent: int = Field(ge=0, le=100)
    liability: str  # full | major | equal | minor | none
    insurer_code: str | None = None
    mutual_opt_in: bool = False


class LineRef(BaseModel):
    """The receiving insurer's line on the claim: the 交强险条例 §28–§29 duties it carries (PRODUCT.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_id: str
    insurer_code: str
    basis: Literal["liability", "mutual_self_compensation"]
    payer_labels: list[str] = Field(description="the vehicles this insurer insures and may pay for")


class ClaimOpenedV1(_Event):
    claim_id: str
    report_id: str
    outcome: Literal["agreed", "determined"]
    occurred_at: AwareDatetime
    zone_id: str | None
    vehicle_label: str
    party_id: str
    plate: str
    policy_number: str
    claim_insurer_code: str  # the damaged vehicle's own insurer, which handles the claim
    role: Literal["claim_insurer", "liable_party_insurer"] = Field(
        description=(
            "claim_insurer: the damaged vehicle's own insurer; liable_party_insurer: another vehicle's insurer, sent "
            "because it has a line on the claim (it may owe within the at-fault or the no-fault limit)"
        )
    )
    liability: list[LiabilityShare]
    photos: list[PhotoLink]
    documents_due_at: AwareDatetime = Field(
        description=(
            "交强险条例 §28: the due time if received when queued; the binding time is in `claim.received` and the "
            "API (the application is received when this event is delivered or the claim first read, whichever is "
            "first)"
        )
    )
    line: LineRef | None = Field(
        None,
        description="this insurer's line, when it could owe on the claim; absent "
        "for the vehicle's own insurer without a line",
    )


class ClaimReceivedV1(_Event):
    """The line's insurer received the application: §28's one day runs from `received_at`."""

    claim_id: str
    report_id: str
    line_id: str
    insurer_code: str
    received_at: AwareDatetime
    received_via: Literal["webhook", "api_read"]
    documents_due_at: AwareDatetime
    documents_due_provisional: bool = Field(
        description="counted without the holiday data of its year"
    )


class ClaimLineClosedV1(_Event):
    """The insurer's line closed because it owes nothing under the decided cover; its open duties end."""

    claim_id: str
    report_id: str
    line_id: str
    insurer_code: str
    outcome: Literal["not_owing"]
    cover_revision: int = Field(ge=1)


class ClaimLineReopenedV1(_Event):
    """A line closed as not owing owes again under a revised cover."""

    claim_id: str
    report_id: str
    line_id: str
    insurer_code: str
    status: str
    cover_revision: int = Field(ge=1)


class DocumentsUploadedV1(_Event):
    """The claimant uploaded a document the line's insurer requested (read it through the API)."""

    claim_id: str
    report_id: str
    line_id: str
    request_id: str
    document_id: str
    kind: str
    documents_complete: bool


class CoverPayment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    payee: str
    payer: str
    insurer_code: str | None
    source: str
    amount_fen: int = Field(ge=0)


class ClaimCoverDecidedV1(_Event):
    claim_id: str
    report_id: str
    revision: int = Field(ge=1)
    mode: str
    limits_version: str
    assessed_fen: int = Field(ge=0)
    payments: list[CoverPayment]
    basis: list[str]


class ClaimClosedV1(_Event):
    claim_id: str
    report_id: str
    outcome: Literal["paid", "not_covered", "withdrawn"]
    paid_fen: int | None = Field(None, ge=0)
    line_id: str | None = Field(None, description="the line that closed (its insurer's)")
    insurer_code: str | None = Field(None, description="the insurer of the line that closed")


class ReportDisputedV1(_Event):
    report_id: str
    party_label: str
    reason: str


class AssessmentRequestedV1(_OpenEvent):
    report_id: str
    task_id: str


class AssessmentAssignedV1(_OpenEvent):
    report_id: str
    task_id: str


class AssessmentQueuedV1(_OpenEvent):
    report_id: str
    task_id: str


class AssessmentEscalatedV1(_OpenEvent):
    report_id: str
    task_id: str
    reason: Literal["offer_sla", "eta_missed"]


class AssessmentOnSceneV1(_OpenEvent):
    report_id: str
    task_id: str


class AssessmentRecordV1(_OpenEvent):
    """The on-scene record (a coordinator's hand-over to the insurer): notes, items in fen, photo links."""

    report_id: str
    task_id: str
    total_fen: int = Field(ge=0)
    photos: list[PhotoLink]


EVENT_MODELS: dict[str, type[_Event]] = {
    "claim.opened": ClaimOpenedV1,
    "claim.cover_decided": ClaimCoverDecidedV1,
    "claim.closed": ClaimClosedV1,
    "claim.received": ClaimReceivedV1,
    "claim.line_closed": ClaimLineClosedV1,
    "claim.line_reopened": ClaimLineReopenedV1,
    "claim.document_uploaded": DocumentsUploadedV1,
    "report.disputed": ReportDisputedV1,
    "assessment.requested": AssessmentRequestedV1,
    "assessment.assigned": AssessmentAssignedV1,
    "assessment.queued": AssessmentQueuedV1,
    "assessment.escalated": AssessmentEscalatedV1,
    "assessment.on_scene": AssessmentOnSceneV1,
    "assessment.record_submitted": AssessmentRecordV1,
}


class WebhookEnvelope(BaseModel):
    """The body every insurer receives: {type, timestamp (RFC 3339 time of the event), data}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    timestamp: datetime
    data: dict

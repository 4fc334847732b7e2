"""Insurer callback bodies (idempotent by the insurer's own `reference`) and claim views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, AwareDatetime, Field, StrictBool, StrictInt, model_validator

from schemas.base import Out, Strict
from schemas.common import MultilineText, Text
from schemas.messages import field_error
from schemas.webhooks import PhotoLink

Fen = Annotated[StrictInt, Field(ge=0, le=10**12, description="integer fen (分), never a float")]
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\w.:\-/]+$",
        description="the insurer's own reference: a repeat with it is idempotent",
    ),
]


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
            raise field_error(
                "photo_ref", "请只填写 sha256 或 url 其中之一", "Give exactly one of sha256 or url"
            )
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


DocumentKind = Literal[
    "id_card", "driving_licence", "vehicle_licence", "repair_invoice", "bank_account", "other"
]


class DocumentItem(Strict):
    """One document from the closed list; `other` says what it is. `on_paper`: the insurer wants it handed over on
    paper; it counts when the insurer confirms receiving it (stage `paper_received`)."""

    kind: DocumentKind
    description: Text | None = Field(None, min_length=1, max_length=200)
    on_paper: StrictBool = False

    @model_validator(mode="after")
    def _other(self) -> DocumentItem:
        if self.kind == "other" and not (self.description or "").strip():
            raise field_error(
                "document_other",
                "“其他材料”须在 description 中写明是什么材料",
                "An `other` document says in description what it is",
            )
        return self


class DocumentsUpdate(Strict):
    """交强险条例 §28 on the insurer's own line: `requested` lists the documents the claimant must provide (again
    while they are awaited: more items); `none_needed` says none are; `complete` declares everything received;
    `paper_received` confirms items asked on paper (`item_ids`). Documents are also complete, and §29's five days
    run, once every requested item is uploaded or confirmed, whether or not the insurer declares it."""

    reference: Reference
    stage: Literal["requested", "none_needed", "complete", "paper_received"]
    items: list[DocumentItem] = Field(default_factory=list, max_length=50)
    item_ids: list[UUID] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _items(self) -> DocumentsUpdate:
        if self.stage == "requested" and not self.items:
            raise field_error(
                "documents_items",
                "请列出需要的材料；无需材料时请用 stage = none_needed",
                "List the documents needed; when none are, use stage none_needed",
            )
        if self.stage == "paper_received" and not self.item_ids:
            raise field_error(
                "documents_item_ids",
                "请在 item_ids 中列出收到的纸质材料",
                "List the paper documents received in item_ids",
            )
        return self


class DecisionCreate(Strict):
    reference: Reference
    covered: StrictBool
    reason: MultilineText | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _reason(self) -> DecisionCreate:
        if not self.covered and not (self.reason or "").strip():
            raise field_error(
                "refusal_reason",
                "拒赔须书面说明理由（交强险条例第二十九条），请填写 reason",
                "A refusal states its reason in writing (交强险条例 §29): fill in reason",
            )
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


class Remedies(Out):
    zh: str
    en: str


class DeadlineRead(Out):
    duty: str
    due_at: datetime
    met_at: datetime | None
    overdue: bool
    state: Literal["open", "overdue", "met", "met_late", "breached", "ended"] = Field(
        "open",
        description="met_late: met after its due time (stays visible); breached: the line ended while the "
        "duty was past due and unmet; ended: the line ended before it was due",
    )
    basis: str
    provisional: bool = Field(
        False,
        description="Counted without the holiday calendar of its year (weekends only): recomputed when "
        "that year's State Council notice is loaded; shown as 暂定 / provisional",
    )
    zh: str = Field(
        description="the duty and its due time in Beijing time, e.g. 2026年12月8日 17:30"
    )
    en: str


class DocumentRead(Out):
    id: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    url: str | None = Field(
        None, description="for the line's insurer: the authorised route that serves it"
    )


class DocumentRequestRead(Out):
    id: str
    kind: DocumentKind
    description: str | None
    name_zh: str
    name_en: str
    on_paper: bool
    requested_at: datetime
    paper_received_at: datetime | None
    document: DocumentRead | None = Field(description="the latest upload for this item")
    received: bool = Field(
        description="counts towards complete documents (uploaded, or on paper and confirmed)"
    )
    consent_required: bool = Field(
        description="ID card and bank account: the driver's separate consent first "
        "(个人信息保护法 art. 29)"
    )
    consent_given: bool | None


class LineRead(Out):
    """One insurer's line on a claim: the 交强险条例 §28–§29 duties it carries toward the claimant."""

    id: str
    insurer_code: str
    insurer_name: str | None = None
    basis: Literal["liability", "mutual_self_compensation"]
    payer_labels: list[str]
    status: str
    status_zh: str
    status_en: str
    received_at: datetime | None = Field(
        description="the insurer's receipt of the application (§28 runs from it): "
        "its claim.opened delivered or its first read, whichever first"
    )
    received_via: Literal["webhook", "api_read"] | None
    waiting: Literal["endpoint_disabled", "not_delivered"] | None = Field(
        description="why no receipt yet; no §28 clock runs until then"
    )
    documents_requested_at: datetime | None
    documents_complete_at: datetime | None
    documents_complete_how: Literal["all_received", "declared", "none_needed"] | None
    closed_at: datetime | None
    documents: list[DocumentRequestRead]
    deadlines: list[DeadlineRead]
    overdue: bool
    owed_fen: int | None = Field(
        description="what this insurer owes under the decided cover (null until decided)"
    )
    decision: dict | None
    payout_fen: int | None
    paid_fen: int | None
    payout_revision: int = 0
    payout_reason: str | None = None
    flags: list[dict] = Field(default_factory=list)


class LineSummary(Out):
    id: str
    insurer_code: str
    basis: str
    status: str


class ClaimRead(Out):
    """A claim as an insurer reads it: the loss and cover, and the reader's own line, whose status, documents,
    duties and money also stand at the top level. The vehicle's own insurer without a line sees the claim's
    status and no duties."""

    id: str
    report_id: str
    label: str
    insurer_code: str = Field(description="the damaged vehicle's own insurer")
    status: str
    claim_status: str = Field(
        description="opened while any line is open; closed or withdrawn when all are done"
    )
    applied_at: datetime
    documents: list[DocumentRequestRead]
    decision: dict | None
    payout_fen: int | None
    paid_fen: int | None
    assessed_fen: int | None
    assessment_revision: int | None
    cover: dict | None
    cover_revision: int
    deadlines: list[DeadlineRead]
    overdue: bool
    payout_revision: int = Field(
        0, description="How many times the payout agreement was made or revised"
    )
    payout_reason: str | None = Field(
        None, description="Why the payout is above the computed cover"
    )
    flags: list[dict] = Field(
        default_factory=list,
        description=(
            "Signals for review, never refusals: payout_above_cover, payout_before_cover, "
            "payment_differs_from_agreement"
        ),
    )
    line: LineRead | None = Field(
        None, description="the reader's own line (for operators: the overdue line)"
    )
    lines: list[LineSummary] = Field(default_factory=list, description="every line of the claim")


class DriverLineRead(Out):
    """A line as the claimant reads it (review flags left out)."""

    id: str
    insurer_code: str
    insurer_name: str | None
    basis: str
    payer_labels: list[str]
    status: str
    status_zh: str
    status_en: str
    received_at: datetime | None
    received_via: str | None
    waiting: str | None
    documents_requested_at: datetime | None
    documents_complete_at: datetime | None
    documents_complete_how: str | None
    closed_at: datetime | None
    documents: list[DocumentRequestRead] = Field(
        description="what this insurer asked for, and what is in"
    )
    deadlines: list[DeadlineRead] = Field(
        description="by when the insurer must act; provisional ones say so"
    )
    overdue: bool
    owed_fen: int | None
    decision: dict | None
    payout_fen: int | None = Field(description="the payout agreed")
    paid_fen: int | None
    payout_revision: int


class DriverClaimRead(Out):
    id: str
    label: str
    status: str
    assessed_fen: int | None
    cover_mode: str | None
    lines: list[DriverLineRead]
    remedies: Remedies = Field(description="the legal remedies the claimant keeps, in plain words")


class DriverClaimList(Out):
    claims: list[DriverClaimRead]


class DocumentConsentCreate(Strict):
    """The driver's separate consent (个人信息保护法 art. 29) to hand an ID card or bank account document to the
    insurer of one line; `given: false` withdraws it."""

    line_id: UUID
    kind: Literal["id_card", "bank_account"]
    given: StrictBool


class DocumentConsentRead(Out):
    id: str
    line_id: str
    insurer_code: str
    kind: str
    given: bool
    given_at: datetime


class DocumentUploaded(Out):
    id: str
    request_id: str
    kind: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    documents_complete: bool


class DisagreementCreate(Strict):
    """A claimant disagrees with the insurer's decision on their claim."""

    reason: str = Field(min_length=2, max_length=2000)


class DisagreementRecorded(Out):
    id: str
    claim_id: str
    recorded_at: datetime
    remedies: Remedies = Field(
        description="The legal remedies this record does not replace, in plain words"
    )


class ClaimWithPhotos(ClaimRead):
    photos: list[PhotoLink] = Field(
        description="Links to the report's photos signed for this insurer at this read"
    )


class ClaimList(Out):
    claims: list[ClaimRead]


class OverdueQuery(Strict):
    insurer: Text | None = Field(None, max_length=32)
    limit: int = Field(200, ge=1, le=1000)


class ListQuery(Strict):
    limit: int = Field(200, ge=1, le=1000)

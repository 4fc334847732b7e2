"""What a driver's pages read and save: the status summary of a report for one party, and drafts of the steps
the rest of the API does not save yet (answers typed before a report exists, a half-answered questionnaire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from kernel import jsonenc
from schemas.base import Out, Strict
from schemas.common import Text, nested_text
from schemas.court import CaseSummary
from schemas.messages import field_error
from schemas.reports import PhotoKind

DRAFT_MAX_BYTES = 16 * 1024  # the JSON of one draft's `data`

Phase = Literal[
    "evidence",
    "waiting_for_parties",
    "fault",
    "signing",
    "police_review",
    "determined",
    "agreed",
    "court",
    "offline_mediation",
    "referred_to_122",
    "closed",
    "withdrawn",
]
NextAction = Literal[
    "take_photos",
    "submit_evidence",
    "wait_for_evidence",
    "invite_other_party",
    "give_account",
    "wait_for_other_parties",
    "answer_proposal",
    "sign",
    "wait_for_police",
    "answer_determination",
    "send_documents",
    "follow_claims",
    "follow_court",
    "offline_mediation",
    "call_122",
    "nothing",
]


class Said(Out):
    zh: str
    en: str


class NextStep(Out):
    """What this driver must do next (or that they need only wait), in plain words."""

    action: NextAction
    zh: str
    en: str


class PartyState(Out):
    label: str
    is_you: bool
    joined_at: datetime


class UploadUnderWay(Out):
    """An unfinished resumable upload of this driver: resume it at `offset`."""

    upload_id: str
    kind: PhotoKind
    offset: int
    size_bytes: int
    sha256: str
    expires_at: datetime


class PhotoProgress(Out):
    required: list[PhotoKind]
    required_done: list[PhotoKind]
    required_missing: list[PhotoKind]
    taken: int = Field(description="photos of the report (both parties, removed ones not counted)")
    limit: int = Field(description="photos a report may hold")
    remaining: int = Field(
        description="photos that may still be added (uploads under way count as added)"
    )
    uploads_under_way: list[UploadUnderWay]


class PartyAnswer(Out):
    party: str
    response: Literal["accept", "dispute"]


class Signature(Out):
    party: str
    signed_at: datetime | None


class FaultProgress(Out):
    accounts_missing: list[str] = Field(
        description="labels of the parties whose account of the facts is missing"
    )
    your_account_given: bool
    proposal_version: int | None
    proposal_outcome: str | None
    allocations: list[dict[str, Any]] = Field(
        description="each party's proposed liability and share"
    )
    responses: list[PartyAnswer]
    your_response: Literal["accept", "dispute"] | None
    signatures: list[Signature]
    agreement_ready: bool = Field(description="the signed agreement can be viewed and downloaded")


class PoliceReview(Out):
    state: Literal["not_needed", "waiting", "determined"]
    determination_version: int | None
    shares: list[dict[str, Any]]
    your_response: Literal["accept", "dispute"] | None


class AssessmentState(Out):
    vehicle_label: str
    status: str
    assessor_kind: Literal["adjuster", "coordinator"] | None
    assessor_name: str | None
    eta_at: datetime | None
    zone_kind: Literal["urban", "rural"]


class Deadline(Out):
    duty: str
    due_at: datetime
    zh: str
    en: str


class ClaimLineBrief(Out):
    """One insurer's part of your claim, in brief (the whole line: GET /v1/reports/{report_id}/claims)."""

    line_id: str
    insurer_code: str
    insurer_name: str | None
    status: str
    zh: str
    en: str
    documents_to_send: list[Said] = Field(
        description="documents the insurer asked for that are not in yet"
    )
    next_deadline: Deadline | None
    payout_fen: int | None
    paid_fen: int | None


class ClaimSummary(Out):
    claim_id: str
    vehicle_label: str
    yours: bool
    status: str
    zh: str
    en: str
    lines: list[ClaimLineBrief] = Field(
        description="your claim's lines, one per insurer (empty for others' claims)"
    )


class NotificationSent(Out):
    event: Literal[
        "party_joined",
        "referred_to_122",
        "police_determination",
        "documents_requested",
        "payout_agreed",
        "payout_paid",
        "mediation_scheduled",
        "inquiry_answered",
    ]
    zh: str
    en: str
    state: Literal["queued", "sent", "failed"]
    queued_at: datetime
    sent_at: datetime | None


class DraftStamp(Out):
    step: str
    revision: int
    updated_at: datetime


class ReportStatus(Out):
    """Everything a status page shows, for one party of one report."""

    report_id: str
    you: str = Field(description="your label (A, B, ...)")
    status: str
    phase: Phase
    status_text: Said
    next: NextStep
    vehicle_count: int
    parties: list[PartyState]
    other_party_joined: bool
    photos: PhotoProgress
    fault: FaultProgress
    police_review: PoliceReview
    assessments: list[AssessmentState]
    claims: list[ClaimSummary]
    court: CaseSummary
    notifications: list[NotificationSent] = Field(
        description="texts sent to you about this report, oldest first"
    )
    draft: DraftStamp | None = Field(description="your saved draft of this report, if any")


def _draft_data(value: dict[str, Any]) -> dict[str, Any]:
    if len(jsonenc.dumps(value)) > DRAFT_MAX_BYTES:
        raise field_error(
            "draft_too_large",
            f"草稿内容太大，最多{DRAFT_MAX_BYTES // 1024}KB",
            f"The draft is too large: at most {DRAFT_MAX_BYTES // 1024} KB",
        )
    return nested_text(value)


DraftData = Annotated[dict[str, Any], AfterValidator(_draft_data)]


class DraftPut(Strict):
    """What a page saves as the driver goes: the step they are on and the form's values as the page keeps them
    (any JSON object of at most 16 KB; its texts are checked like any free text). `based_on` is the revision the
    page last read: a save based on an older one (another tab saved meanwhile) is refused 409 with the current
    draft, so a tab never overwrites newer answers unknowingly; leave it out to overwrite."""

    step: Text = Field(
        min_length=1, max_length=40, description="the page's name of the step, e.g. location"
    )
    data: DraftData
    based_on: int | None = Field(None, ge=0)


class DraftRead(Out):
    step: str
    data: dict[str, Any]
    revision: int
    updated_at: datetime
    expires_at: datetime

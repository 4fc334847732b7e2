"""The court platform interface (PRODUCT.md "Court platform interface"): the dispute package (schema version 1),
updates, the court's callbacks, and how delivery reads back to staff and parties."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from schemas.base import Out, Strict
from schemas.common import MultilineText, Text, nested_text

JsonText = Annotated[Any, AfterValidator(nested_text)]

SCHEMA_VERSION = 1
UpdateType = Literal["determination", "assessment", "claim_status", "withdrawal"]
CallbackType = Literal[
    "accepted",
    "mediation_scheduled",
    "mediation_agreement",
    "judicial_confirmation",
    "judgment",
    "payout_ordered",
]
DeliveryState = Literal["queued", "delivered", "parked"]
Sha256 = Field(pattern=r"^[0-9a-f]{64}$")


class Coded(Strict):
    code: str | None
    zh: str


class Place(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str
    zone_id: str
    zone_name: str
    jurisdiction: str


class Accident(Strict):
    """程序规定 §21: time, place, weather, collision type (impact points are per party)."""

    occurred_at: datetime
    place: Place
    weather: Coded
    collision: Coded


class Driver(Strict):
    """Personal data the court needs to identify and summon a party (§21: name, licence or ID no., phone)."""

    name: str = Field(min_length=1)
    id_kind: Literal["licence", "id_card"]
    id_number: str = Field(min_length=1)
    phone: str = Field(min_length=1)


class Vehicle(Strict):
    type: str
    type_zh: str
    plate: str


class Insurance(Strict):
    insurer_code: str
    insurer_name: str
    policy_number: str


class Party(Strict):
    label: str
    driver: Driver
    vehicle: Vehicle
    insurance: Insurance
    impact_points: list[Coded]


class Share(Strict):
    party: str
    liability: Literal["full", "major", "equal", "minor", "none"]
    share_percent: int = Field(ge=0, le=100)


class Proposal(Strict):
    """A template proposal: the set and version that computed it, what matched and the law it cites."""

    version: int = Field(ge=1)
    template_set: dict[Literal["id", "version"], str]
    outcome: Literal["determined", "needs_review"]
    allocations: list[Share]
    matched: list[dict[str, Any]]
    legal_basis: list[str]
    computed_at: datetime


class Answer(Strict):
    """A party's acceptance or dispute of a proposal or a determination, with the reason given."""

    stage: Literal["proposal", "determination"]
    version: int = Field(ge=1)
    party: str
    response: Literal["accept", "dispute"]
    reason: str | None
    at: datetime


class Determination(Strict):
    """The police determination (认定, 程序规定 §60–§61) as issued."""

    version: int = Field(ge=1)
    issued_by: str
    reason: str
    legal_basis: list[str]
    shares: list[Share]
    issued_at: datetime


class Liability(Strict):
    proposals: list[Proposal]
    determinations: list[Determination]
    answers: list[Answer]


class Photo(Strict):
    photo_id: str
    kind: str
    party: str | None
    sha256: str = Sha256
    size_bytes: int
    media_type: str
    taken_at: datetime | None
    url: str
    link_expires_at: datetime


class Assessment(Strict):
    claim_id: str
    party: str
    revision: int
    total_fen: int = Field(ge=0)
    vehicle_only: bool
    items: list[dict[str, Any]]
    assessed_at: datetime


class Claim(Strict):
    claim_id: str
    party: str
    insurer_code: str
    status: str
    payout_fen: int | None
    paid_fen: int | None
    applied_at: datetime


class CourtRequest(Strict):
    """Who asked for court handling, against which determination, and why (the dispute reason)."""

    party: str
    determination_version: int
    reason: str = Field(min_length=1)
    requested_at: datetime


class Integrity(Strict):
    algorithm: Literal["sha256"]
    canonicalization: str
    digest: str = Sha256


class DisputePackage(Strict):
    """One revision of a report's dispute package; `integrity.digest` covers every other member."""

    schema_version: Literal[1]
    package_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    revision: int = Field(ge=1)
    report_id: str
    created_at: datetime
    accident: Accident
    parties: list[Party] = Field(min_length=1)
    liability: Liability
    dispute: CourtRequest
    photos: list[Photo]
    assessments: list[Assessment]
    claims: list[Claim]
    withheld: list[str]
    integrity: Integrity


class CaseUpdate(Strict):
    sequence: int = Field(ge=1)
    type: UpdateType
    occurred_at: datetime
    data: dict[str, Any]


class CourtCallback(Strict):
    type: CallbackType
    package_id: Text
    case_number: Text
    sequence: int = Field(ge=0)
    occurred_at: datetime
    data: Annotated[dict[str, Any], AfterValidator(nested_text)] = Field(default_factory=dict)


class Correction(Strict):
    pointer: str = Field(
        pattern=r"^/", description="JSON pointer into the package, e.g. /accident/place/address"
    )
    value: JsonText


class RevisionCreate(Strict):
    """An operator's correction of a rejected package, sent as the next revision with a new Idempotency-Key."""

    reason: MultilineText = Field(min_length=1, max_length=500)
    corrections: list[Correction] = Field(default_factory=list, max_length=50)


class UpdateRead(Out):
    sequence: int
    type: str
    state: DeliveryState
    attempts: int
    last_status: int | None
    problem: dict[str, Any] | None
    occurred_at: datetime
    delivered_at: datetime | None


class RevisionRead(Out):
    revision: int
    idempotency_key: str
    digest: str
    state: DeliveryState
    attempts: int
    last_status: int | None
    problem: dict[str, Any] | None
    created_at: datetime
    delivered_at: datetime | None


class CourtEvent(Out):
    type: str
    sequence: int
    occurred_at: datetime
    zh: str
    en: str


class CallbackRecord(Out):
    """A court callback as recorded, with why it did or did not move the case."""

    webhook_id: str
    type: str
    sequence: int
    case_number: str
    outcome: Literal["applied", "stale", "backwards", "case_number_mismatch"] = Field(
        description="applied; stale: sequence at or below the last applied; backwards: a stage behind the case's; "
        "case_number_mismatch: names another case number (refused 422)"
    )
    received_at: datetime


class CaseRead(Out):
    """Delivery state of a report's court case for the court, police and operators."""

    package_id: str
    report_id: str
    state: DeliveryState
    case_number: str | None
    revision: int
    revisions: list[RevisionRead]
    updates: list[UpdateRead]
    events: list[CourtEvent]
    callbacks: list[CallbackRecord]


class CasePhotoLink(Out):
    photo_id: str
    kind: str
    sha256: str
    url: str = Field(
        description="Signed for the court at this read; checked again when used (403 once a party "
        "withdrew its sharing consent or the case was withdrawn)"
    )
    expires_at: datetime


class CaseWithPhotos(CaseRead):
    photos: list[CasePhotoLink]


class CaseList(Out):
    cases: list[CaseRead]


class CaseSummary(Out):
    """What a party sees of its report's court case."""

    report_id: str
    sent_to_court: bool
    state: Literal["not_sent", "sending", "with_court", "needs_operator", "offline_mediation"]
    zh: str
    en: str
    case_number: str | None
    events: list[CourtEvent]


class CaseQuery(Strict):
    state: DeliveryState | None = None
    limit: int = Field(100, ge=1, le=500)


class CallbackAck(Out):
    webhook_id: str
    result: Literal["processed", "recorded_not_applied", "duplicate"] = Field(
        description="processed: applied; recorded_not_applied: kept for operators, the case did not move; "
        "duplicate: this webhook-id was processed before, nothing changed"
    )
    report_status: str | None = None

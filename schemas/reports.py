"""Report intake: creating and joining a report, its parties, photos and the report as read back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool

from schemas.base import Out, Strict
from schemas.common import IdNumber, Location, Phone, Plate, Text
from schemas.eligibility import CaseAnswersIn, EligibilityResult, PartyAnswersIn

Weather = Literal[
    "clear", "overcast", "rain", "snow", "fog", "strong_wind", "dust", "hail", "other"
]
VehicleType = Literal[
    "small_passenger",  # 小型载客汽车
    "medium_passenger",  # 中型载客汽车
    "large_passenger",  # 大型载客汽车
    "light_truck",  # 轻型货车
    "medium_truck",  # 中型货车
    "heavy_truck",  # 重型货车
    "motorcycle",  # 摩托车
    "other",
]
PhotoKind = Literal[
    "front_overview", "rear_overview", "impact_point", "plate", "licence", "scene", "other"
]
REQUIRED_PHOTO_KINDS: tuple[PhotoKind, ...] = ("front_overview", "rear_overview", "impact_point")


class DriverIn(Strict):
    name: Text = Field(min_length=1, max_length=50)
    id_kind: Literal["licence", "id_card"] = "licence"
    id_number: IdNumber
    phone: Phone = Field(description="must be the phone verified by one-time code for this session")


class VehicleIn(Strict):
    plate: Plate
    type: VehicleType


class InsuranceIn(Strict):
    insurer_code: Text = Field(min_length=1, max_length=32, description="a known insurer code")
    policy_number: str = Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")


class ConsentIn(Strict):
    """Separate consents (个人信息保护法 arts. 23, 29) against the privacy notice version shown."""

    notice_version: Text = Field(min_length=1, max_length=40)
    location: StrictBool = Field(description="processing of the accident location (required)")
    sharing: StrictBool = Field(description="sharing the case with insurers, police and the court")


class ConsentState(Out):
    sharing: bool
    parties_withholding_sharing: list[str] = Field(
        description="labels of parties whose consent blocks sharing"
    )


class PartyIn(Strict):
    answers: PartyAnswersIn
    driver: DriverIn
    vehicle: VehicleIn
    insurance: InsuranceIn


class ReportCreate(Strict):
    occurred_at: datetime = Field(description="RFC 3339 with offset")
    location: Location
    address: Text | None = Field(None, max_length=200)
    weather: Weather
    vehicle_count: int = Field(
        2, ge=1, le=10, description="1 = single-vehicle; 3 or more go to police review"
    )
    case_answers: CaseAnswersIn
    party: PartyIn
    consent: ConsentIn
    invite_phone: Phone | None = Field(
        None, description="party B's phone: B gets an SMS link to join"
    )


class ReportJoin(Strict):
    share_code: Text = Field(min_length=4, max_length=16)
    case_answers: CaseAnswersIn
    party: PartyIn
    consent: ConsentIn


class DriverRead(Out):
    name: str
    id_kind: str
    id_number: str
    phone: str


class PartyRead(Out):
    id: str
    label: str
    is_you: bool
    driver: DriverRead
    vehicle: VehicleIn
    insurance: InsuranceIn
    joined_at: datetime


class PhotoRead(Out):
    id: str
    kind: PhotoKind
    party_label: str | None
    sha256: str
    size_bytes: int
    media_type: str
    width: int
    height: int
    taken_at: datetime | None
    gps: Location | None
    derivatives: Literal["pending", "ready", "failed"]
    created_at: datetime


class ZoneRead(Out):
    id: str
    name: str
    kind: Literal["urban", "rural"]
    near_boundary: bool


class ReportRead(Out):
    id: str
    status: str
    occurred_at: datetime
    location: Location
    address: str | None
    weather: Weather
    vehicle_count: int
    zone: ZoneRead
    parties: list[PartyRead]
    photos: list[PhotoRead]
    missing_photo_kinds: list[PhotoKind]
    referral: EligibilityResult | None
    created_at: datetime
    updated_at: datetime
    version: int


class ShareCode(Out):
    code: str = Field(description="read it out to the other driver; case-insensitive")
    expires_at: datetime


class PartyAccess(Out):
    report: ReportRead
    party_id: str
    label: str
    party_token: str | None = Field(
        description="bearer token for this party of this report; null for a browser "
        "signed in by cookie (no script ever holds a credential: the "
        "cookie's session reaches the report)"
    )


class ReportCreated(PartyAccess):
    share_code: ShareCode | None


class JoinReferred(Out):
    status: Literal["referred_to_122"]
    eligibility: EligibilityResult


class ShareCodeCreated(Out):
    share_code: ShareCode


class AuditEventRead(Out):
    id: int
    entity: str
    entity_id: str
    action: str
    actor_kind: str
    actor_id: str | None
    at: datetime
    changes: dict


class AuditTrail(Out):
    report_id: str
    events: list[AuditEventRead]


class PhotoRemoved(Out):
    photo_id: str
    removed: bool
    missing_photo_kinds: list[PhotoKind] = Field(
        description="Required kinds still to take after the removal"
    )

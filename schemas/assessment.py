"""Assessment tasks: what adjusters and coordinators send (accept, decline, the on-scene record) and read."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.base import Out
from schemas.common import MultilineText, Text
from schemas.webhooks import PhotoLink


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eta_minutes: int = Field(
        ge=1, le=240, description="minutes until on scene; missing it escalates the task"
    )


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: MultilineText = Field(min_length=1, max_length=500)


class DamageItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: Text = Field(min_length=1, max_length=100)
    description: MultilineText = Field("", max_length=500)
    amount_fen: int = Field(ge=0, le=100_000_000, description="preliminary amount in fen (分)")


class RecordIn(BaseModel):
    """The `record` part of the multipart body; photos come as `photo` file parts."""

    model_config = ConfigDict(extra="forbid")

    notes: MultilineText = Field(min_length=1, max_length=4000)
    items: list[DamageItemIn] = Field(default_factory=list, max_length=50)


class OfferRead(Out):
    assessor_id: str
    distance_m: float
    offered_at: datetime
    respond_by: datetime
    outcome: str
    eta_at: datetime | None
    reason: str | None


class RecordRead(Out):
    notes: str
    items: Any = Field(description="the damage items as submitted: part, description, amount_fen")
    total_fen: int
    photo_ids: list[UUID]
    submitted_at: datetime


class TaskRead(Out):
    id: UUID
    report_id: UUID
    vehicle_label: str
    plate: str | None
    insurer_code: str
    zone_id: str
    zone_kind: Literal["urban", "rural"]
    lat: float
    lon: float
    boundary_distance_m: float | None
    status: str
    assignee_id: str | None
    eta_at: datetime | None
    due_at: datetime | None
    flags: list[str]
    escalations: int
    created_at: datetime
    updated_at: datetime
    offers: list[OfferRead]
    record: RecordRead | None


class TaskPlace(Out):
    address: str | None
    zone_name: str | None


class DriverContact(Out):
    vehicle_label: str
    phone: str


class TaskWithPhotos(TaskRead):
    photos: list[PhotoLink]
    place: TaskPlace
    driver_contact: DriverContact | None = Field(
        description="the vehicle's driver, shown only to the assessor who took the task while it is open"
    )


class TaskList(Out):
    tasks: list[TaskRead] = Field(description="the caller's tasks, open ones first")


class AssessmentQueue(Out):
    queued: list[TaskRead]
    flagged: list[TaskRead]

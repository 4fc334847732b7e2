"""Operators' views: outbox health, webhook secrets, reference versions, worker heartbeats, staff accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from schemas.base import Out, Strict
from schemas.common import Text


class ParkedReason(Out):
    reason: str
    messages: int
    latest_at: datetime
    message_ids: list[str] = Field(
        description="The newest parked messages with this reason (at most 20), for replay"
    )


class DestinationHealth(Out):
    destination: str = Field(
        description="The topic, or topic:receiver for insurer webhooks (insurer.webhook:PICC)"
    )
    pending: int
    due: int = Field(description="Pending messages whose next attempt is due now")
    retrying: int = Field(description="Pending messages that failed at least once")
    parked: int
    oldest_pending_age_s: float | None
    oldest_parked_age_s: float | None
    parked_reasons: list[ParkedReason]


class OutboxHealth(Out):
    destinations: list[DestinationHealth]


class WebhookSecretView(Out):
    fingerprint: str = Field(
        description="First 12 hex digits of the secret's SHA-256; the secret never leaves"
    )
    not_before: str | None
    not_after: str | None
    signing: bool = Field(description="Signs messages now")


class WebhookSecrets(Out):
    code: str
    secrets: list[WebhookSecretView]


class SecretRotation(Strict):
    overlap_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 30,
        description="How long the secrets signing now keep signing beside the new one",
    )


class SecretRotated(Out):
    code: str
    secret: str = Field(description="The new whsec_ secret, shown once: give it to the insurer now")
    secrets: list[WebhookSecretView]


class ReferenceVersion(Out):
    version: int
    digest: str
    source: str
    loaded_at: datetime
    summary: dict[str, Any]


class ReferenceVersions(Out):
    current_in_this_process: int | None = Field(
        description="The version this process's zone index was built from"
    )
    versions: list[ReferenceVersion]


class WorkerHeartbeat(Out):
    name: str
    state: Literal["running", "stalled", "stopped"] = Field(
        description="stalled: no beat for three KUAICHU_WORKER_HEARTBEAT_S periods"
    )
    started_at: datetime
    beat_at: datetime
    beat_age_s: float
    stopped_at: datetime | None
    in_flight: int
    topics: list[str] | None


StaffRoleName = Literal["police", "adjuster", "coordinator", "court", "admin", "supervisor"]


class StaffAccount(Out):
    id: str
    username: str
    role: str
    display_name: str
    insurer_code: str | None
    jurisdiction: list[str] | None
    active: bool
    created_at: datetime


class StaffAccounts(Out):
    accounts: list[StaffAccount]


class StaffQuery(Strict):
    role: StaffRoleName | None = None
    active: bool | None = None


class StaffCreate(Strict):
    username: Text = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: StaffRoleName
    display_name: Text | None = Field(None, min_length=1, max_length=100)
    insurer: Text | None = Field(
        None, min_length=1, max_length=20, description="Insurer code (adjusters)"
    )
    jurisdiction: list[Text] | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Zone ids of the counties a police or supervisor account covers",
    )
    kind: Literal["person", "system_client"] = Field(
        "person",
        description="person: signs in with password (and an authenticator for police, supervisor and "
        "admin) set through a one-time enrolment link; system_client: a bearer token",
    )


class StaffCreated(Out):
    account: StaffAccount
    enrolment_url: str | None = Field(
        None,
        description="A person's one-time enrolment link, shown once: hand it "
        "to the person (valid KUAICHU_STAFF_ENROLMENT_TTL_S)",
    )
    enrolment_expires_at: datetime | None = None
    token: str | None = Field(
        None, description="A system client's bearer token, shown once (stored as a hash)"
    )


class JurisdictionSet(Strict):
    zones: list[Text] = Field(min_length=1, max_length=200)

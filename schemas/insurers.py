"""The public list of insurers a driver chooses from (code and name only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from schemas.base import Out


class InsurerRead(Out):
    code: str = Field(description="The code a report's `insurer_code` takes")
    name: str = Field(description="The insurer's registered Chinese name")
    name_en: str | None = Field(
        None, description="Its English name, where the reference data has one"
    )


class InsurerList(Out):
    insurers: list[InsurerRead]


class InsurerWebhookState(Out):
    code: str
    name: str
    webhook_url: str | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    secrets: int
    pending: int
    parked: int
    last_delivered_at: datetime | None


class InsurerWebhookList(Out):
    insurers: list[InsurerWebhookState]


class WebhookEnabled(Out):
    code: str
    enabled: bool
    messages_woken: int

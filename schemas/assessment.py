"""Assessment tasks: what adjusters and coordinators send (accept, decline, the on-scene record)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import MultilineText, Text


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eta_minutes: int = Field(ge=1, le=240, description="minutes until on scene; missing it escalates the task")


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

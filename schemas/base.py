"""Common model configuration: strict about unknown keys, as every contract here demands."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Request bodies: unknown keys are refused (422 with a pointer to the key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Out(BaseModel):
    """Response bodies."""

    model_config = ConfigDict(frozen=True)

"""RFC 9457 problem details, with Chinese and English texts for drivers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    pointer: str = Field(description="JSON pointer (RFC 6901) into the request body, e.g. #/parties/0/movement")
    detail: str


class LocalizedText(BaseModel):
    title: str
    detail: str


class Problem(BaseModel):
    """application/problem+json; `title`/`detail` follow Accept-Language (Chinese by default)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Stable problem type URI, e.g. /problems/outside-service-area")
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    zh: LocalizedText
    en: LocalizedText
    errors: list[FieldError] = Field(default_factory=list)

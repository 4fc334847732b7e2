"""RFC 9457 problem details, with Chinese and English texts for drivers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    pointer: str = Field(
        description="JSON pointer (RFC 6901) into the request body, e.g. #/parties/0/movement"
    )
    detail: str


class LocalizedText(BaseModel):
    title: str
    detail: str


class RefusingLimit(BaseModel):
    name: str = Field(description="stable id of the limit, e.g. login-codes-per-phone-per-minute")
    max: int = Field(description="requests allowed in the window")
    window_s: int = Field(description="the sliding window, in seconds")


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
    retry_after: int | None = Field(
        None, description="429 and 503: seconds to wait before retrying (as Retry-After)"
    )
    limit: RefusingLimit | None = Field(
        None, description="429 from a rate limit: the limit that refused"
    )

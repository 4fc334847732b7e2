"""Reference rows as read from files (pydantic, validated) and as the pure core uses them."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from schemas.messages import field_error

ZoneKind = Literal["urban", "rural"]
_WHSEC = re.compile(r"^whsec_([A-Za-z0-9+/=]+)$")


class ZoneProperties(BaseModel):
    """The properties of one zone feature; unknown properties are kept (`model_extra`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: ZoneKind
    jurisdiction: str = Field(min_length=1, max_length=200)
    court_exempt: StrictBool
    exempt_reason: str | None = None


class ZoneIn(BaseModel):
    """One validated zone: its columns, the other properties, and the GeoJSON geometry (WGS-84)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: ZoneKind
    jurisdiction: str
    court_exempt: bool
    exempt_reason: str | None
    properties: dict[str, Any]
    geometry: dict[str, Any]


class WebhookSecretIn(BaseModel):
    """One dated webhook secret (Standard Webhooks `whsec_` + base64 key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: str
    not_before: AwareDatetime | None = None
    not_after: AwareDatetime | None = None

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: str) -> str:
        m = _WHSEC.match(value)
        if not m:
            raise field_error(
                "webhook_secret",
                "应为 whsec_ 加 Base64 编码的密钥",
                "Must be 'whsec_' followed by base64",
            )
        try:
            key = base64.b64decode(m.group(1), validate=True)
        except binascii.Error as exc:
            raise field_error(
                "webhook_secret",
                "whsec_ 之后的 Base64 无法解码，请重新复制密钥",
                f"The base64 after 'whsec_' does not decode ({exc}): copy the secret again",
            ) from None
        # Standard Webhooks asks for 24–64 byte keys; shorter ones are guessable.
        if not 24 <= len(key) <= 64:
            raise field_error(
                "webhook_secret",
                f"密钥长 {len(key)} 字节，应为 24 到 64 字节",
                f"The key is {len(key)} bytes; Standard Webhooks needs 24 to 64",
            )
        return value

    @model_validator(mode="after")
    def _ordered(self) -> WebhookSecretIn:
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise field_error(
                "secret_dates",
                "失效时间（not_after）应晚于生效时间（not_before）",
                "not_after must be later than not_before",
            )
        return self

    def as_json(self) -> dict[str, str]:
        out = {"secret": self.secret}
        for key in ("not_before", "not_after"):
            value: datetime | None = getattr(self, key)
            if value is not None:
                out[key] = value.isoformat()
        return out


class InsurerIn(BaseModel):
    """One insurer row of insurers.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Z][A-Z0-9_]*$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    webhook_url: str | None = Field(None, max_length=2000, pattern=r"^https?://[^\s/]+(/\S*)?$")
    webhook_secrets: list[WebhookSecretIn] = Field(default_factory=list)


class _PointRow(BaseModel):
    """A row with a WGS-84 point (degrees); NaN, infinities and out-of-range values are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


RowId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class OutletIn(_PointRow):
    """One insurer service outlet (服务网点) of outlets.json."""

    id: RowId
    insurer_code: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class AdjusterIn(_PointRow):
    """One insurer adjuster (查勘定损员) of adjusters.json: home point, capacity of open tasks, staff login."""

    id: RowId
    insurer_code: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    capacity: int = Field(ge=0, le=100)
    active: StrictBool = True
    username: Username


class CoordinatorIn(_PointRow):
    """One rural accident coordinator (农村事故协理员) of coordinators.json: zones served, home, capacity."""

    id: RowId
    zones: list[str] = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)
    capacity: int = Field(ge=0, le=100)
    active: StrictBool = True
    username: Username

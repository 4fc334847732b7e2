"""Browser sessions (drivers and staff), staff enrolment and resets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from schemas.base import Out, Strict
from schemas.common import Text
from schemas.messages import field_error

TOTP_CODE = r"^\d{6}$"


class BrowserSession(Out):
    """A driver's session held in an HttpOnly cookie: never the token itself, only what a page needs."""

    acting: Literal["driver", "second-party"] = Field(
        description="driver: the cookie `__Host-kuaichu-driver` (this browser's driver); second-party: the cookie "
        "`__Host-kuaichu-second-party`, chosen per request with `X-Acting-As: second-party`"
    )
    csrf_token: str = Field(
        description="send as `X-CSRF-Token` (with this service's `Origin`) on every POST, PUT, "
        "PATCH and DELETE made with this cookie"
    )
    expires_at: datetime
    phone_masked: str | None = None


class StaffSignIn(Strict):
    username: Text = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp_code: str | None = Field(
        None,
        pattern=TOTP_CODE,
        description="the 6-digit code of the authenticator app (police, supervisor, admin)",
    )


class StaffSession(Out):
    """The signed-in staff member (cookie `__Host-kuaichu-staff`, HttpOnly, Secure, SameSite=Strict)."""

    username: str
    display_name: str
    role: str
    jurisdiction: list[str] | None = Field(
        description="zones (counties) covered; null: none set (admin: all)"
    )
    csrf_token: str = Field(
        description="send as `X-CSRF-Token` (with this service's `Origin`) on every POST, PUT, "
        "PATCH and DELETE made with this cookie"
    )
    expires_at: datetime = Field(description="the absolute end (12 h after sign-in)")
    idle_timeout_s: int = Field(
        description="the session also ends after this many seconds without a request"
    )


class StaffSessionEnded(Out):
    ended: bool


class EnrolmentOpen(Strict):
    token: str = Field(
        min_length=10, max_length=200, description="the token of the enrolment link (after #token=)"
    )


class EnrolmentInfo(Out):
    username: str
    role: str
    sets_password: bool
    sets_totp: bool
    totp_secret: str | None = Field(
        description="base32 secret to type into an authenticator app (when sets_totp)"
    )
    otpauth_uri: str | None = Field(
        description="the same secret as an otpauth:// URI (for a QR code)"
    )
    expires_at: datetime


class EnrolmentComplete(Strict):
    token: str = Field(min_length=10, max_length=200)
    password: str | None = Field(
        None,
        min_length=12,
        max_length=1024,
        description="the new password, at least 12 characters (when the link sets one)",
    )
    totp_code: str | None = Field(
        None,
        pattern=TOTP_CODE,
        description="a current code of the authenticator app (when the link sets TOTP)",
    )


class EnrolmentDone(Out):
    username: str
    password_set: bool
    totp_set: bool


class StaffReset(Strict):
    password: bool = Field(False, description="the person sets a new password through the link")
    totp: bool = Field(False, description="the person sets up a new authenticator through the link")

    @model_validator(mode="after")
    def _something(self) -> StaffReset:
        if not (self.password or self.totp):
            raise field_error(
                "nothing-to-reset",
                "请选择重置密码或动态口令（至少一项）",
                "Choose what to reset: password, totp or both",
            )
        return self


class StaffResetDone(Out):
    username: str
    enrolment_url: str = Field(
        description="one-time link for the person (valid 24 h); hand it over in person"
    )
    expires_at: datetime
    sessions_ended: int

"""Phone login by one-time code."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import Out, Strict
from schemas.common import Phone


class OtpRequest(Strict):
    phone: Phone
    purpose: Literal["login"] = Field(
        "login",
        description="login only: a signing code is asked for by the party, POST …/fault/signing-code",
    )


class OtpSent(Out):
    challenge_id: str
    expires_at: datetime
    phone_masked: str


class SessionCreate(Strict):
    phone: Phone
    code: str = Field(pattern=r"^\d{6}$", description="the 6-digit code received by SMS")


class SessionCreated(Out):
    session_token: str = Field(description="bearer token for every report this phone is party to")
    expires_at: datetime


class MyReport(Out):
    report_id: str
    label: str
    status: str
    occurred_at: datetime
    plate: str


class MyReports(Out):
    reports: list[MyReport]


class SessionsEnded(Out):
    ended: int = Field(
        description="how many phone sessions stopped working (party tokens are not touched)"
    )


class PrivacyNotice(Out):
    version: str
    zh: str
    en: str

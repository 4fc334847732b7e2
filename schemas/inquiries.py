"""Inquiries and complaints (咨询及投诉): what a driver sends, what staff answer, and how both read back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool

from schemas.base import Out, Strict
from schemas.common import MultilineText

InquiryKind = Literal["question", "complaint"]
InquirySubject = Literal["assessor", "insurer", "police", "other"]


class InquiryCreate(Strict):
    kind: InquiryKind = Field(description="question (咨询) or complaint (投诉)")
    about_case: StrictBool = Field(
        True, description="About this case (true) or a general question (false)"
    )
    subject: InquirySubject | None = Field(
        None,
        description="Whom a complaint is about; complaints about an assessor or insurer are counted in "
        "the supervision view",
    )
    text: MultilineText = Field(min_length=1, max_length=2000)


class InquiryRead(Out):
    id: str
    report_id: str
    party: str = Field(description="The asking party's label (A, B, ...)")
    kind: InquiryKind
    about_case: bool
    subject: InquirySubject | None
    text: str
    created_at: datetime
    due_at: datetime = Field(
        description="When the answer is due (KUAICHU_INQUIRY_ANSWER_WORKING_DAYS working days)"
    )
    breached: bool = Field(description="Unanswered past its due time, or answered after it")
    answer: str | None
    answered_at: datetime | None


class InquiryList(Out):
    inquiries: list[InquiryRead]


class InquiryZone(Out):
    id: str
    name: str


class StaffInquiry(InquiryRead):
    zone: InquiryZone
    answered_by: str | None = Field(description="Username of the staff member who answered")


class StaffInquiryList(Out):
    inquiries: list[StaffInquiry]


class InquiryQuery(Strict):
    state: Literal["open", "answered", "all"] = "open"


class InquiryAnswer(Strict):
    text: MultilineText = Field(
        min_length=1,
        max_length=1000,
        description="Texted to the driver (the first 300 characters) and shown in the app",
    )

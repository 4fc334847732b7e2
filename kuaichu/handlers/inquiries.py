"""Inquiries and complaints: drivers ask about their case, operators and police of its jurisdiction answer."""

from __future__ import annotations

import uuid

from aiohttp import web

from accident import inquiries
from accident.inquiries import InquiryNotFound
from claims import repository as claims_repo
from kernel.identity import StaffPrincipal
from kuaichu.api import PARTY, Route, json_response, principal, read_model, staff
from kuaichu.intake import idempotency_of, report_id_of
from kuaichu.keys import SERVICES
from schemas.inquiries import (
    InquiryAnswer,
    InquiryCreate,
    InquiryList,
    InquiryQuery,
    InquiryRead,
    StaffInquiry,
    StaffInquiryList,
)


async def post_inquiry(request: web.Request) -> web.Response:
    body = await read_model(request, InquiryCreate)
    who = principal(request)
    s = request.app[SERVICES]
    at = s.intake.now()
    async with (
        s.pool.acquire() as conn
    ):  # due by the end of the working days after it came in (民法典 §201, §203)
        calendar = await claims_repo.holiday_calendar(conn)
    due_at = calendar.due(at, s.settings.inquiry_answer_working_days).at
    data = await inquiries.ask(
        s.intake,
        who=who,
        report_id=report_id_of(request),
        kind=body.kind,
        about_case=body.about_case,
        subject=body.subject,
        text=body.text,
        at=at,
        due_at=due_at,
        per_hour=s.settings.inquiries_per_party_per_hour,
        rate_limits=not s.settings.bench_disable_rate_limits,
        idem=idempotency_of(request, who, "inquiry"),
    )
    return json_response(InquiryRead.model_validate(data), 201)


async def my_inquiries(request: web.Request) -> web.Response:
    data = await inquiries.of_party(
        request.app[SERVICES].intake, who=principal(request), report_id=report_id_of(request)
    )
    return json_response(InquiryList(inquiries=data))


def _staff(request: web.Request) -> StaffPrincipal:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    return who


async def inquiry_queue(request: web.Request) -> web.Response:
    q = InquiryQuery.model_validate(dict(request.query))
    data = await inquiries.queue(request.app[SERVICES].intake, who=_staff(request), state=q.state)
    return json_response(StaffInquiryList(inquiries=data))


async def post_answer(request: web.Request) -> web.Response:
    body = await read_model(request, InquiryAnswer)
    try:
        inquiry_id = uuid.UUID(request.match_info["inquiry_id"])
    except ValueError:
        raise InquiryNotFound() from None
    who = _staff(request)
    data = await inquiries.answer(
        request.app[SERVICES].intake,
        who=who,
        inquiry_id=inquiry_id,
        text=body.text,
        idem=idempotency_of(request, who, f"inquiry_answer:{inquiry_id}"),
    )
    return json_response(StaffInquiry.model_validate(data))


_REPORT = "/v1/reports/{report_id}/inquiries"
ROUTES = [
    Route(
        "POST",
        _REPORT,
        post_inquiry,
        "Ask a question or make a complaint (about this case or in general); answered by the case's jurisdiction",
        auth=(PARTY,),
        tag="inquiries",
        body=InquiryCreate,
        responses={201: InquiryRead},
        idempotent=True,
        errors=(404, 422, 429),
    ),
    Route(
        "GET",
        _REPORT,
        my_inquiries,
        "My inquiries and complaints in this report, with their answers",
        auth=(PARTY,),
        tag="inquiries",
        responses={200: InquiryList},
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/inquiries",
        inquiry_queue,
        "The inquiry queue of the reports I oversee (admins: all; police: their jurisdiction), with due times",
        auth=staff("admin", "police", "supervisor"),
        tag="inquiries",
        query=InquiryQuery,
        responses={200: StaffInquiryList},
    ),
    Route(
        "POST",
        "/v1/inquiries/{inquiry_id}/answer",
        post_answer,
        "Answer an inquiry once; the answer is texted to the driver and shown in the app",
        auth=staff("admin", "police"),
        tag="inquiries",
        body=InquiryAnswer,
        responses={200: StaffInquiry},
        idempotent=True,
        errors=(404, 409, 422),
    ),
]

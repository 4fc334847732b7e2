"""Police review of disputed and undecidable reports, and the parties' answers to the determination."""

from __future__ import annotations

from aiohttp import web

from accident import fault_review, review_file
from accident.court_withdrawal import withdraw_court_request
from kernel.identity import StaffPrincipal
from kuaichu.api import PARTY, Route, json_response, principal, read_model, staff
from kuaichu.handlers.fault_flow import flow_of, state_response
from kuaichu.intake import idempotency_of, report_id_of
from kuaichu.keys import SERVICES
from schemas.fault_flow import (
    CourtRequestCreate,
    CourtWithdrawalCreate,
    DeterminationCreate,
    DeterminationResponseCreate,
    FaultStateRead,
    ReviewQueue,
)
from schemas.review import ArticleList, CaseFile


async def list_reviews(request: web.Request) -> web.Response:
    sla_s = request.app[SERVICES].settings.police_review_sla_s
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    return json_response(
        ReviewQueue(reviews=await fault_review.review_queue(flow_of(request), who=who, sla_s=sla_s))
    )


async def case_file(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    flow = flow_of(request)
    data = await review_file.case_file(
        flow.intake,
        flow.sets,
        who=who,
        report_id=report_id_of(request),
        review_sla_s=request.app[SERVICES].settings.police_review_sla_s,
    )
    return json_response(CaseFile.model_validate(data))


async def list_articles(request: web.Request) -> web.Response:
    return json_response(ArticleList(articles=review_file.citable_articles(flow_of(request).sets)))


async def post_determination(request: web.Request) -> web.Response:
    body = await read_model(request, DeterminationCreate)
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    data = await fault_review.determine(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        shares=[s.model_dump() for s in body.shares],
        reason=body.reason,
        articles=list(body.articles),
        idem=idempotency_of(request, who, "determination"),
    )
    return state_response(data, 201)


async def post_determination_response(request: web.Request) -> web.Response:
    body = await read_model(request, DeterminationResponseCreate)
    who = principal(request)
    data = await fault_review.respond_to_determination(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        version=body.determination_version,
        response=body.response,
        reason=body.reason,
        idem=idempotency_of(request, who, "determination_response"),
        mutual=body.mutual_self_compensation,
    )
    return state_response(data)


async def post_court_request(request: web.Request) -> web.Response:
    body = await read_model(request, CourtRequestCreate)
    who = principal(request)
    data = await fault_review.ask_for_court(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        reason=body.reason,
        idem=idempotency_of(request, who, "court_request"),
    )
    return state_response(data, 201)


async def post_court_withdrawal(request: web.Request) -> web.Response:
    body = await read_model(request, CourtWithdrawalCreate)
    who = principal(request)
    data = await withdraw_court_request(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        reason=body.reason,
        idem=idempotency_of(request, who, "court_withdrawal"),
    )
    return state_response(data, 201)


_F = "/v1/reports/{report_id}/fault"
ROUTES = [
    Route(
        "GET",
        "/v1/police/reviews",
        list_reviews,
        "Reports waiting for a police determination, oldest first, with due times (police: their jurisdiction; "
        "admins: all)",
        auth=staff("police", "admin"),
        tag="police-review",
        responses={200: ReviewQueue},
    ),
    Route(
        "GET",
        "/v1/police/reviews/{report_id}",
        case_file,
        "The case file for the determination: both accounts side by side, photos with their EXIF time and place "
        "against the reported ones, the proposal and why, the review's due time, history, citable articles",
        auth=staff("police", "admin"),
        tag="police-review",
        responses={200: CaseFile},
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/police/articles",
        list_articles,
        "The articles a determination may cite: 程序规定 §60–§61 and every template row's legal basis",
        auth=staff("police", "admin"),
        tag="police-review",
        responses={200: ArticleList},
    ),
    Route(
        "POST",
        _F + "/determinations",
        post_determination,
        "Issue the determination (认定): liability per party, reason and the articles relied on",
        auth=staff("police"),
        tag="police-review",
        body=DeterminationCreate,
        responses={201: FaultStateRead},
        idempotent=True,
        errors=(409, 422),
    ),
    Route(
        "POST",
        _F + "/determination-responses",
        post_determination_response,
        "Accept or dispute the current determination",
        auth=(PARTY,),
        tag="police-review",
        body=DeterminationResponseCreate,
        responses={200: FaultStateRead},
        idempotent=True,
        errors=(409, 422),
    ),
    Route(
        "POST",
        _F + "/court-requests",
        post_court_request,
        "After disputing the determination, ask for court handling (offline mediation in exempt zones)",
        auth=(PARTY,),
        tag="police-review",
        body=CourtRequestCreate,
        responses={201: FaultStateRead},
        idempotent=True,
        errors=(409,),
    ),
    Route(
        "POST",
        _F + "/court-requests/withdrawal",
        post_court_withdrawal,
        "The party that asked for court handling withdraws the request; the court is told as an update",
        auth=(PARTY,),
        tag="police-review",
        body=CourtWithdrawalCreate,
        responses={201: FaultStateRead},
        idempotent=True,
        errors=(403, 409),
    ),
]

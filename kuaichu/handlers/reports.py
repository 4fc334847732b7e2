"""Report intake for drivers, and the report's audit trail for police and admins."""

from __future__ import annotations

from aiohttp import web

from accident import consent, participation, service
from kernel.audit import for_report
from kernel.errors import Forbidden
from kernel.identity import PhonePrincipal
from kuaichu.api import (
    PARTY,
    PHONE,
    Route,
    for_browser,
    json_response,
    principal,
    read_model,
    staff,
)
from kuaichu.intake import client_ip, idempotency_of, report_id_of
from kuaichu.keys import SERVICES
from schemas.reports import (
    AuditTrail,
    ConsentIn,
    ConsentState,
    JoinReferred,
    PartyAccess,
    ReportCreate,
    ReportCreated,
    ReportJoin,
    ReportRead,
    ShareCodeCreated,
)


async def create_report(request: web.Request) -> web.Response:
    body = await read_model(request, ReportCreate)
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    if who.host_phone_hash is not None:
        raise Forbidden(
            "在对方手机上只能加入并确认本起事故，请在自己的手机上报案",
            "On the other driver's phone you join and confirm their report; report from your own phone",
        )
    status, data = await service.create_report(
        request.app[SERVICES].intake,
        who=who,
        body=body,
        idem=idempotency_of(request, who, "create_report"),
    )
    return json_response(for_browser(request, data), status)


async def join_report(request: web.Request) -> web.Response:
    body = await read_model(request, ReportJoin)
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    status, data = await participation.join_report(
        request.app[SERVICES].intake,
        who=who,
        body=body,
        ip=client_ip(request),
        idem=idempotency_of(request, who, "join_report"),
    )
    return json_response(for_browser(request, data), status)


async def get_report(request: web.Request) -> web.Response:
    data = await service.read_report(
        request.app[SERVICES].intake, who=principal(request), report_id=report_id_of(request)
    )
    return json_response(data)


async def issue_share_code(request: web.Request) -> web.Response:
    data = await participation.reissue_share_code(
        request.app[SERVICES].intake, who=principal(request), report_id=report_id_of(request)
    )
    return json_response(data, 201)


async def submit_evidence(request: web.Request) -> web.Response:
    data = await participation.submit_evidence(
        request.app[SERVICES].intake, who=principal(request), report_id=report_id_of(request)
    )
    return json_response(data)


async def update_consent(request: web.Request) -> web.Response:
    body = await read_model(request, ConsentIn)
    data = await consent.update_consent(
        request.app[SERVICES].intake,
        who=principal(request),
        report_id=report_id_of(request),
        consent=body,
    )
    return json_response(data)


async def audit_trail(request: web.Request) -> web.Response:
    report_id = report_id_of(request)
    intake = request.app[SERVICES].intake
    async with intake.pool.acquire() as conn:
        await service.access(conn, principal(request), report_id)
        rows = await for_report(conn, report_id=report_id)
    events = [{**dict(r), "at": r["at"].isoformat()} for r in rows]
    return json_response({"report_id": str(report_id), "events": events})


_REPORT = "/v1/reports/{report_id}"
ROUTES = [
    Route(
        "POST",
        "/v1/reports",
        create_report,
        "Party A opens a report (eligibility, location, vehicle, driver)",
        auth=(PHONE,),
        tag="reports",
        body=ReportCreate,
        responses={201: ReportCreated},
        idempotent=True,
        errors=(409, 429),
    ),
    Route(
        "POST",
        "/v1/reports/join",
        join_report,
        "Another party joins with the share code",
        auth=(PHONE,),
        tag="reports",
        body=ReportJoin,
        responses={201: PartyAccess, 200: JoinReferred},
        idempotent=True,
        errors=(409, 429),
    ),
    Route(
        "GET",
        _REPORT,
        get_report,
        "The report as this caller may see it",
        auth=(PARTY, *staff("police", "admin")),
        tag="reports",
        responses={200: ReportRead},
    ),
    Route(
        "POST",
        _REPORT + "/share-code",
        issue_share_code,
        "A fresh share code (older ones stop working)",
        auth=(PARTY,),
        tag="reports",
        responses={201: ShareCodeCreated},
        errors=(409,),
    ),
    Route(
        "POST",
        _REPORT + "/submit",
        submit_evidence,
        "Leave the draft stage once the required photos are in",
        auth=(PARTY,),
        tag="reports",
        responses={200: ReportRead},
        errors=(409,),
    ),
    Route(
        "POST",
        _REPORT + "/consent",
        update_consent,
        "Give or withdraw this party's consent to sharing the case (the latest one counts)",
        auth=(PARTY,),
        tag="reports",
        body=ConsentIn,
        responses={200: ConsentState},
    ),
    Route(
        "GET",
        _REPORT + "/audit",
        audit_trail,
        "Every state change of the report (append-only)",
        auth=staff("police", "admin"),
        tag="reports",
        responses={200: AuditTrail},
    ),
]

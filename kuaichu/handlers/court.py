"""The court link: the court's callbacks, delivery state per case for the court, police and operators, an
operator's corrected revision, and the parties' summary on their report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from accident import repository as accident_repo
from accident.fault_flow import court_message
from accident.fault_review_repository import zone_exemption
from accident.model import Status
from accident.service import access
from court_bridge import callbacks, service, views
from court_bridge.errors import CallbackTooLarge, CallbackTooSlow, CaseNotFound
from kuaichu.api import (
    PARTY,
    PUBLIC,
    Route,
    json_response,
    parse_model,
    principal,
    read_model,
    staff,
)
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from schemas.court import (
    CallbackAck,
    CaseList,
    CaseQuery,
    CaseRead,
    CaseSummary,
    CaseWithPhotos,
    CourtCallback,
    RevisionCreate,
)


def bridge_of(request: web.Request) -> service.CourtBridge:
    return request.app[SERVICES].court


async def court_callback(request: web.Request) -> web.Response:
    """Size first (413 before reading), the body within a time limit (408), the signature (401 before anything
    is parsed), then the body, then once per webhook-id."""
    s = request.app[SERVICES]
    raw = await _bounded_body(
        request,
        limit=s.settings.court_callback_max_bytes,
        timeout_s=s.settings.court_callback_read_timeout_s,
    )
    webhook_id = callbacks.verify(
        secret=s.settings.court_inbound_secret.get_secret_value(), raw=raw, headers=request.headers
    )
    body = parse_model(request, raw, CourtCallback)
    return json_response(await callbacks.process(s.pool, webhook_id=webhook_id, callback=body))


async def _bounded_body(request: web.Request, *, limit: int, timeout_s: float) -> bytes:
    """The whole body, refused when it is larger than `limit` or has not arrived within `timeout_s`."""
    too_large = CallbackTooLarge(
        f"法院回调不能超过{limit // 1024}KB", f"A court callback may be at most {limit // 1024} KB"
    )
    if (request.content_length or 0) > limit:
        raise too_large
    buf = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            while chunk := await request.content.read(limit + 1 - len(buf)):
                buf += chunk
                if len(buf) > limit:  # chunked bodies carry no Content-Length
                    raise too_large
    except TimeoutError:
        raise CallbackTooSlow(
            f"请求内容须在{timeout_s:g}秒内传完", f"Send the whole body within {timeout_s:g} s"
        ) from None
    return bytes(buf)


async def list_cases(request: web.Request) -> web.Response:
    q = CaseQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        cases = await views.listing(conn, state=q.state, limit=q.limit)
    return json_response(CaseList.model_validate({"cases": cases}))


async def get_case(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        view = await views.case_view(conn, package_id=request.match_info["package_id"])
        if view is None:
            raise CaseNotFound()
        photos = await views.photo_links(
            conn, bridge_of(request), report_id=view["report_id"], now=datetime.now(UTC)
        )
    return json_response(CaseWithPhotos.model_validate({**view, "photos": photos}))


async def post_revision(request: web.Request) -> web.Response:
    body = await read_model(request, RevisionCreate)
    package_id = request.match_info["package_id"]
    pool = request.app[SERVICES].pool
    async with pool.acquire() as conn, conn.transaction():
        await service.resend(
            conn,
            bridge_of(request),
            package_id=package_id,
            reason=body.reason,
            corrections=[(c.pointer, c.value) for c in body.corrections],
            actor=principal(request).actor,
            now=datetime.now(UTC),
        )
        view = await views.case_view(conn, package_id=package_id)
    return json_response(CaseRead.model_validate(view), 201)


async def report_court(request: web.Request) -> web.Response:
    report_id = report_id_of(request)
    async with request.app[SERVICES].pool.acquire() as conn:
        await access(conn, principal(request), report_id)
        view = await views.case_of_report(conn, report_id=report_id)
        report = await accident_repo.report(conn, report_id=report_id)
        offline = None
        if report is not None and report["status"] == Status.OFFLINE_MEDIATION:
            zone = await zone_exemption(conn, zone_id=report["zone_id"])
            offline = court_message(
                outcome=Status.OFFLINE_MEDIATION,
                zone=zone["name"],
                exempt_reason=zone["exempt_reason"],
            )
    return json_response(CaseSummary.model_validate(views.party_summary(report_id, view, offline)))


_CASE = "/v1/court/cases/{package_id}"
ROUTES = [
    Route(
        "POST",
        "/v1/court/callbacks",
        court_callback,
        "The court platform's callbacks (Standard Webhooks, inbound court secret, at most "
        "KUAICHU_COURT_CALLBACK_MAX_BYTES): once per webhook-id; a case number other than the package's → 422 "
        "case-number-mismatch (kept for operators); a sequence at or below the last applied one, or a stage "
        "behind the case's → 200 recorded_not_applied; a sequence more than 1,000 above the last applied → 422",
        auth=(PUBLIC,),
        tag="court",
        body=CourtCallback,
        responses={200: CallbackAck},
        errors=(401, 404, 408, 413, 415, 422),
    ),
    Route(
        "GET",
        "/v1/court/cases",
        list_cases,
        "Court cases with their delivery state (parked, queued, delivered)",
        auth=staff("court", "police", "admin"),
        tag="court",
        query=CaseQuery,
        responses={200: CaseList},
    ),
    Route(
        "GET",
        _CASE,
        get_case,
        "One court case: revisions, updates in order, attempts, the court's events, "
        "and freshly signed links to the report's photos (renewing the package's, whose bytes never change)",
        auth=staff("court", "police", "admin"),
        tag="court",
        responses={200: CaseWithPhotos},
        errors=(404,),
    ),
    Route(
        "POST",
        "/v1/admin/court/cases/{package_id}/revisions",
        post_revision,
        "Correct a package the court refused and send it again as the next revision (new Idempotency-Key)",
        auth=staff("admin"),
        tag="court",
        body=RevisionCreate,
        responses={201: CaseRead},
        errors=(404, 409, 422),
    ),
    Route(
        "GET",
        "/v1/reports/{report_id}/court",
        report_court,
        "Where the report's court case is, in plain words, with the court's events",
        auth=(PARTY, *staff("police", "admin")),
        tag="court",
        responses={200: CaseSummary},
    ),
]

"""What the driver's pages need besides the flow's own endpoints: a report's status summary for a party, and
drafts saved at every step (per phone before a report exists, per party in a report)."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from accident.drafts import delete_draft, party_scope, phone_scope, read_draft, save_draft
from accident.errors import ReportNotFound
from accident.service import access
from kernel.identity import PhonePrincipal, Principal
from kuaichu.api import PARTY, PHONE, Route, json_response, principal, read_model
from kuaichu.context import Services
from kuaichu.driver_status import report_status
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from schemas.driver import DraftPut, DraftRead, ReportStatus


async def get_status(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    out = await report_status(
        s.pool,
        who=principal(request),
        report_id=report_id_of(request),
        max_photos=s.settings.max_photos_per_report,
    )
    return json_response(ReportStatus.model_validate(out), headers={"Cache-Control": "no-store"})


async def _party_scope(s: Services, who: Principal, report_id: UUID) -> str:
    async with s.pool.acquire() as conn:
        viewer = await access(conn, who, report_id)
    if viewer.party_id is None:
        raise ReportNotFound()
    return party_scope(viewer.party_id)


def _phone_scope(who: Principal) -> str:
    assert isinstance(who, PhonePrincipal)  # the route admits phone sessions only
    return phone_scope(who.phone_hash)


async def _read(s: Services, scope: str) -> web.Response:
    async with s.pool.acquire() as conn:
        out = await read_draft(conn, s.keyring, scope=scope, now=s.intake.now())
    return json_response(DraftRead.model_validate(out), headers={"Cache-Control": "no-store"})


async def _save(request: web.Request, scope: str, report_id: UUID | None) -> web.Response:
    s = request.app[SERVICES]
    body = await read_model(request, DraftPut)
    async with s.pool.acquire() as conn:
        out = await save_draft(
            conn,
            s.keyring,
            scope=scope,
            report_id=report_id,
            step=body.step,
            data=body.data,
            based_on=body.based_on,
            now=s.intake.now(),
            ttl_s=s.settings.draft_ttl_s,
        )
    return json_response(DraftRead.model_validate(out))


async def _delete(s: Services, scope: str) -> web.Response:
    async with s.pool.acquire() as conn:
        await delete_draft(conn, scope=scope)
    return web.Response(status=204)


async def get_phone_draft(request: web.Request) -> web.Response:
    return await _read(request.app[SERVICES], _phone_scope(principal(request)))


async def put_phone_draft(request: web.Request) -> web.Response:
    return await _save(request, _phone_scope(principal(request)), None)


async def delete_phone_draft(request: web.Request) -> web.Response:
    return await _delete(request.app[SERVICES], _phone_scope(principal(request)))


async def get_party_draft(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    return await _read(s, await _party_scope(s, principal(request), report_id_of(request)))


async def put_party_draft(request: web.Request) -> web.Response:
    s, report_id = request.app[SERVICES], report_id_of(request)
    return await _save(request, await _party_scope(s, principal(request), report_id), report_id)


async def delete_party_draft(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    return await _delete(s, await _party_scope(s, principal(request), report_id_of(request)))


_DRAFT_NOTE = (
    " Saved encrypted, kept 7 days after the last save (KUAICHU_DRAFT_TTL_S). What the flow's own "
    "endpoints save needs no draft: the report (location, vehicle, licence, insurer, eligibility, "
    "consent) once created, photos (resumable uploads resume by themselves), accounts of the facts, "
    "answers and signatures."
)
_PHONE_DRAFT = "/v1/me/draft"
_PARTY_DRAFT = "/v1/reports/{report_id}/parties/me/draft"
ROUTES = [
    Route(
        "GET",
        "/v1/reports/{report_id}/status",
        get_status,
        "A report as a status page shows it to one party: phase, what to do next, the other party, photos, "
        "fault, police review, assessment, claims, court, the texts sent to you",
        auth=(PARTY,),
        tag="reports",
        responses={200: ReportStatus},
    ),
    Route(
        "GET",
        _PHONE_DRAFT,
        get_phone_draft,
        "The draft this phone saved before its report exists (404 if none)",
        auth=(PHONE,),
        tag="drafts",
        responses={200: DraftRead},
        description=(
            "One draft per phone, for the steps before `POST /v1/reports` or `POST /v1/reports/join`: "
            "eligibility answers, location, vehicle, licence, insurer, a share code." + _DRAFT_NOTE
        ),
    ),
    Route(
        "PUT",
        _PHONE_DRAFT,
        put_phone_draft,
        "Save this phone's draft (a save based on an older revision → 409)",
        auth=(PHONE,),
        tag="drafts",
        body=DraftPut,
        responses={200: DraftRead},
        errors=(409,),
    ),
    Route(
        "DELETE",
        _PHONE_DRAFT,
        delete_phone_draft,
        "Forget this phone's draft (e.g. once the report is created)",
        auth=(PHONE,),
        tag="drafts",
        responses={204: None},
    ),
    Route(
        "GET",
        _PARTY_DRAFT,
        get_party_draft,
        "Your draft in this report (404 if none)",
        auth=(PARTY,),
        tag="drafts",
        responses={200: DraftRead},
        description=(
            "One draft per party of a report, for what is typed before it is sent: a half-answered "
            "questionnaire of the facts, a dispute reason, the step reached." + _DRAFT_NOTE
        ),
    ),
    Route(
        "PUT",
        _PARTY_DRAFT,
        put_party_draft,
        "Save your draft in this report (older revision → 409)",
        auth=(PARTY,),
        tag="drafts",
        body=DraftPut,
        responses={200: DraftRead},
        errors=(409,),
    ),
    Route(
        "DELETE",
        _PARTY_DRAFT,
        delete_party_draft,
        "Forget your draft in this report",
        auth=(PARTY,),
        tag="drafts",
        responses={204: None},
    ),
]

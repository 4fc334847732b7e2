"""Insurers' own systems: their claims and the callbacks on them; the overdue list for police, court and admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel

from accident.service import access
from claims import repository as repo
from claims.callbacks import apply_callback
from claims.disagreement import record_disagreement
from claims.errors import ClaimNotFound
from claims.service import photo_links
from claims.views import claim_view, insurer_claims, overdue_list
from kernel.identity import InsurerPrincipal
from kuaichu.api import INSURER, PARTY, Route, json_response, principal, read_model, staff
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from schemas.claims import (
    AssessmentCreate,
    ClaimList,
    ClaimRead,
    ClaimWithPhotos,
    DecisionCreate,
    DisagreementCreate,
    DisagreementRecorded,
    DocumentsUpdate,
    ListQuery,
    OverdueQuery,
    PaymentCreate,
    PayoutAgreementCreate,
    WithdrawalCreate,
)


def _claim_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["claim_id"])
    except ValueError:
        raise ClaimNotFound() from None


def _insurer(request: web.Request) -> InsurerPrincipal:
    who = principal(request)
    assert isinstance(who, InsurerPrincipal)
    return who


def callback(kind: str, model: type[BaseModel]):
    async def handler(request: web.Request) -> web.Response:
        body = await read_model(request, model)
        status, view = await apply_callback(request.app[SERVICES].claims, who=_insurer(request),
                                            claim_id=_claim_id(request), kind=kind, body=body)
        return json_response(view, status)

    handler.__name__ = f"insurer_{kind}"  # routes are named after their handlers
    return handler


async def list_claims(request: web.Request) -> web.Response:
    q = ListQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await insurer_claims(conn, insurer_code=_insurer(request).insurer_code, limit=q.limit)
    return json_response({"claims": rows})


async def get_claim(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        c = await repo.claim(conn, claim_id=_claim_id(request))
        calendar = await repo.holiday_calendar(conn)
        if c is None or c["insurer_code"] != _insurer(request).insurer_code:
            raise ClaimNotFound("没有该理赔案件，或不属于贵公司", "No such claim for this insurer")
        photos = photo_links(request.app[SERVICES].claims, report_id=c["report_id"],
                             photos=await repo.photos(conn, report_id=c["report_id"]), insurer_code=c["insurer_code"])
    return json_response({**claim_view(c, now=datetime.now(UTC), calendar=calendar), "photos": photos})


async def overdue(request: web.Request) -> web.Response:
    q = OverdueQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await overdue_list(conn, insurer_code=q.insurer, limit=q.limit)
    return json_response({"claims": rows})


_C = "/v1/insurer/claims/{claim_id}"
_CALLBACKS = [
    ("documents", DocumentsUpdate, "Documents listed for the claimant (§28) or received complete"),
    ("assessment", AssessmentCreate, "The assessment (定损): items, total, photos; a later one revises it"),
    ("decision", DecisionCreate, "Covered or not (§29; a refusal gives its reason)"),
    ("payout_agreement", PayoutAgreementCreate, "The payout agreed with the claimant (payment due in 10 days)"),
    ("payment", PaymentCreate, "The payment made; the claim closes"),
    ("withdrawal", WithdrawalCreate, "The claimant withdrew the claim"),
]
async def post_disagreement(request: web.Request) -> web.Response:
    """The claimant (the damaged vehicle's party) disagrees with the insurer's decision on their claim."""
    body = await read_model(request, DisagreementCreate)
    report_id, pool = report_id_of(request), request.app[SERVICES].pool
    async with pool.acquire() as conn:
        viewer = await access(conn, principal(request), report_id)
    if viewer.party_id is None:
        raise ClaimNotFound("没有您的这一理赔案件", "No claim of yours with this id")
    recorded = await record_disagreement(pool, report_id=report_id, party_id=viewer.party_id,
                                         claim_id=_claim_id(request), reason=body.reason)
    return json_response(DisagreementRecorded.model_validate(recorded), 201)


ROUTES = [
    Route("POST", "/v1/reports/{report_id}/claims/{claim_id}/disagreements", post_disagreement,
          "The claimant records a disagreement with the insurer's decision (the court case hears of it); the "
          "answer names the legal remedies it does not replace. The same reason again answers the same record.",
          auth=(PARTY,), tag="claims", body=DisagreementCreate, responses={201: DisagreementRecorded},
          errors=(404, 409)),
    Route("GET", "/v1/insurer/claims", list_claims, "This insurer's claims, newest first, with deadlines",
          auth=(INSURER,), tag="insurers", query=ListQuery, responses={200: ClaimList}),
    Route("GET", _C, get_claim, "One of this insurer's claims, with freshly signed links to the report's photos "
          "(where a webhook's expired links are renewed: a webhook's body never changes between attempts)",
          auth=(INSURER,), tag="insurers", responses={200: ClaimWithPhotos}, errors=(404,)),
    *[Route("POST", f"{_C}/{kind.replace('_', '-')}", callback(kind, model), summary, auth=(INSURER,), tag="insurers",
            body=model, responses={201 if kind == "assessment" else 200: ClaimRead}, errors=(404, 409))
      for kind, model, summary in _CALLBACKS],
    Route("GET", "/v1/claims/overdue", overdue, "Open claims with a §28–§29 deadline past due",
          auth=staff("admin", "police", "court"), tag="claims", query=OverdueQuery, responses={200: ClaimList}),
]

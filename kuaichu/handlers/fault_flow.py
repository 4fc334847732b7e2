"""The fault flow of a report for its parties: accounts, the proposal, answers, signing and the agreement."""

from __future__ import annotations

from aiohttp import web

from accident import fault_signing
from accident.fault_flow import FaultFlow, respond_to_proposal, submit_account
from accident.fault_view import read_fault
from kuaichu.api import PARTY, Route, json_response, principal, read_model, staff
from kuaichu.intake import idempotency_of, report_id_of
from kuaichu.keys import SERVICES
from schemas.fault_flow import (
    AccountCreate,
    CodeSent,
    FaultStateRead,
    ProposalResponseCreate,
    SignatureCreate,
)


def flow_of(request: web.Request) -> FaultFlow:
    return request.app[SERVICES].fault_flow


def state_response(data: dict, status: int = 200) -> web.Response:
    return json_response(FaultStateRead.model_validate(data), status)


async def get_fault(request: web.Request) -> web.Response:
    flow = flow_of(request)
    return state_response(
        await read_fault(flow.intake.pool, who=principal(request), report_id=report_id_of(request))
    )


async def put_account(request: web.Request) -> web.Response:
    body = await read_model(request, AccountCreate)
    data = await submit_account(
        flow_of(request),
        who=principal(request),
        report_id=report_id_of(request),
        label=request.match_info["label"],
        account=body.model_dump(mode="json", exclude_none=True),
    )
    return state_response(data)


async def post_response(request: web.Request) -> web.Response:
    body = await read_model(request, ProposalResponseCreate)
    who = principal(request)
    data = await respond_to_proposal(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        version=body.proposal_version,
        response=body.response,
        reason=body.reason,
        idem=idempotency_of(request, who, "fault_response"),
    )
    return state_response(data)


async def post_signing_code(request: web.Request) -> web.Response:
    data = await fault_signing.request_signing_code(
        flow_of(request), who=principal(request), report_id=report_id_of(request)
    )
    return json_response(CodeSent.model_validate(data), 202)


async def post_signature(request: web.Request) -> web.Response:
    body = await read_model(request, SignatureCreate)
    who = principal(request)
    data = await fault_signing.sign(
        flow_of(request),
        who=who,
        report_id=report_id_of(request),
        version=body.proposal_version,
        code=body.code,
        mutual=body.mutual_self_compensation,
        image_b64=body.signature_png_base64,
        idem=idempotency_of(request, who, "fault_signature"),
    )
    return state_response(data)


async def get_agreement(request: web.Request) -> web.Response:
    row = await fault_signing.agreement(
        flow_of(request), who=principal(request), report_id=report_id_of(request)
    )
    return web.Response(
        body=row["document"],
        content_type="application/json",
        headers={"ETag": f'"{row["json_sha256"]}"', "X-Content-SHA256": row["json_sha256"]},
    )


async def get_agreement_pdf(request: web.Request) -> web.Response:
    report_id = report_id_of(request)
    row = await fault_signing.agreement(
        flow_of(request), who=principal(request), report_id=report_id, pdf=True
    )
    return web.Response(
        body=row["pdf"],
        content_type="application/pdf",
        headers={
            "ETag": f'"{row["pdf_sha256"]}"',
            "X-Content-SHA256": row["pdf_sha256"],
            "Content-Disposition": f'attachment; filename="agreement-{report_id}.pdf"',
        },
    )


_F = "/v1/reports/{report_id}/fault"
_READERS = (PARTY, *staff("police", "admin"))
ROUTES = [
    Route(
        "GET",
        _F,
        get_fault,
        "The fault flow: accounts, proposal, answers, signatures, determination, court",
        auth=_READERS,
        tag="fault-flow",
        responses={200: FaultStateRead},
    ),
    Route(
        "PUT",
        _F + "/accounts/{label}",
        put_account,
        "Submit or change this party's own account (its facts and its view of the context)",
        auth=(PARTY,),
        tag="fault-flow",
        body=AccountCreate,
        responses={200: FaultStateRead},
        errors=(403, 409, 422),
    ),
    Route(
        "POST",
        _F + "/responses",
        post_response,
        "Accept or dispute the current proposal version",
        auth=(PARTY,),
        tag="fault-flow",
        body=ProposalResponseCreate,
        responses={200: FaultStateRead},
        idempotent=True,
        errors=(409, 422),
    ),
    Route(
        "POST",
        _F + "/signing-code",
        post_signing_code,
        "Text this party a one-time code to sign with",
        auth=(PARTY,),
        tag="fault-flow",
        responses={202: CodeSent},
        errors=(409, 429, 503),
    ),
    Route(
        "POST",
        _F + "/signatures",
        post_signature,
        "Sign the accepted proposal with the texted code",
        auth=(PARTY,),
        tag="fault-flow",
        body=SignatureCreate,
        responses={200: FaultStateRead},
        idempotent=True,
        errors=(409, 410, 422, 429),
    ),
    Route(
        "GET",
        "/v1/reports/{report_id}/agreement",
        get_agreement,
        "The signed 自行协商协议书 as JSON (its SHA-256 in X-Content-SHA256)",
        auth=_READERS,
        tag="fault-flow",
        raw_response={200: "application/json"},
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/reports/{report_id}/agreement.pdf",
        get_agreement_pdf,
        "The signed 自行协商协议书 as a printable PDF",
        auth=_READERS,
        tag="fault-flow",
        raw_response={200: "application/pdf"},
        errors=(404,),
    ),
]

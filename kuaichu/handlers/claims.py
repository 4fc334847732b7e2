"""Insurers' own systems: their claims and the callbacks on them; the overdue list for police, court and admin."""

from __future__ import annotations

import uuid
from functools import partial

from aiohttp import web
from pydantic import BaseModel

from accident.photo_service import PhotoLimits
from accident.service import access
from claims import repository as repo
from claims.callbacks import apply_callback
from claims.disagreement import record_disagreement
from claims.documents import give_consent, inspect_document, read_for_insurer
from claims.documents import upload as upload_document
from claims.errors import ClaimNotFound, DocumentNotFound
from claims.receipts import read_as_insurer
from claims.service import photo_links
from claims.views import driver_claims, overdue_list
from kernel.errors import InvalidInput, field
from kernel.identity import InsurerPrincipal
from kuaichu.api import INSURER, PARTY, Route, json_response, principal, read_model, staff
from kuaichu.handlers.photos import MalformedMultipart, PhotoTooLarge
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
    DocumentConsentCreate,
    DocumentConsentRead,
    DocumentsUpdate,
    DocumentUploaded,
    DriverClaimList,
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
        status, view = await apply_callback(
            request.app[SERVICES].claims,
            who=_insurer(request),
            claim_id=_claim_id(request),
            kind=kind,
            body=body,
        )
        return json_response(view, status)

    handler.__name__ = f"insurer_{kind}"  # routes are named after their handlers
    return handler


async def list_claims(request: web.Request) -> web.Response:
    """Reading the list is reading each claim in it: the receipt of the insurer's lines (交强险条例 §28)."""
    q = ListQuery.model_validate(dict(request.query))
    rows = await read_as_insurer(
        request.app[SERVICES].pool, insurer_code=_insurer(request).insurer_code, limit=q.limit
    )
    return json_response({"claims": rows})


async def get_claim(request: web.Request) -> web.Response:
    who, claim_id, services = _insurer(request), _claim_id(request), request.app[SERVICES]
    async with services.pool.acquire() as conn:
        if not await repo.insurer_reads(conn, claim_id=claim_id, insurer_code=who.insurer_code):
            raise ClaimNotFound("没有该理赔案件，或不属于贵公司", "No such claim for this insurer")
        photos = await repo.photos(
            conn, report_id=(await repo.claim(conn, claim_id=claim_id))["report_id"]
        )
    [view] = await read_as_insurer(
        services.pool, insurer_code=who.insurer_code, claim_ids=[claim_id]
    )
    links = photo_links(
        services.claims,
        report_id=uuid.UUID(view["report_id"]),
        photos=photos,
        insurer_code=who.insurer_code,
    )
    return json_response({**view, "photos": links})


async def get_document(request: web.Request) -> web.Response:
    """A document the claimant uploaded for this insurer's line; nobody else's (404)."""
    try:
        document_id = uuid.UUID(request.match_info["document_id"])
    except ValueError:
        raise DocumentNotFound() from None
    s = request.app[SERVICES]
    media_type, data, sha256 = await read_for_insurer(
        s.pool,
        s.keyring,
        insurer_code=_insurer(request).insurer_code,
        claim_id=_claim_id(request),
        document_id=document_id,
    )
    return web.Response(
        body=data,
        content_type=media_type,
        headers={"Cache-Control": "private, no-store", "X-Content-SHA256": sha256},
    )


async def overdue(request: web.Request) -> web.Response:
    q = OverdueQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await overdue_list(conn, insurer_code=q.insurer, limit=q.limit)
    return json_response({"claims": rows})


_C = "/v1/insurer/claims/{claim_id}"
_CALLBACKS = [
    (
        "documents",
        DocumentsUpdate,
        "On this insurer's line: the documents the claimant must provide, from the "
        "closed list (§28; more while awaited), none needed, declared complete, or paper items received",
    ),
    (
        "assessment",
        AssessmentCreate,
        "The assessment (定损): items, total, photos; a later one revises it",
    ),
    ("decision", DecisionCreate, "Covered or not (§29; a refusal gives its reason)"),
    (
        "payout_agreement",
        PayoutAgreementCreate,
        "The payout agreed with the claimant (payment due in 10 days)",
    ),
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
    recorded = await record_disagreement(
        pool,
        report_id=report_id,
        party_id=viewer.party_id,
        claim_id=_claim_id(request),
        reason=body.reason,
    )
    return json_response(DisagreementRecorded.model_validate(recorded), 201)


async def _claimant(request: web.Request) -> tuple[uuid.UUID, uuid.UUID]:
    """(report id, party id) of the driver asking about their own claims."""
    report_id = report_id_of(request)
    async with request.app[SERVICES].pool.acquire() as conn:
        viewer = await access(conn, principal(request), report_id)
    if viewer.party_id is None:
        raise ClaimNotFound("没有您的理赔案件", "No claim of yours on this report")
    return report_id, viewer.party_id


async def driver_claims_list(request: web.Request) -> web.Response:
    report_id, party_id = await _claimant(request)
    async with request.app[SERVICES].pool.acquire() as conn:
        claims = await driver_claims(conn, report_id=report_id, party_id=party_id)
    return json_response(DriverClaimList.model_validate({"claims": claims}))


async def post_document_consent(request: web.Request) -> web.Response:
    body = await read_model(request, DocumentConsentCreate)
    report_id, party_id = await _claimant(request)
    given = await give_consent(
        request.app[SERVICES].pool,
        report_id=report_id,
        party_id=party_id,
        claim_id=_claim_id(request),
        line_id=body.line_id,
        kind=body.kind,
        given=body.given,
    )
    return json_response(DocumentConsentRead.model_validate(given), 201)


async def _read_file(request: web.Request, max_bytes: int) -> bytes:
    """The `file` part of a multipart body, capped at max_bytes (the photo limit)."""
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput(
            "请以 multipart/form-data 上传材料",
            "Upload the document as multipart/form-data",
            errors=[field("#", "请以 multipart/form-data 方式上传", "Send multipart/form-data")],
        )
    data = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "file":
                buf = bytearray()
                while chunk := await part.read_chunk(256 * 1024):
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise PhotoTooLarge(
                            f"文件不能超过{max_bytes // (1024 * 1024)}MB",
                            f"A document may be at most {max_bytes // (1024 * 1024)} MB",
                        )
                data = bytes(buf)
    except (ValueError, AssertionError, LookupError, RuntimeError) as exc:
        raise MalformedMultipart(
            "上传内容不完整或格式错误，请重新上传",
            "The upload is incomplete or not multipart/form-data; upload it again",
            errors=[
                field(
                    "#", "请以完整的 multipart/form-data 上传", "Send complete multipart/form-data"
                )
            ],
        ) from exc
    if not data:
        raise InvalidInput(
            "请附上文件",
            "Attach the file",
            errors=[field("#/file", "请附上文件", "Attach the file")],
        )
    return data


async def post_document(request: web.Request) -> web.Response:
    """The claimant uploads one requested document (checked, then stored sealed)."""
    report_id, party_id = await _claimant(
        request
    )  # who may upload is known before the body is read
    try:
        request_id = uuid.UUID(request.match_info["request_id"])
    except ValueError:
        raise DocumentNotFound() from None
    s = request.app[SERVICES]
    data = await _read_file(request, s.settings.max_photo_bytes)
    check = partial(
        inspect_document,
        max_pixels=s.settings.max_image_pixels,
        max_full_decode_pixels=s.settings.max_full_decode_pixels,
    )
    cfg = s.settings
    limits = PhotoLimits(
        max_photos=cfg.max_photos_per_report,
        max_bytes=cfg.max_photo_bytes_per_report,
        max_pixels=cfg.max_image_pixels,
        max_full_decode_pixels=cfg.max_full_decode_pixels,
    )
    status, body = await upload_document(
        s.pool,
        s.keyring,
        report_id=report_id,
        party_id=party_id,
        claim_id=_claim_id(request),
        request_id=request_id,
        data=data,
        check=check,
        limits=limits,
        check_in=s.image_executor,
    )
    return json_response(DocumentUploaded.model_validate(body), status)


_MY = "/v1/reports/{report_id}/claims"
_DOCUMENT_UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "JPEG or PNG image, or PDF; at most the photo size limit",
        }
    },
}

ROUTES = [
    Route(
        "GET",
        _MY,
        driver_claims_list,
        "Your claims on this report (driver): each line with its insurer's name and status, the documents it "
        "asked for and whether they are in, its deadlines (provisional ones say so), the amounts owed, agreed "
        "and paid, and the legal remedies you keep",
        auth=(PARTY,),
        tag="claims",
        responses={200: DriverClaimList},
        errors=(404,),
    ),
    Route(
        "POST",
        _MY + "/{claim_id}/document-consents",
        post_document_consent,
        "Your separate consent (个人信息保护法 art. 29) to hand your ID card or bank account document to one "
        "line's insurer, or its withdrawal; needed before uploading such a document",
        auth=(PARTY,),
        tag="claims",
        body=DocumentConsentCreate,
        responses={201: DocumentConsentRead},
        errors=(404,),
    ),
    Route(
        "POST",
        _MY + "/{claim_id}/documents/{request_id}",
        post_document,
        "Upload a document an insurer requested (image or PDF, photo limits; checked first, stored encrypted; "
        "only that line's insurer reads it). The same file again answers the stored upload (200)",
        auth=(PARTY,),
        tag="claims",
        multipart=_DOCUMENT_UPLOAD,
        responses={201: DocumentUploaded, 200: DocumentUploaded},
        errors=(403, 404, 409, 413, 415, 422),
    ),
    Route(
        "GET",
        _C + "/documents/{document_id}",
        get_document,
        "A document the claimant uploaded for this insurer's line (404 for anyone else; 403 once the claimant "
        "withdrew the consent an ID card or bank document needs)",
        auth=(INSURER,),
        tag="insurers",
        raw_response={200: "application/octet-stream"},
        errors=(403, 404),
    ),
    Route(
        "POST",
        "/v1/reports/{report_id}/claims/{claim_id}/disagreements",
        post_disagreement,
        "The claimant records a disagreement with the insurer's decision (the court case hears of it); the "
        "answer names the legal remedies it does not replace. The same reason again answers the same record.",
        auth=(PARTY,),
        tag="claims",
        body=DisagreementCreate,
        responses={201: DisagreementRecorded},
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/v1/insurer/claims",
        list_claims,
        "Every claim on which this insurer has a line, and its insured's own, newest first, with its line's "
        "deadlines; reading one is the receipt of the application (交强险条例 §28) if its claim.opened was "
        "not delivered before",
        auth=(INSURER,),
        tag="insurers",
        query=ListQuery,
        responses={200: ClaimList},
    ),
    Route(
        "GET",
        _C,
        get_claim,
        "A claim on which this insurer has a line (or its insured's own; the read is the "
        "line's receipt, §28), with freshly signed links to the report's photos "
        "(where a webhook's expired links are renewed: a webhook's body never changes between attempts)",
        auth=(INSURER,),
        tag="insurers",
        responses={200: ClaimWithPhotos},
        errors=(404,),
    ),
    *[
        Route(
            "POST",
            f"{_C}/{kind.replace('_', '-')}",
            callback(kind, model),
            summary,
            auth=(INSURER,),
            tag="insurers",
            body=model,
            responses={201 if kind == "assessment" else 200: ClaimRead},
            errors=(404, 409),
        )
        for kind, model, summary in _CALLBACKS
    ],
    Route(
        "GET",
        "/v1/claims/overdue",
        overdue,
        "Open lines with a §28–§29 deadline past due, one entry each",
        auth=staff("admin", "police", "court"),
        tag="claims",
        query=OverdueQuery,
        responses={200: ClaimList},
    ),
]

"""Documents a line's insurer requested, uploaded by the claimant and read by that insurer only.

An upload is an image (JPEG or PNG, the photo limits) or a PDF, checked before anything is stored; the bytes
are sealed with the Keyring (personal data at rest) in the transaction that records them. ID card and bank
account documents need the claimant's separate consent first (个人信息保护法 art. 29), per line (the insurer who
receives them, art. 23) and kind; withdrawing it stops further uploads and the insurer's reads. The last
requested item in completes the documents, and 交强险条例 §29's five days run from then whether or not the
insurer declares them complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import pypdf

from accident.photo_service import PhotoLimits
from accident.photos import NotAnImage, inspect_upload
from accident.repository import parties_without_sharing
from claims import repository as repo
from claims.callbacks import complete_if_all_in
from claims.documents_model import DOCUMENT_NAMES, SENSITIVE_KINDS
from claims.errors import (
    ClaimNotFound,
    ClaimTransitionRefused,
    DocumentConsentRequired,
    DocumentNotFound,
    DocumentQuotaExceeded,
    NotADocument,
)
from claims.lines import LINE_TERMINAL
from claims.webhooks import enqueue_insurer_event
from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring

PDF_MEDIA_TYPE = "application/pdf"


def check_pdf(data: bytes) -> None:
    """A PDF that parses (pypdf reads its cross-reference table and page tree; no page is rendered)."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on damaged files: each one is a refusal
        raise NotADocument(
            "PDF 文件已损坏或无法读取，请重新导出后上传",
            "The PDF is damaged or unreadable: export it again and upload it",
        ) from exc
    if pages < 1:
        raise NotADocument("PDF 文件没有页面", "The PDF has no pages")


def inspect_document(
    data: bytes, *, max_pixels: int, max_full_decode_pixels: int
) -> tuple[str, str]:
    """(media type, sha256) of an acceptable upload; raises a DomainError for anything else."""
    if data.startswith(b"%PDF-"):
        check_pdf(data)
        return PDF_MEDIA_TYPE, hashlib.sha256(data).hexdigest()
    try:
        facts = inspect_upload(
            data, max_pixels=max_pixels, max_full_decode_pixels=max_full_decode_pixels
        )
    except NotAnImage:
        raise NotADocument() from None
    return facts.media_type, facts.sha256


async def _claimant_line(
    conn: asyncpg.Connection, *, report_id: UUID, party_id: UUID, claim_id: UUID, line_id: UUID
) -> Any:
    ln = await repo.line_by_id(conn, line_id=line_id)
    if (
        ln is None
        or ln["id"] != claim_id
        or ln["report_id"] != report_id
        or ln["party_id"] != party_id
    ):
        raise ClaimNotFound("没有您的这一理赔案件", "No claim of yours with this id")
    return ln


async def give_consent(
    pool: asyncpg.Pool,
    *,
    report_id: UUID,
    party_id: UUID,
    claim_id: UUID,
    line_id: UUID,
    kind: str,
    given: bool,
) -> dict[str, Any]:
    """The claimant's separate consent (or its withdrawal) to hand one kind of sensitive document to one line's
    insurer; appended and audited, the latest counts."""
    async with pool.acquire() as conn, conn.transaction():
        ln = await _claimant_line(
            conn, report_id=report_id, party_id=party_id, claim_id=claim_id, line_id=line_id
        )
        row = await repo.insert_document_consent(
            conn, line_id=line_id, party_id=party_id, kind=kind, given=given
        )
        action = "document_consent" if given else "document_consent_withdrawn"
        await record(
            conn,
            AuditEvent(
                "claim",
                str(claim_id),
                action,
                ("party", str(party_id)),
                report_id,
                {
                    "line_id": {"before": None, "after": str(line_id)},
                    "kind": {"before": None, "after": kind},
                    "given": {"before": None, "after": given},
                },
            ),
        )
    return {
        "id": str(row["id"]),
        "line_id": str(line_id),
        "insurer_code": ln["insurer_code"],
        "kind": kind,
        "given": given,
        "given_at": row["given_at"],
    }


async def upload(
    pool: asyncpg.Pool,
    keyring: Keyring,
    *,
    report_id: UUID,
    party_id: UUID,
    claim_id: UUID,
    request_id: UUID,
    data: bytes,
    check: Callable[[bytes], tuple[str, str]],
    limits: PhotoLimits,
    check_in: Executor | None = None,
) -> tuple[int, dict[str, Any]]:
    """Check the upload first (the photo limits: per file, and per claim what a report may hold), then store it
    sealed, tell the line's insurer, and complete the documents when it was the last item; the same bytes again
    for the same item answer the stored upload (200)."""
    async with pool.acquire() as conn:
        req = await _request_of_claimant(
            conn, report_id=report_id, party_id=party_id, claim_id=claim_id, request_id=request_id
        )
    media_type, sha256 = await asyncio.get_running_loop().run_in_executor(check_in, check, data)
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        await repo.claim(
            conn, claim_id=claim_id, lock=True
        )  # the claim, then its line: as callbacks lock them
        ln = await repo.line(conn, claim_id=claim_id, insurer_code=req["insurer_code"], lock=True)
        req = await _request_of_claimant(
            conn, report_id=report_id, party_id=party_id, claim_id=claim_id, request_id=request_id
        )  # again, under the line's lock
        if req["sha256"] == sha256:
            done = ln["status"] != "documents_requested"
            return 200, _uploaded(req, req["document_id"], req["uploaded_at"], complete=done)
        count, used = await repo.documents_stored(conn, claim_id=claim_id)
        if count + 1 > limits.max_photos or used + len(data) > limits.max_bytes:
            mb = limits.max_bytes / (1024 * 1024)
            raise DocumentQuotaExceeded(
                f"每个理赔案件最多上传{limits.max_photos}份、合计{mb:g}MB的材料（替换过的文件也计算在内）",
                f"A claim takes at most {limits.max_photos} uploads and {mb:g} MB together (replaced files count)",
                max_documents=limits.max_photos,
                max_bytes=limits.max_bytes,
            )
        row = await repo.insert_document(
            conn,
            request_id=request_id,
            party_id=party_id,
            media_type=media_type,
            size_bytes=len(data),
            sha256=sha256,
            sealed=keyring.seal(data),
        )
        await record(
            conn,
            AuditEvent(
                "claim",
                str(claim_id),
                "document_uploaded",
                ("party", str(party_id)),
                report_id,
                {
                    "line_id": {"before": None, "after": str(ln["line_id"])},
                    "request_id": {"before": None, "after": str(request_id)},
                    "kind": {"before": None, "after": req["kind"]},
                    "sha256": {"before": req["sha256"], "after": sha256},
                },
            ),
        )
        complete = await complete_if_all_in(conn, ln["line_id"], ("party", str(party_id)), now)
        complete = complete or ln["status"] not in ("opened", "documents_requested")
        await enqueue_insurer_event(
            conn,
            insurer_code=ln["insurer_code"],
            event_type="claim.document_uploaded",
            report_id=report_id,
            occurred_at=row["uploaded_at"],
            dedupe_key=str(row["id"]),
            data={
                "claim_id": str(claim_id),
                "report_id": str(report_id),
                "line_id": str(ln["line_id"]),
                "request_id": str(request_id),
                "document_id": str(row["id"]),
                "kind": req["kind"],
                "documents_complete": complete,
            },
        )
    return 201, _uploaded(
        req,
        row["id"],
        row["uploaded_at"],
        complete=complete,
        media_type=media_type,
        size=len(data),
        sha256=sha256,
    )


def _uploaded(
    req: Any,
    document_id: Any,
    at: datetime,
    *,
    complete: bool,
    media_type: str | None = None,
    size: int | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(document_id),
        "request_id": str(req["id"]),
        "kind": req["kind"],
        "media_type": media_type or req["media_type"],
        "size_bytes": size or req["size_bytes"],
        "sha256": sha256 or req["sha256"],
        "uploaded_at": at,
        "documents_complete": complete,
    }


async def _request_of_claimant(
    conn: asyncpg.Connection, *, report_id: UUID, party_id: UUID, claim_id: UUID, request_id: UUID
) -> Any:
    """The requested item on one of the claimant's own claims, if it may be uploaded now."""
    rows = await conn.fetch(
        """SELECT r.id, r.kind, r.on_paper, r.line_id, l.insurer_code, l.status, c.report_id, c.party_id,
                  d.id AS document_id, d.media_type, d.size_bytes, d.sha256, d.uploaded_at
           FROM claim_document_requests r JOIN claim_lines l ON l.id = r.line_id JOIN claims c ON c.id = l.claim_id
           LEFT JOIN LATERAL (SELECT id, media_type, size_bytes, sha256, uploaded_at FROM claim_documents x
                              WHERE x.request_id = r.id ORDER BY uploaded_at DESC, id LIMIT 1) d ON true
           WHERE r.id = $1::uuid AND c.id = $2::uuid""",
        request_id,
        claim_id,
    )
    if not rows or rows[0]["report_id"] != report_id or rows[0]["party_id"] != party_id:
        raise DocumentNotFound()
    req = rows[0]
    if req["status"] in LINE_TERMINAL:
        raise ClaimTransitionRefused(
            "该保险公司的理赔已结束，无需再上传材料",
            "This insurer's part of the claim has ended: nothing more to upload",
            status=req["status"],
        )
    if req["on_paper"]:
        raise ClaimTransitionRefused(
            "保险公司要求提交该材料的纸质原件，请交给保险公司",
            "The insurer asked for this document on paper: hand it over to the insurer",
            status=req["status"],
        )
    if req["kind"] in SENSITIVE_KINDS:
        consents = await repo.document_consents(conn, line_ids=[req["line_id"]])
        if not consents.get((req["line_id"], req["kind"])):
            zh, en = DOCUMENT_NAMES[req["kind"]]
            raise DocumentConsentRequired(
                f"{zh}属于敏感个人信息，上传前请先单独同意将其提供给该保险公司（《个人信息保护法》第二十九条）",
                f"Your {en} is sensitive personal information: give your separate consent to hand it to this "
                "insurer before uploading it (PIPL art. 29)",
                kind=req["kind"],
                line_id=str(req["line_id"]),
            )
    return req


async def read_for_insurer(
    pool: asyncpg.Pool, keyring: Keyring, *, insurer_code: str, claim_id: UUID, document_id: UUID
) -> tuple[str, bytes, str]:
    """(media type, bytes, sha256) of a document on the insurer's own line; anyone else: not found. Refused once
    the claimant withdrew its sharing consent (PIPL art. 23), or a sensitive one's separate consent (art. 29)."""
    async with pool.acquire() as conn:
        doc = await repo.document(conn, document_id=document_id)
        if doc is None or doc["claim_id"] != claim_id or doc["insurer_code"] != insurer_code:
            raise DocumentNotFound()
        if doc["label"] in await parties_without_sharing(conn, report_id=doc["report_id"]):
            raise DocumentConsentRequired(
                "申请人已撤回共享案件信息的同意（《个人信息保护法》第二十三条）",
                "The claimant withdrew consent to sharing the case (PIPL art. 23)",
            )
        if doc["kind"] in SENSITIVE_KINDS:
            consents = await repo.document_consents(conn, line_ids=[doc["line_id"]])
            if not consents.get((doc["line_id"], doc["kind"])):
                raise DocumentConsentRequired(
                    "申请人已撤回提供该材料的同意",
                    "The claimant withdrew consent to hand over this document",
                    kind=doc["kind"],
                )
    return doc["media_type"], keyring.unseal(bytes(doc["sealed"])), doc["sha256"]

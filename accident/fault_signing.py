"""Signing the accepted proposal with a one-time code, and the agreement (自行协商协议书) it produces.

程序规定 §21: the parties sign the agreement together. Each party confirms with a code texted to its own
phone (purpose "sign"), may add a drawn signature image, and says whether it opts in to 互碰自赔.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident import fault_flow_repository as frepo
from accident import identity
from accident import repository as repo
from accident.agreement import build_agreement
from accident.agreement_pdf import render_agreement_pdf
from accident.fault_errors import FaultInputRefused, NoAgreement, StaleVersion
from accident.fault_flow import (
    Acting,
    FaultFlow,
    acting_party,
    answer,
    enqueue_settled,
    replayed,
    set_status,
)
from accident.fault_view import fault_state
from accident.model import Status, ensure, not_allowed
from accident.photo_service import discard_unreferenced, store_content
from accident.photos import ImageTooLarge, verify_png
from accident.service import Idempotency, access
from accident.views import address, policy_number
from kernel import idempotency
from kernel.audit import AuditEvent, record
from kernel.canonical import canonical_json, sha256_hex
from kernel.errors import DomainError, NotFound, field
from kernel.identity import Principal
from kernel.masking import mask_phone

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000  # a full-screen signature pad on a phone is under 4 MP


async def _ready_to_sign(
    conn: asyncpg.Connection, a: Acting, version: int | None = None
) -> asyncpg.Record:
    """The proposal every party accepted; refused (409) before that, or when the caller saw another version."""
    ensure(
        a.status, frozenset({Status.PROPOSED}), action_zh="签署协议", action_en="sign the agreement"
    )
    proposal = await frepo.latest_proposal(conn, report_id=a.report["id"])
    assert proposal is not None
    if version is not None and version != proposal["version"]:
        raise StaleVersion(
            f"责任建议已更新为第{proposal['version']}版",
            f"The proposal is now v{proposal['version']}",
            current_version=proposal["version"],
        )
    answers = await frepo.responses(conn, report_id=a.report["id"], version=proposal["version"])
    if len({r["label"] for r in answers if r["response"] == "accept"}) < len(a.labels):
        raise not_allowed(
            a.status, action_zh="在各方接受前签署", action_en="sign before every party accepted"
        )
    return proposal


def _signature_png(encoded: str | None) -> bytes | None:
    """The drawn signature: a complete PNG of at most 512 KB and MAX_SIGNATURE_PIXELS, every pixel decodable
    (CPU work: run it in a thread)."""
    if encoded is None:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data.startswith(PNG_MAGIC) or len(data) > MAX_SIGNATURE_BYTES:
        raise _bad_signature(
            "不超过512KB的PNG图片", "a PNG of at most 512 KB", "not a PNG up to 512 KB"
        )
    try:
        verify_png(data, max_pixels=MAX_SIGNATURE_PIXELS)
    except ImageTooLarge as exc:
        raise _bad_signature(
            f"不超过{MAX_SIGNATURE_PIXELS // 1_000_000}百万像素的图片",
            f"an image of at most {MAX_SIGNATURE_PIXELS // 1_000_000} megapixels",
            f"{exc.extra.get('width')}×{exc.extra.get('height')} pixels is too large",
        ) from exc
    except DomainError as exc:
        raise _bad_signature(
            "完整、未损坏的PNG图片", "a complete, undamaged PNG", exc.code
        ) from exc
    return data


def _bad_signature(what_zh: str, what_en: str, detail: str) -> FaultInputRefused:
    """`detail` names what was wrong (for the English reader; the Chinese text says what is needed)."""
    return FaultInputRefused(
        f"签名图像须为{what_zh}",
        f"The signature must be {what_en}",
        errors=[
            field(
                "#/signature_png_base64",
                f"签名应为{what_zh}，请重新签名",
                f"The signature must be {what_en} ({detail}): sign again",
            )
        ],
    )


async def request_signing_code(
    flow: FaultFlow, *, who: Principal, report_id: UUID
) -> dict[str, Any]:
    """Text a signing code to the party's own phone, once every party accepted the proposal."""
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        a = await acting_party(conn, who, report_id)
        await _ready_to_sign(conn, a)
        party = next(
            p for p in await repo.parties(conn, report_id=report_id) if p["id"] == a.party_id
        )
    phone = flow.intake.keyring.decrypt(party["phone_enc"])
    challenge_id, expires_at = await identity.request_signing_code(
        flow.intake.pool,
        keyring=flow.intake.keyring,
        sender=flow.sms,
        policy=flow.otp,
        phone=phone,
        party_id=a.party_id,
    )
    return {
        "challenge_id": str(challenge_id),
        "expires_at": expires_at.isoformat(),
        "phone_masked": mask_phone(phone),
    }


async def sign(
    flow: FaultFlow,
    *,
    who: Principal,
    report_id: UUID,
    version: int,
    code: str,
    mutual: bool,
    image_b64: str | None,
    idem: Idempotency | None,
) -> dict[str, Any]:
    """Sign with the texted code; the last signature makes the report agreed and produces the agreement.

    The signature image is checked first and stored last, inside the signing transaction once nothing can refuse
    it: a refused signing leaves no file behind."""
    image = await asyncio.to_thread(_signature_png, image_b64)
    image_sha = sha256_hex(image) if image else None
    k = flow.intake.keyring
    # The code is checked (and a wrong one counted) in its own transaction, before the signing one: not inside
    # it, where it would hold a second pooled connection. It is spent inside the signing transaction, so any
    # failure after the check (rendering, a conflict, the database) rolls the spending back with the rest and
    # the same code signs again. A retry that was already answered gets that answer instead of a refusal.
    async with flow.intake.pool.acquire() as conn:
        if (
            idem is not None
            and (
                done := await idempotency.peek(
                    conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
                )
            )
            is not None
        ):
            return done.body
        async with conn.transaction():
            a = await acting_party(conn, who, report_id)
            signed = await frepo.signatures(conn, report_id=report_id, version=version)
            if any(s["party_id"] == a.party_id for s in signed):
                return await fault_state(
                    conn, report_id=report_id
                )  # signed already: a retry gets the state
            await _ready_to_sign(conn, a, version)
            party = next(
                p for p in await repo.parties(conn, report_id=report_id) if p["id"] == a.party_id
            )
    challenge = await identity.check_code(
        flow.intake.pool,
        keyring=k,
        policy=flow.otp,
        phone=k.decrypt(party["phone_enc"]),
        code=code,
        purpose="sign",
    )
    written = False
    try:
        async with flow.intake.pool.acquire() as conn, conn.transaction():
            if (stored := await replayed(conn, idem)) is not None:
                return stored
            # Spent here, inside the signing transaction: any failure below rolls back and gives the code back.
            await identity.consume_code(conn, challenge_id=challenge)
            a = await acting_party(conn, who, report_id)
            await _ready_to_sign(conn, a, version)
            now = flow.intake.now()
            await frepo.insert_signature(
                conn,
                report_id=report_id,
                version=version,
                party_id=a.party_id,
                image_sha256=image_sha,
                mutual=mutual,
                at=now,
            )
            await record(
                conn,
                AuditEvent(
                    "fault_signature",
                    f"{report_id}:{version}:{a.label}",
                    "signed",
                    a.actor,
                    report_id,
                    {
                        "proposal_version": {"before": None, "after": version},
                        "code_confirmed": {"before": None, "after": True},
                        "image_sha256": {"before": None, "after": image_sha},
                        "mutual_self_compensation": {"before": None, "after": mutual},
                    },
                ),
            )
            if (
                image is not None and image_sha is not None
            ):  # nothing refused it: stored before the PDF prints it
                written = await store_content(conn, flow.photos, image_sha, image)
            signed = await frepo.signatures(conn, report_id=report_id, version=version)
            if len(signed) >= len(a.labels):
                await _agree(conn, flow, a, version, signed, at=now)
            return await answer(conn, idem, report_id)
    except BaseException:
        if (
            written and image_sha is not None
        ):  # the commit itself failed: no signature refers to the file
            await discard_unreferenced(flow.intake.pool, flow.photos, image_sha)
        raise


async def _agree(
    conn: asyncpg.Connection,
    flow: FaultFlow,
    a: Acting,
    version: int,
    signed: list[asyncpg.Record],
    *,
    at: datetime,
) -> None:
    """Every party signed: the agreement (JSON + PDF, hashed), status agreed, report.settled queued."""
    report_id = a.report["id"]
    k = flow.intake.keyring
    proposal = await frepo.latest_proposal(conn, report_id=report_id)
    assert proposal is not None
    parties = [
        {
            "label": p["label"],
            "name": k.decrypt(p["name_enc"]),
            "id_kind": p["id_kind"],
            "id_number": k.decrypt(p["id_number_enc"]),
            "phone": k.decrypt(p["phone_enc"]),
            "plate": p["plate"],
            "vehicle_type": p["vehicle_type"],
            "insurer_code": p["insurer_code"],
            "policy_number": policy_number(p, k),
        }
        for p in await repo.parties(conn, report_id=report_id)
    ]
    accounts = {r["label"]: dict(r) for r in await frepo.accounts(conn, report_id=report_id)}
    report = {**dict(a.report), "address": address(a.report, k)}
    content = build_agreement(
        report=report,
        parties=parties,
        accounts=accounts,
        proposal=dict(proposal),
        signatures=[dict(s) for s in signed],
        insurers=await frepo.insurer_names(conn),
        created_at=at,
    )
    pdf = await asyncio.to_thread(
        render_agreement_pdf, content, await _signature_images(flow, signed)
    )
    document = canonical_json(content)
    json_sha, pdf_sha = sha256_hex(document), sha256_hex(pdf)
    # Both name the parties with their ID/licence numbers and phones: kept sealed like all personal data at rest.
    await frepo.insert_agreement(
        conn,
        report_id=report_id,
        version=version,
        content_enc=k.seal(document),
        json_sha256=json_sha,
        pdf_enc=k.seal(pdf),
        pdf_sha256=pdf_sha,
        at=at,
    )
    await record(
        conn,
        AuditEvent(
            "agreement",
            str(report_id),
            "created",
            a.actor,
            report_id,
            {
                "json_sha256": {"before": None, "after": json_sha},
                "pdf_sha256": {"before": None, "after": pdf_sha},
            },
        ),
    )
    await set_status(conn, a, Status.AGREED, a.actor, "agreed")
    await enqueue_settled(
        conn,
        report_id=report_id,
        outcome="agreed",
        version=version,
        shares=proposal["result"]["allocations"],
        opt_ins={s["label"]: s["mutual_self_compensation"] for s in signed},
    )


async def _signature_images(flow: FaultFlow, signed: list[asyncpg.Record]) -> dict[str, bytes]:
    """The drawn signatures by party label; one whose file is gone is printed as such, by its hash."""
    images = {}
    for s in signed:
        if s["image_sha256"]:
            try:
                images[s["label"]] = await flow.photos.read(s["image_sha256"])
            except NotFound:
                continue
    return images


async def agreement(
    flow: FaultFlow, *, who: Principal, report_id: UUID, pdf: bool = False
) -> dict[str, Any]:
    """The stored agreement for its parties, police and admins: `document` (the canonical JSON bytes that
    json_sha256 covers) or, with pdf=True, `pdf`, decrypted, and both hashes."""
    async with flow.intake.pool.acquire() as conn:
        await access(conn, who, report_id)
        row = await frepo.agreement(conn, report_id=report_id, with_pdf=pdf)
    if row is None:
        raise NoAgreement()
    k = flow.intake.keyring
    out = {"json_sha256": row["json_sha256"], "pdf_sha256": row["pdf_sha256"]}
    if pdf:  # rows written before sealing keep the PDF in the plain column
        out["pdf"] = k.unseal(row["pdf_enc"]) if row["pdf_enc"] is not None else bytes(row["pdf"])
    else:
        out["document"] = (
            k.unseal(row["content_enc"])
            if row["content_enc"] is not None
            else canonical_json(row["content"])
        )
    return out

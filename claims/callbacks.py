"""Insurer callbacks on their own lines of a claim: documents (§28), decision and payout (§29), payment,
withdrawal; and the assessment (定损) of the claim's loss, by the vehicle's own insurer or one with a line.
Idempotent by the insurer's reference: the same body gets the stored answer.

交强险条例 §28–§29 state these duties toward the insured (被保险人); toward a third party the line's insurer pays
directly (§31) they are kuaichu's service commitment, held to the same clocks (PRODUCT.md)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from accident.notifications import notify
from claims import repository as repo
from claims.documents_model import item_in
from claims.errors import (
    AmountsDoNotAddUp,
    ClaimNotFound,
    ClaimTransitionRefused,
    PayoutNeedsReason,
    ReferenceReused,
)
from claims.lifecycle import (
    STATUS_EN,
    STATUS_ZH,
    TERMINAL,
    ClaimStatus,
    IllegalClaimTransition,
    ensure_transition,
)
from claims.lines import LINE_TERMINAL, owed_by
from claims.service import ClaimsContext, recipients, redecide, sync_status
from claims.views import insurer_view
from claims.webhooks import enqueue_insurer_event
from court_bridge.service import queue_update
from kernel.audit import AuditEvent, record
from kernel.crypto import request_hash
from kernel.errors import field
from kernel.identity import InsurerPrincipal

S = ClaimStatus
Apply = Callable[
    [asyncpg.Connection, InsurerPrincipal, asyncpg.Record, Any, datetime], Awaitable[None]
]


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


async def tell_court(
    conn: asyncpg.Connection, c: Any, *, type_: str, key: str, data: dict[str, Any], now: datetime
) -> None:
    """The claim's change as the next numbered update of the report's court case (none without a case)."""
    await queue_update(
        conn,
        report_id=c["report_id"],
        type=type_,
        occurred_at=now,
        key=f"claim:{c['id']}:{key}",
        data={
            "claim_id": str(c["id"]),
            "vehicle_label": c["label"],
            "insurer_code": c["insurer_code"],
            **data,
        },
    )


def _refused(c: Any, wanted: ClaimStatus) -> ClaimTransitionRefused:
    now_is = S(c["status"])
    return ClaimTransitionRefused(
        f"理赔案件当前为“{STATUS_ZH[now_is]}”，不能改为“{STATUS_ZH[wanted]}”，请先完成前面的步骤",
        f"The claim is {STATUS_EN[now_is]} and cannot become {STATUS_EN[wanted]}: complete the earlier steps first",
        status=c["status"],
    )


async def _step(
    conn: asyncpg.Connection,
    who: InsurerPrincipal,
    c: asyncpg.Record,
    wanted: ClaimStatus,
    fields: dict[str, Any],
    now: datetime,
) -> None:
    """One audited lifecycle step; a closing step also tells every insurer concerned."""
    try:
        ensure_transition(S(c["status"]), wanted)
    except IllegalClaimTransition:
        raise _refused(c, wanted) from None
    await repo.update_line(conn, line_id=c["line_id"], fields={"status": wanted.value, **fields})
    await sync_status(conn, claim_id=c["id"])
    changes = {
        "line_id": {"before": None, "after": str(c["line_id"])},
        "status": {"before": c["status"], "after": wanted.value},
    }
    changes.update({k: {"before": None, "after": _jsonable(v)} for k, v in fields.items()})
    revised = c["status"] == wanted.value  # a payout agreement revised before payment
    action = "payout_revised" if revised else wanted.value
    await record(
        conn, AuditEvent("claim", str(c["id"]), action, who.actor, c["report_id"], changes)
    )
    key = (
        f"{wanted.value}:{fields['payout_revision']}"
        if "payout_revision" in fields
        else wanted.value
    )
    await tell_court(
        conn,
        c,
        type_="claim_status",
        key=key,
        now=now,
        data={
            "status": wanted.value,
            "previous_status": c["status"],
            **{k: _jsonable(v) for k, v in fields.items() if k != "flags"},
        },
    )


async def _close(
    conn: asyncpg.Connection,
    who: InsurerPrincipal,
    c: asyncpg.Record,
    wanted: ClaimStatus,
    outcome: str,
    now: datetime,
    paid_fen: int | None = None,
) -> None:
    await _step(conn, who, c, wanted, {"closed_at": now}, now)
    data = {
        "claim_id": str(c["id"]),
        "report_id": str(c["report_id"]),
        "outcome": outcome,
        "paid_fen": paid_fen,
        "line_id": str(c["line_id"]),
        "insurer_code": c["insurer_code"],
    }
    for insurer in recipients(c["claim_insurer_code"], [c["insurer_code"]]):
        await enqueue_insurer_event(
            conn,
            insurer_code=insurer,
            event_type="claim.closed",
            data=data,
            occurred_at=now,
            report_id=c["report_id"],
            dedupe_key=f"{c['id']}:{c['line_id']}",
        )


async def _documents(conn, who, c, body, now) -> None:
    """§28: the list of documents (from the closed list), more items while documents are still awaited, none
    needed, documents declared complete, or items handed over on paper received."""
    if body.stage == "requested":
        first = c["status"] != S.DOCUMENTS_REQUESTED
        await _step(
            conn,
            who,
            c,
            S.DOCUMENTS_REQUESTED,
            {"documents_requested_at": now} if first else {},
            now,
        )
        await repo.insert_document_requests(
            conn, line_id=c["line_id"], items=[i.model_dump(mode="json") for i in body.items]
        )
        await notify(
            conn,
            report_id=c["report_id"],
            event="documents_requested",
            key=f"{c['line_id']}:{body.reference}",
            labels=[c["label"]],
        )
    elif body.stage == "none_needed":
        fields = {"documents_complete_at": now, "documents_complete_how": "none_needed"}
        if c["documents_requested_at"] is None:
            fields["documents_requested_at"] = (
                now  # telling the claimant nothing is needed meets §28
            )
        await _step(conn, who, c, S.DOCUMENTS_COMPLETE, fields, now)
    elif body.stage == "complete":
        fields = {"documents_complete_at": now, "documents_complete_how": "declared"}
        if c["documents_requested_at"] is None:
            fields["documents_requested_at"] = (
                now  # it holds everything: nothing left to ask (§28 met)
            )
        await _step(conn, who, c, S.DOCUMENTS_COMPLETE, fields, now)
    else:  # paper_received
        if c["status"] in {s.value for s in TERMINAL}:
            raise _refused(c, S.DOCUMENTS_COMPLETE)
        await repo.mark_paper_received(
            conn, line_id=c["line_id"], request_ids=list(body.item_ids), at=now
        )
        await record(
            conn,
            AuditEvent(
                "claim",
                str(c["id"]),
                "paper_documents_received",
                who.actor,
                c["report_id"],
                {
                    "line_id": {"before": None, "after": str(c["line_id"])},
                    "items": {"before": None, "after": [str(i) for i in body.item_ids]},
                },
            ),
        )
        await complete_if_all_in(conn, c["line_id"], who.actor, now)


async def complete_if_all_in(
    conn: asyncpg.Connection, line_id: UUID, actor: tuple[str, str | None], now: datetime
) -> bool:
    """Documents are complete when every requested item is in: uploaded, or (an item asked on paper) confirmed
    received by the insurer. §29's five days then run whether or not the insurer declares it (PRODUCT.md)."""
    c = await repo.line_by_id(conn, line_id=line_id)
    if c["status"] != S.DOCUMENTS_REQUESTED:
        return False
    requests = await repo.document_requests(conn, line_ids=[line_id])
    if not requests or not all(item_in(r) for r in requests):
        return False
    await _step(
        conn,
        SystemActor(actor),
        c,
        S.DOCUMENTS_COMPLETE,
        {"documents_complete_at": now, "documents_complete_how": "all_received"},
        now,
    )
    return True


@dataclass(frozen=True, slots=True)
class SystemActor:
    """Who caused a step the service takes by itself (the claimant's last upload, the insurer's confirmation)."""

    actor: tuple[str, str | None]


async def _assessment(conn, who, c, body, now) -> None:
    """The loss of the claim's vehicle (one for the claim, whoever of its insurers assesses it)."""
    lines = await repo.lines_of_claims(conn, claim_ids=[c["id"]])
    claim_status = (await repo.claim(conn, claim_id=c["id"]))["status"]
    if claim_status in ("closed", "withdrawn") or any(ln["paid_fen"] is not None for ln in lines):
        raise ClaimTransitionRefused(
            f"理赔案件已{STATUS_ZH[S(claim_status)]}，不能再定损",
            f"The claim is {claim_status}",
            status=claim_status,
        )
    revision = await repo.insert_assessment(
        conn,
        claim_id=c["id"],
        reference=body.reference,
        total_fen=body.total_fen,
        vehicle_only=body.vehicle_only,
        items=[i.model_dump(mode="json") for i in body.items],
        photos=[p.model_dump(mode="json") for p in body.photos],
    )
    await repo.update_claim(
        conn, claim_id=c["id"], fields={"commercial_third_party": body.commercial_third_party}
    )
    await record(
        conn,
        AuditEvent(
            "claim",
            str(c["id"]),
            "assessed",
            who.actor,
            c["report_id"],
            {
                "assessed_fen": {"before": c["assessed_fen"], "after": body.total_fen},
                "assessment_revision": {"before": c["assessment_revision"], "after": revision},
            },
        ),
    )
    await tell_court(
        conn,
        c,
        type_="assessment",
        key=f"assessment:{revision}",
        now=now,
        data={
            "revision": revision,
            "total_fen": body.total_fen,
            "previous_total_fen": c["assessed_fen"],
            "vehicle_only": body.vehicle_only,
            "items": [i.model_dump(mode="json") for i in body.items],
        },
    )
    await redecide(conn, report_id=c["report_id"], now=now)


async def _decision(conn, who, c, body, now) -> None:
    await _step(
        conn,
        who,
        c,
        S.DECIDED,
        {"decided_at": now, "decision": {"covered": body.covered, "reason": body.reason}},
        now,
    )
    if not body.covered:
        await _close(
            conn, who, {**dict(c), "status": S.DECIDED.value}, S.CLOSED, "not_covered", now
        )


def insurer_cover_fen(c: Any) -> int | None:
    """What this line's insurer owes on the claim as kuaichu computed it (None before every loss is assessed)."""
    return owed_by(c["cover"], c["insurer_code"])


def _flag(c: Any, code: str, now: datetime, **detail: Any) -> list[dict[str, Any]]:
    """The claim's review flags with one more (signals for a person, never a refusal)."""
    return [*(c["flags"] or []), {"code": code, "at": now.isoformat(), **detail}]


async def _payout(conn, who, c, body, now) -> None:
    """An agreement (or a revision of one, until paid); above the computed cover it needs a reason and is
    flagged for review; one made before any cover is computed is flagged too."""
    cover = insurer_cover_fen(c)
    above = cover is not None and body.amount_fen > cover
    if above and not body.reason:
        raise PayoutNeedsReason(
            f"赔偿金额 {body.amount_fen / 100:.2f} 元高于核算的交强险赔付额（{cover / 100:.2f} 元），"
            "请在 reason 中说明理由",
            f"The payout of {body.amount_fen / 100:.2f} yuan is above the computed cover ({cover / 100:.2f} yuan): "
            "give a reason",
            errors=[
                field("#/reason", "金额高于核算的赔付额时必填", "Required above the computed cover")
            ],
        )
    fields: dict[str, Any] = {
        "payout_fen": body.amount_fen,
        "payout_reason": body.reason,
        "payout_revision": c["payout_revision"] + 1,
    }
    if c["status"] != S.PAYOUT_AGREED:
        fields["payout_agreed_at"] = (
            now  # §29's 10 days run from the first agreement; a revision keeps them
        )
    if above:
        fields["flags"] = _flag(
            c,
            "payout_above_cover",
            now,
            amount_fen=body.amount_fen,
            cover_fen=cover,
            reason=body.reason,
        )
    elif cover is None:
        fields["flags"] = _flag(
            c, "payout_before_cover", now, amount_fen=body.amount_fen, reason=body.reason
        )
    await _step(conn, who, c, S.PAYOUT_AGREED, fields, now)
    await notify(
        conn,
        report_id=c["report_id"],
        event="payout_agreed",
        key=f"{c['line_id']}:{fields['payout_revision']}",
        labels=[c["label"]],
        detail={"amount_fen": body.amount_fen},
    )


async def _payment(conn, who, c, body, now) -> None:
    fields: dict[str, Any] = {"paid_at": body.paid_at or now, "paid_fen": body.amount_fen}
    if body.amount_fen != c["payout_fen"]:
        fields["flags"] = _flag(
            c,
            "payment_differs_from_agreement",
            now,
            paid_fen=body.amount_fen,
            agreed_fen=c["payout_fen"],
        )
    await _step(conn, who, c, S.PAID, fields, now)
    await notify(
        conn,
        report_id=c["report_id"],
        event="payout_paid",
        key=str(c["line_id"]),
        labels=[c["label"]],
        detail={"amount_fen": body.amount_fen},
    )
    await _close(
        conn, who, {**dict(c), "status": S.PAID.value}, S.CLOSED, "paid", now, body.amount_fen
    )


async def _withdrawal(conn, who, c, body, now) -> None:
    """The claimant withdrew: on a line, from that insurer; reported by the vehicle's own insurer without a
    line, the whole claim (every open line)."""
    if "line_id" in set(c.keys()):
        await _close(conn, who, c, S.WITHDRAWN, "withdrawn", now)
        return
    open_ = [
        ln
        for ln in await repo.lines_of_claims(conn, claim_ids=[c["id"]])
        if ln["status"] not in LINE_TERMINAL
    ]
    if not open_:
        raise _refused(c, S.WITHDRAWN)
    for ln in open_:
        await _close(conn, who, ln, S.WITHDRAWN, "withdrawn", now)


# What the vehicle's own insurer may do without a line: assess its insured's vehicle, report a withdrawal.
OWN_INSURER_KINDS = frozenset({"assessment", "withdrawal"})
APPLY: dict[str, tuple[Apply, int]] = {
    "documents": (_documents, 200),
    "assessment": (_assessment, 201),
    "decision": (_decision, 200),
    "payout_agreement": (_payout, 200),
    "payment": (_payment, 200),
    "withdrawal": (_withdrawal, 200),
}


def check_assessment(body: Any) -> None:
    """The items add up to the total (422 with pointers otherwise)."""
    total = sum(i.amount_fen for i in body.items)
    if total != body.total_fen:
        raise AmountsDoNotAddUp(
            f"定损项目合计 {total} 分，总额为 {body.total_fen} 分",
            f"items add up to {total} fen, total_fen is {body.total_fen}",
            errors=[
                field("#/total_fen", f"各项合计为 {total} 分", f"The items add up to {total} fen")
            ],
        )


async def apply_callback(
    ctx: ClaimsContext, *, who: InsurerPrincipal, claim_id: UUID, kind: str, body: BaseModel
) -> tuple[int, dict[str, Any]]:
    """Apply one callback to the insurer's own claim, exactly once per reference."""
    if kind == "assessment":
        check_assessment(body)
    fn, status = APPLY[kind]
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    digest = request_hash(kind.encode(), str(claim_id).encode(), raw)
    reference = body.reference  # type: ignore[attr-defined]
    async with ctx.pool.acquire() as conn, conn.transaction():
        claim = await repo.claim(conn, claim_id=claim_id, lock=True)
        c = await repo.line(conn, claim_id=claim_id, insurer_code=who.insurer_code, lock=True)
        if (
            kind in OWN_INSURER_KINDS
            and c is None
            and claim is not None
            and claim["insurer_code"] == who.insurer_code
        ):
            c = claim  # the vehicle's own insurer, without a line of its own
        if c is None:
            raise ClaimNotFound(
                "没有该理赔案件，或贵公司在该案件上没有赔付责任",
                "No claim with a line of this insurer",
            )
        prior = await repo.callback(conn, insurer_code=who.insurer_code, reference=reference)
        if prior is not None:
            if bytes(prior["request_hash"]) == digest:
                return prior["status_code"], prior["response"]
            raise ReferenceReused(
                errors=[
                    field(
                        "#/reference",
                        "该业务编号已用于其他内容，请换一个编号",
                        "Already used with another body: use a new reference",
                    )
                ]
            )
        now = datetime.now(UTC)
        await fn(conn, who, c, body, now)
        view = await insurer_view(conn, claim_id=claim_id, insurer_code=who.insurer_code, now=now)
        await repo.store_callback(
            conn,
            insurer_code=who.insurer_code,
            reference=reference,
            claim_id=claim_id,
            kind=kind,
            request_hash=digest,
            status_code=status,
            response=view,
        )
    return status, view

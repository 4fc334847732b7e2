"""The status summary of a report for one of its parties: one read over every feature (intake, fault, police
review, assessment, claims, court, notifications, drafts) that a status page renders as it is, with what the
driver must do next in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident import repository as repo
from accident.drafts import draft_stamp, party_scope
from accident.errors import ReportNotFound
from accident.fault_flow import court_message
from accident.fault_review_repository import zone_exemption
from accident.fault_view import fault_state
from accident.model import STATUS_ZH, Status
from accident.notifications import sent_to_party
from accident.service import access
from claims import repository as claims_repo
from claims.lifecycle import STATUS_EN as CLAIM_EN
from claims.lifecycle import STATUS_ZH as CLAIM_ZH
from claims.lifecycle import ClaimStatus
from claims.views import driver_claims
from court_bridge import views as court_views
from kernel.identity import Principal
from schemas.reports import REQUIRED_PHOTO_KINDS

PHASES: dict[Status, str] = {
    Status.DRAFT: "evidence",
    Status.AWAITING_PARTIES: "waiting_for_parties",
    Status.FACTS_COMPLETE: "fault",
    Status.PROPOSED: "signing",
    Status.IN_REVIEW: "police_review",
    Status.DETERMINED: "determined",
    Status.AGREED: "agreed",
    Status.OFFLINE_MEDIATION: "offline_mediation",
    Status.REFERRED_TO_122: "referred_to_122",
    Status.CLOSED: "closed",
    Status.WITHDRAWN: "withdrawn",
    Status.COURT_WITHDRAWN: "determined",
}
STATUS_EN: dict[Status, str] = {
    Status.DRAFT: "Collecting the evidence",
    Status.AWAITING_PARTIES: "Waiting for the other driver to join",
    Status.FACTS_COMPLETE: "Every driver has joined",
    Status.REFERRED_TO_122: "Referred to the police (122)",
    Status.WITHDRAWN: "Withdrawn",
    Status.PROPOSED: "A liability proposal is made",
    Status.AGREED: "Agreement reached",
    Status.IN_REVIEW: "The police are reviewing the case",
    Status.DETERMINED: "The police determined liability",
    Status.COURT_REQUESTED: "Court handling requested",
    Status.OFFLINE_MEDIATION: "Offline mediation",
    Status.CLOSED: "Closed",
    Status.COURT_ACCEPTED: "The court accepted the case",
    Status.COURT_MEDIATION: "Court mediation under way",
    Status.COURT_MEDIATED: "Mediation agreement reached",
    Status.COURT_CONFIRMED: "Mediation agreement confirmed",
    Status.COURT_JUDGED: "The court gave judgment",
    Status.COURT_PAYOUT_ORDERED: "The court ordered the payout",
    Status.COURT_WITHDRAWN: "Court handling request withdrawn",
}
NEXT: dict[str, tuple[str, str]] = {
    "take_photos": ("请按提示拍摄现场照片：{missing}", "Take the scene photos: {missing}"),
    "submit_evidence": (
        "照片已齐全，请提交现场证据，然后即可挪车",
        "The photos are complete: submit the evidence, then move the vehicles",
    ),
    "wait_for_evidence": (
        "请等待对方提交现场照片",
        "Wait for the other driver to submit the scene photos",
    ),
    "invite_other_party": (
        "请把分享码或二维码给对方驾驶人，请其加入",
        "Give the other driver the share code or QR code to join",
    ),
    "give_account": (
        "请回答几个关于事故经过的问题",
        "Answer a few questions about how the accident happened",
    ),
    "wait_for_other_parties": ("请等待对方完成", "Wait for the other driver"),
    "answer_proposal": (
        "请查看责任建议，选择接受或提出异议",
        "Read the liability proposal: accept or dispute it",
    ),
    "sign": ("请用短信验证码签署事故协议", "Sign the agreement with the code texted to you"),
    "wait_for_police": (
        "交警正在审核，请等待认定结果，会短信通知您",
        "The police are reviewing the case; you will be texted the determination",
    ),
    "answer_determination": (
        "请查看交警的责任认定，选择接受或提出异议",
        "Read the police determination: accept or dispute it",
    ),
    "send_documents": (
        "保险公司要求补充理赔材料，请按要求提供",
        "The insurer asked for documents: send them",
    ),
    "follow_claims": (
        "理赔正在办理，进展会短信通知您",
        "The claims are under way; you will be texted their progress",
    ),
    "follow_court": (
        "案件已交法院处理，请按法院通知参加",
        "The court handles the case: follow its notices",
    ),
    "offline_mediation": ("请按通知参加线下调解", "Attend the offline mediation as notified"),
    "call_122": ("本起事故需交警处理，请拨打122", "The police handle this accident: call 122"),
    "nothing": ("无需您操作", "Nothing to do"),
}
KIND_ZH = {
    "front_overview": "侧前方全景",
    "rear_overview": "侧后方全景",
    "impact_point": "碰撞部位",
}


def _next(action: str, **fill: str) -> dict[str, str]:
    zh, en = NEXT[action]
    return {
        "action": action,
        "zh": zh.format(**{k: v[0] for k, v in fill.items()}) if fill else zh,
        "en": en.format(**{k: v[1] for k, v in fill.items()}) if fill else en,
    }


async def _photos(
    conn: asyncpg.Connection, report_id: UUID, party_id: UUID, *, limit: int, now: datetime
) -> dict[str, Any]:
    kinds = [p["kind"] for p in await repo.photos(conn, report_id=report_id)]
    uploads = await conn.fetch(
        """SELECT id, kind, received_bytes, size_bytes, sha256, expires_at, party_id FROM photo_uploads
           WHERE report_id = $1::uuid AND status = 'receiving' AND expires_at > $2::timestamptz
           ORDER BY created_at""",
        report_id,
        now,
    )
    done = [k for k in REQUIRED_PHOTO_KINDS if k in kinds]
    return {
        "required": list(REQUIRED_PHOTO_KINDS),
        "required_done": done,
        "required_missing": [k for k in REQUIRED_PHOTO_KINDS if k not in kinds],
        "taken": len(kinds),
        "limit": limit,
        "remaining": max(0, limit - len(kinds) - len(uploads)),
        "uploads_under_way": [
            {
                "upload_id": str(u["id"]),
                "kind": u["kind"],
                "offset": u["received_bytes"],
                "size_bytes": u["size_bytes"],
                "sha256": u["sha256"],
                "expires_at": u["expires_at"],
            }
            for u in uploads
            if u["party_id"] == party_id
        ],
    }


def _fault(state: dict[str, Any], label: str) -> dict[str, Any]:
    proposal = state["proposal"]
    mine = next((r["response"] for r in state["responses"] if r["party"] == label), None)
    return {
        "accounts_missing": state["missing_accounts"],
        "your_account_given": label not in state["missing_accounts"],
        "proposal_version": proposal["version"] if proposal else None,
        "proposal_outcome": proposal["result"]["outcome"] if proposal else None,
        "allocations": proposal["result"]["allocations"] if proposal else [],
        "responses": [{"party": r["party"], "response": r["response"]} for r in state["responses"]],
        "your_response": mine,
        "signatures": [
            {"party": s["party"], "signed_at": s["signed_at"]} for s in state["signatures"]
        ],
        "agreement_ready": state["agreement"] is not None,
    }


def _review(state: dict[str, Any], status: Status, label: str) -> dict[str, Any]:
    det = state["determination"]
    mine = next(
        (r["response"] for r in state["determination_responses"] if r["party"] == label), None
    )
    review = "determined" if det else "waiting" if status is Status.IN_REVIEW else "not_needed"
    return {
        "state": review,
        "determination_version": det["version"] if det else None,
        "shares": det["shares"] if det else [],
        "your_response": mine,
    }


async def _assessments(conn: asyncpg.Connection, report_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT t.vehicle_label, t.status, t.eta_at, t.zone_kind, a.kind AS assessor_kind, a.name AS assessor_name
           FROM assessment_tasks t LEFT JOIN assessors a ON a.id = t.assignee_id
           WHERE t.report_id = $1::uuid ORDER BY t.vehicle_label""",
        report_id,
    )
    return [dict(r) for r in rows]


async def _claims(
    conn: asyncpg.Connection, report_id: UUID, party_id: UUID, now: datetime
) -> list[dict[str, Any]]:
    """Every claim of the report with its status; yours with each insurer's line in brief (the documents still
    to send, the next duty and its date, the money). The full lines: GET /v1/reports/{report_id}/claims."""
    rows = await claims_repo.claims_of_report(conn, report_id=report_id)
    mine = {
        c["id"]: c
        for c in await driver_claims(conn, report_id=report_id, party_id=party_id, now=now)
    }
    out = []
    for c in rows:
        st = ClaimStatus(c["status"])
        yours = str(c["id"]) in mine  # driver_claims names claims by their id as text
        lines = [_line(ln) for ln in mine[str(c["id"])]["lines"]] if yours else []
        out.append(
            {
                "claim_id": str(c["id"]),
                "vehicle_label": c["label"],
                "yours": yours,
                "status": c["status"],
                "zh": CLAIM_ZH[st],
                "en": CLAIM_EN[st],
                "lines": lines,
            }
        )
    return out


def _line(ln: dict[str, Any]) -> dict[str, Any]:
    due = next((d for d in ln["deadlines"] if d["met_at"] is None), None)
    awaited = (
        ln["status"] == "documents_requested"
    )  # once the insurer has them all, nothing is left to send
    return {
        "line_id": ln["id"],
        "insurer_code": ln["insurer_code"],
        "insurer_name": ln["insurer_name"],
        "status": ln["status"],
        "zh": ln["status_zh"],
        "en": ln["status_en"],
        "documents_to_send": [
            {"zh": d["name_zh"], "en": d["name_en"]}
            for d in ln["documents"]
            if awaited and not d["received"]
        ],
        "next_deadline": {
            "duty": due["duty"],
            "due_at": due["due_at"],
            "zh": due["zh"],
            "en": due["en"],
        }
        if due
        else None,
        "payout_fen": ln["payout_fen"],
        "paid_fen": ln["paid_fen"],
    }


def _before_settlement(
    status: Status,
    *,
    label: str,
    photos: dict[str, Any],
    fault: dict[str, Any],
    others_missing: bool,
) -> dict[str, str] | None:
    """The next step while the report is gathered and liability agreed; None once past that."""
    if status is Status.DRAFT:
        missing = photos["required_missing"]
        if label != "A":
            return _next("wait_for_evidence")
        if missing:
            return _next(
                "take_photos", missing=("、".join(KIND_ZH[k] for k in missing), ", ".join(missing))
            )
        return _next("submit_evidence")
    if status is Status.AWAITING_PARTIES:
        return _next("invite_other_party") if others_missing else _next("wait_for_other_parties")
    if status not in (Status.FACTS_COMPLETE, Status.PROPOSED):
        return None
    if not fault["your_account_given"]:
        return _next("give_account")
    if status is Status.FACTS_COMPLETE:
        return _next("wait_for_other_parties")
    if fault["your_response"] is None:
        return _next("answer_proposal")
    if not any(s["party"] == label for s in fault["signatures"]):
        return _next("sign")
    return _next("wait_for_other_parties")


def _after_settlement(
    status: Status, *, review: dict[str, Any], claims: list[dict[str, Any]]
) -> dict[str, str]:
    """The next step once the case is with the police, the court or the insurers."""
    if status is Status.REFERRED_TO_122:
        return _next("call_122")
    if status is Status.IN_REVIEW:
        return _next("wait_for_police")
    if status is Status.DETERMINED and review["your_response"] is None:
        return _next("answer_determination")
    if status is Status.OFFLINE_MEDIATION:
        return _next("offline_mediation")
    if status.value.startswith("court_") and status is not Status.COURT_WITHDRAWN:
        return _next("follow_court")
    if any(ln["documents_to_send"] for c in claims for ln in c["lines"]):
        return _next("send_documents")
    if any(c["status"] not in ("closed", "withdrawn") for c in claims):
        return _next("follow_claims")
    return _next("nothing")


async def report_status(
    pool: asyncpg.Pool,
    *,
    who: Principal,
    report_id: UUID,
    max_photos: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """ReportStatus for the calling party (staff and strangers: 404, the summary is a party's own view)."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as conn:
        viewer = await access(conn, who, report_id)
        row = await repo.report(conn, report_id=report_id)
        if row is None or viewer.party_id is None:
            raise ReportNotFound()
        status = Status(row["status"])
        parties = await repo.parties(conn, report_id=report_id)
        label = next(p["label"] for p in parties if p["id"] == viewer.party_id)
        photos = await _photos(conn, report_id, viewer.party_id, limit=max_photos, now=now)
        state = await fault_state(conn, report_id=report_id)
        fault, review = _fault(state, label), _review(state, status, label)
        claims = await _claims(conn, report_id, viewer.party_id, now)
        offline = None
        if status is Status.OFFLINE_MEDIATION:
            zone = await zone_exemption(conn, zone_id=row["zone_id"])
            offline = court_message(
                outcome=status, zone=zone["name"], exempt_reason=zone["exempt_reason"]
            )
        court = court_views.party_summary(
            report_id, await court_views.case_of_report(conn, report_id=report_id), offline
        )
        out = {
            "report_id": str(report_id),
            "you": label,
            "status": status.value,
            "phase": PHASES.get(status, "court"),
            "status_text": {"zh": STATUS_ZH[status], "en": STATUS_EN[status]},
            "vehicle_count": row["vehicle_count"],
            "parties": [
                {
                    "label": p["label"],
                    "is_you": p["id"] == viewer.party_id,
                    "joined_at": p["joined_at"],
                }
                for p in parties
            ],
            "other_party_joined": len(parties) >= row["vehicle_count"] and row["vehicle_count"] > 1,
            "photos": photos,
            "fault": fault,
            "police_review": review,
            "assessments": await _assessments(conn, report_id),
            "claims": claims,
            "court": court,
            "notifications": await sent_to_party(
                conn, report_id=report_id, party_id=viewer.party_id
            ),
            "draft": await draft_stamp(conn, scope=party_scope(viewer.party_id), now=now),
        }
    out["next"] = _before_settlement(
        status,
        label=label,
        photos=photos,
        fault=fault,
        others_missing=len(parties) < row["vehicle_count"],
    ) or _after_settlement(status, review=review, claims=claims)
    return out

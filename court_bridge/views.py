"""How a court case reads back: full delivery state for the court, police and operators; a plain summary for
the parties of the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from court_bridge import repository as repo
from court_bridge import sources
from court_bridge.service import CourtBridge, case_key
from kernel.local_time import written_text

EVENT_TEXT: dict[str, tuple[str, str]] = {
    "accepted": ("法院已受理本案，案号{case}。", "The court accepted the case (no. {case})."),
    "mediation_scheduled": (
        "法院已安排调解{when}，请按通知参加。",
        "The court scheduled mediation{when_en}.",
    ),
    "mediation_agreement": (
        "各方已在法院主持下达成调解协议。",
        "The parties reached a mediation agreement.",
    ),
    "judicial_confirmation": (
        "法院已对调解协议进行司法确认。",
        "The court confirmed the mediation agreement.",
    ),
    "judgment": ("法院已作出判决。", "The court gave judgment."),
    "payout_ordered": (
        "法院已裁定赔付，保险公司将据此赔付。",
        "The court ordered payment; the insurers pay accordingly.",
    ),
}


def event(row: Any) -> dict[str, Any]:
    zh, en = EVENT_TEXT[row["type"]]
    raw = (row["data"] or {}).get("scheduled_at")
    # The court's time in Beijing time as people write it; a value that is not a time is quoted as sent.
    when = written_text(raw) if isinstance(raw, str) else None
    when_zh = when.zh if when else raw
    when_en = when.en if when else raw
    return {
        "type": row["type"],
        "sequence": row["sequence"],
        "occurred_at": row["occurred_at"],
        "zh": zh.format(case=row["case_number"], when=f"（{when_zh}）" if raw else ""),
        "en": en.format(case=row["case_number"], when_en=f" for {when_en}" if raw else ""),
    }


def _state_of(r: Any) -> dict[str, Any]:
    return {
        "state": r["state"],
        "attempts": r["attempts"],
        "last_status": r["last_status"],
        "problem": r["problem"],
        "delivered_at": r["delivered_at"],
    }


async def case_view(conn: asyncpg.Connection, *, package_id: str) -> dict[str, Any] | None:
    """Revisions with their Idempotency-Keys and states, updates in order, the court's events (what moved or
    belongs to this case) and every callback recorded with its outcome (for operators: the ones not applied)."""
    revisions = await repo.revisions(conn, package_id=package_id)
    if not revisions:
        return None
    latest = revisions[-1]
    calls = await repo.callbacks(conn, package_id=package_id)
    return {
        "package_id": package_id,
        "report_id": str(latest["report_id"]),
        "state": latest["state"],
        "case_number": next(
            (r["case_number"] for r in reversed(revisions) if r["case_number"]), None
        ),
        "revision": latest["revision"],
        "revisions": [
            {
                "revision": r["revision"],
                "idempotency_key": case_key(package_id, r["revision"]),
                "digest": r["digest"],
                "created_at": r["created_at"],
                **_state_of(r),
            }
            for r in revisions
        ],
        "updates": [
            {
                "sequence": u["sequence"],
                "type": u["type"],
                "occurred_at": u["occurred_at"],
                **_state_of(u),
            }
            for u in await repo.updates(conn, package_id=package_id)
        ],
        "events": [event(c) for c in calls if c["outcome"] != "case_number_mismatch"],
        "callbacks": [
            {
                "webhook_id": c["webhook_id"],
                "type": c["type"],
                "sequence": c["sequence"],
                "case_number": c["case_number"],
                "outcome": c["outcome"],
                "received_at": c["received_at"],
            }
            for c in calls
        ],
    }


async def photo_links(
    conn: asyncpg.Connection, bridge: CourtBridge, *, report_id: UUID, now: datetime
) -> list[dict[str, Any]]:
    """Links to the report's photos signed for the court at this read (a package's own links are fixed with its
    bytes; these renew them)."""
    links = []
    for ph in await sources.photos(conn, report_id=report_id):
        url, expires = bridge.photo_link(report_id=report_id, photo_id=str(ph["id"]), now=now)
        links.append(
            {
                "photo_id": str(ph["id"]),
                "kind": ph["kind"],
                "sha256": ph["sha256"],
                "url": url,
                "expires_at": expires,
            }
        )
    return links


async def case_of_report(conn: asyncpg.Connection, *, report_id: UUID) -> dict[str, Any] | None:
    current = await repo.current(conn, report_id=report_id)
    return await case_view(conn, package_id=current["package_id"]) if current else None


async def listing(
    conn: asyncpg.Connection, *, state: str | None, limit: int
) -> list[dict[str, Any]]:
    out = []
    for package_id in await repo.listing(conn, state=state, limit=limit):
        view = await case_view(conn, package_id=package_id)
        assert view is not None
        out.append(view)
    return out


_SUMMARY = {
    "not_sent": ("本案未提交法院。", "This case has not been sent to a court."),
    "sending": (
        "案件材料正在提交法院网上数据一体化处理平台。",
        "The case is being sent to the courts' online platform.",
    ),
    "with_court": ("法院已收到案件材料，案号{case}。", "The court has the case (no. {case})."),
    "needs_operator": (
        "案件材料需工作人员核对后重新提交，请耐心等待。",
        "Staff must check the case file and send it again; no action is needed from you.",
    ),
}


def party_summary(
    report_id: UUID, view: dict[str, Any] | None, offline_mediation: dict[str, str] | None = None
) -> dict[str, Any]:
    """What a party sees: where the case is, the case number, and the court's events in plain words; a case of
    a court-exempt zone says it goes to offline mediation (`offline_mediation` holds that message)."""
    if view is None and offline_mediation is not None:
        return {
            "report_id": str(report_id),
            "sent_to_court": False,
            "state": "offline_mediation",
            "zh": offline_mediation["zh"],
            "en": offline_mediation["en"],
            "case_number": None,
            "events": [],
        }
    if view is None:
        state = "not_sent"
    elif view["state"] == "delivered" or view["events"]:
        state = "with_court"
    else:
        state = "needs_operator" if view["state"] == "parked" else "sending"
    zh, en = _SUMMARY[state]
    case = view["case_number"] if view else None
    return {
        "report_id": str(report_id),
        "sent_to_court": view is not None,
        "state": state,
        "zh": zh.format(case=case or ""),
        "en": en.format(case=case or ""),
        "case_number": case,
        "events": view["events"] if view else [],
    }

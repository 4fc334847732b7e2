"""Claim rows as the API shows them, with their §28–§29 deadlines and whether any is overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from claims import repository as repo
from claims.calendar import HolidayCalendar
from claims.documents_model import DOCUMENT_NAMES, SENSITIVE_KINDS, item_in
from claims.lifecycle import (
    DECISION_WITHIN,
    DOCUMENTS_LISTED_WITHIN,
    PAYMENT_WITHIN,
    STATUS_EN,
    STATUS_ZH,
    ClaimStatus,
    Deadline,
    Moments,
    deadlines,
    duty_state,
)
from claims.lines import LINE_TERMINAL, owed_by
from claims.remedies import REMEDIES_EN, REMEDIES_ZH
from kernel.local_time import written

DUTY_TEXT: dict[str, tuple[str, str]] = {
    "documents_listed": (
        "保险公司应于{when}前一次性书面告知需要提供的理赔材料（{basis}）。",
        "The insurer must list every document it needs by {when} ({basis}).",
    ),
    "decision": (
        "保险公司应于{when}前对是否属于保险责任作出核定并书面通知（{basis}）。",
        "The insurer must decide whether the claim is covered, in writing, by {when} ({basis}).",
    ),
    "payment": (
        "保险公司应于{when}前支付赔偿（{basis}）。",
        "The insurer must pay by {when} ({basis}).",
    ),
}


def deadline_text(d: Deadline) -> dict[str, str]:
    """The duty as a sentence with its due time as people write it (Beijing time; a day's end as 24:00)."""
    zh, en = DUTY_TEXT[d.duty]
    when = written(d.due_at, deadline=True)
    zh, en = zh.format(when=when.zh, basis=d.basis), en.format(when=when.en, basis=d.basis)
    if d.provisional:
        zh = f"{zh}（暂定：当年节假日安排尚未载入）"
        en = f"{en} (Provisional: that year's holidays are not loaded yet.)"
    return {"zh": zh, "en": en}


def _deadlines(c: Any, *, now: datetime, calendar: HolidayCalendar) -> list[dict[str, Any]]:
    """A line's duties (§28 from its receipt, §29 from complete documents and from the payout agreement), each
    with how it stands: met late stays met late; an unmet one of a line that ended is breached or ended."""
    m = Moments(
        c["received_at"],
        c["documents_requested_at"],
        c["documents_complete_at"],
        c["decided_at"],
        c["payout_agreed_at"],
        c["paid_at"],
    )
    ended = c["closed_at"] if c["status"] in LINE_TERMINAL else None
    out = []
    for d in deadlines(m, calendar):
        state = duty_state(d, now=now, ended_at=ended)
        out.append(
            {
                "duty": d.duty,
                "due_at": d.due_at.isoformat(),
                "met_at": _iso(d.met_at),
                "overdue": state == "overdue",
                "state": state,
                "basis": d.basis,
                "provisional": d.provisional,
                **deadline_text(d),
            }
        )
    return out


def _receipt(c: Any, waiting: str | None) -> dict[str, Any]:
    return {
        "received_at": c["received_at"].isoformat() if c["received_at"] else None,
        "received_via": c["received_via"],
        "waiting": None if c["received_at"] else waiting,
    }


def document_item(
    r: Any, *, consents: dict[tuple[Any, str], bool], for_insurer: bool, claim_id: Any = None
) -> dict[str, Any]:
    """One requested document: what it is, whether it is in, and (sensitive kinds) the claimant's consent."""
    doc = None
    if r["document_id"] is not None:
        doc = {
            "id": str(r["document_id"]),
            "media_type": r["media_type"],
            "size_bytes": r["size_bytes"],
            "sha256": r["sha256"],
            "uploaded_at": r["uploaded_at"].isoformat(),
        }
        if for_insurer:
            doc["url"] = f"/v1/insurer/claims/{claim_id}/documents/{r['document_id']}"
    zh, en = DOCUMENT_NAMES[r["kind"]]
    return {
        "id": str(r["id"]),
        "kind": r["kind"],
        "description": r["description"],
        "name_zh": zh,
        "name_en": en,
        "on_paper": r["on_paper"],
        "requested_at": r["requested_at"].isoformat(),
        "paper_received_at": r["paper_received_at"].isoformat() if r["paper_received_at"] else None,
        "document": doc,
        "received": item_in(r),
        "consent_required": r["kind"] in SENSITIVE_KINDS,
        "consent_given": consents.get((r["line_id"], r["kind"]))
        if r["kind"] in SENSITIVE_KINDS
        else None,
    }


def line_view(
    c: Any,
    *,
    now: datetime,
    calendar: HolidayCalendar,
    documents: list[Any],
    consents: dict[tuple[Any, str], bool],
    for_insurer: bool,
    waiting: str | None = None,
    insurer_name: str | None = None,
) -> dict[str, Any]:
    """One insurer's line: status, receipt, requested documents, duties with their state, money."""
    dl = _deadlines(c, now=now, calendar=calendar)
    status = ClaimStatus(c["status"])
    return {
        "id": str(c["line_id"]),
        "insurer_code": c["insurer_code"],
        "insurer_name": insurer_name,
        "basis": c["basis"],
        "payer_labels": list(c["payer_labels"]),
        "status": c["status"],
        "status_zh": STATUS_ZH[status],
        "status_en": STATUS_EN[status],
        **_receipt(c, waiting),
        "documents_requested_at": _iso(c["documents_requested_at"]),
        "documents_complete_at": _iso(c["documents_complete_at"]),
        "documents_complete_how": c["documents_complete_how"],
        "closed_at": _iso(c["closed_at"]),
        "documents": [
            document_item(r, consents=consents, for_insurer=for_insurer, claim_id=c["id"])
            for r in documents
            if r["line_id"] == c["line_id"]
        ],
        "deadlines": dl,
        "overdue": any(d["overdue"] for d in dl),
        "owed_fen": owed_by(c["cover"], c["insurer_code"]),
        "decision": c["decision"],
        "payout_fen": c["payout_fen"],
        "paid_fen": c["paid_fen"],
        "payout_revision": c["payout_revision"],
        "payout_reason": c["payout_reason"],
        "flags": list(c["flags"] or []),
    }


def _iso(v: datetime | None) -> str | None:
    return v.isoformat() if v else None


def claim_view(
    c: Any,
    *,
    now: datetime,
    calendar: HolidayCalendar,
    line: dict[str, Any] | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """JSON-ready view of one claim for an insurer or operators: the claim's loss and cover, and `line` (the
    reader's own) whose status, duties and money also stand at the top level as before lines existed; a
    reader without a line (the vehicle's own insurer, which assesses) sees the claim's status and no duties."""
    top = line or {}
    keys = set(c.keys())
    return {
        "id": str(c["id"]),
        "report_id": str(c["report_id"]),
        "label": c["label"],
        "insurer_code": c["claim_insurer_code"]
        if "claim_insurer_code" in keys
        else c["insurer_code"],
        "status": top.get("status", c["claim_status"] if "claim_status" in keys else c["status"]),
        "claim_status": c["claim_status"] if "claim_status" in keys else c["status"],
        "applied_at": c["applied_at"].isoformat(),
        "documents": top.get("documents", []),
        "decision": top.get("decision"),
        "payout_fen": top.get("payout_fen"),
        "paid_fen": top.get("paid_fen"),
        "assessed_fen": c["assessed_fen"],
        "assessment_revision": c["assessment_revision"],
        "cover": c["cover"],
        "cover_revision": c["cover_revision"],
        "deadlines": top.get("deadlines", []),
        "overdue": bool(top.get("overdue")),
        "payout_revision": top.get("payout_revision", 0),
        "payout_reason": top.get("payout_reason"),
        "flags": top.get("flags", []),
        "line": line,
        "lines": lines or [],
    }


def line_summary(ln: Any) -> dict[str, Any]:
    return {
        "id": str(ln["line_id"]),
        "insurer_code": ln["insurer_code"],
        "basis": ln["basis"],
        "status": ln["status"],
    }


async def _waiting(conn: asyncpg.Connection, codes: set[str]) -> dict[str, str]:
    """Why an insurer has not received yet: its endpoint disabled, or the message not delivered yet."""
    rows = await conn.fetch(
        "SELECT code, webhook_disabled_at FROM insurers WHERE code = ANY($1::text[])", sorted(codes)
    )
    return {
        r["code"]: "endpoint_disabled" if r["webhook_disabled_at"] else "not_delivered"
        for r in rows
    }


async def insurer_views(
    conn: asyncpg.Connection, *, claim_ids: list[Any], insurer_code: str, now: datetime
) -> list[dict[str, Any]]:
    """The claims as one insurer reads them: its own line on each (if any), and every line's status."""
    calendar = await repo.holiday_calendar(conn)
    claims = await repo.claims_by_ids(conn, claim_ids=list(claim_ids))
    lines = await repo.lines_of_claims(conn, claim_ids=list(claim_ids))
    mine = [ln for ln in lines if ln["insurer_code"] == insurer_code]
    documents = await repo.document_requests(conn, line_ids=[ln["line_id"] for ln in mine])
    consents = await repo.document_consents(conn, line_ids=[ln["line_id"] for ln in mine])
    waiting = await _waiting(conn, {insurer_code})
    out = []
    for c in claims:
        own = next((ln for ln in mine if ln["id"] == c["id"]), None)
        lv = (
            None
            if own is None
            else line_view(
                own,
                now=now,
                calendar=calendar,
                documents=documents,
                consents=consents,
                for_insurer=True,
                waiting=waiting.get(insurer_code),
            )
        )
        out.append(
            claim_view(
                c,
                now=now,
                calendar=calendar,
                line=lv,
                lines=[line_summary(ln) for ln in lines if ln["id"] == c["id"]],
            )
        )
    return out


async def insurer_view(
    conn: asyncpg.Connection, *, claim_id: Any, insurer_code: str, now: datetime
) -> dict[str, Any]:
    return (await insurer_views(conn, claim_ids=[claim_id], insurer_code=insurer_code, now=now))[0]


async def overdue_list(
    conn: asyncpg.Connection, *, insurer_code: str | None, limit: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Open lines with a statutory duty past due, oldest receipt first: one entry per line (its claim, with the
    line's status and duties at the top level and under `line`)."""
    now = now or datetime.now(UTC)
    rows = await repo.overdue_lines(
        conn,
        listed=DOCUMENTS_LISTED_WITHIN,
        decide=DECISION_WITHIN,
        pay=PAYMENT_WITHIN,
        insurer_code=insurer_code,
        limit=limit,
        now=now,
    )
    calendar = await repo.holiday_calendar(conn)
    out = []
    for r in rows:
        lv = line_view(r, now=now, calendar=calendar, documents=[], consents={}, for_insurer=False)
        if lv["overdue"]:
            out.append(claim_view(r, now=now, calendar=calendar, line=lv))
    return out


async def insurer_claims(
    conn: asyncpg.Connection, *, insurer_code: str, limit: int = 200, now: datetime | None = None
) -> list[dict[str, Any]]:
    ids = await repo.insurer_claim_ids(conn, insurer_code=insurer_code, limit=limit)
    return await insurer_views(
        conn, claim_ids=ids, insurer_code=insurer_code, now=now or datetime.now(UTC)
    )


async def provisional_deadlines(
    conn: asyncpg.Connection, *, limit: int = 1000
) -> list[dict[str, Any]]:
    """Open duties of open lines counted without their year's holiday data, for operators."""
    now = datetime.now(UTC)
    calendar = await repo.holiday_calendar(conn)
    out = []
    for r in await repo.open_lines(conn, limit=limit):
        for d in _deadlines(r, now=now, calendar=calendar):
            if d["provisional"] and d["met_at"] is None:
                out.append(
                    {
                        "claim_id": str(r["id"]),
                        "line_id": str(r["line_id"]),
                        "insurer_code": r["insurer_code"],
                        **d,
                    }
                )
    return out


async def driver_claims(
    conn: asyncpg.Connection, *, report_id: Any, party_id: Any, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The claimant's own claims on the report: each line with its insurer's name, status, the documents asked
    and by when, the duties (provisional ones say so), the amounts owed, agreed and paid, and the remedies."""
    now = now or datetime.now(UTC)
    calendar = await repo.holiday_calendar(conn)
    claims = [
        c
        for c in await repo.claims_of_report(conn, report_id=report_id)
        if c["party_id"] == party_id
    ]
    lines = await repo.lines_of_claims(conn, claim_ids=[c["id"] for c in claims])
    line_ids = [ln["line_id"] for ln in lines]
    documents = await repo.document_requests(conn, line_ids=line_ids)
    consents = await repo.document_consents(conn, line_ids=line_ids)
    names = {r["code"]: r["name"] for r in await conn.fetch("SELECT code, name FROM insurers")}
    waiting = await _waiting(conn, {ln["insurer_code"] for ln in lines})
    out = []
    for c in claims:
        mine = [
            line_view(
                ln,
                now=now,
                calendar=calendar,
                documents=documents,
                consents=consents,
                for_insurer=False,
                waiting=waiting.get(ln["insurer_code"]),
                insurer_name=names.get(ln["insurer_code"]),
            )
            for ln in lines
            if ln["id"] == c["id"]
        ]
        for lv in mine:
            for key in ("flags", "payout_reason"):  # review signals are for staff and the insurer
                lv.pop(key, None)
        out.append(
            {
                "id": str(c["id"]),
                "label": c["label"],
                "status": c["status"],
                "assessed_fen": c["assessed_fen"],
                "cover_mode": (c["cover"] or {}).get("mode"),
                "lines": mine,
                "remedies": {"zh": REMEDIES_ZH, "en": REMEDIES_EN},
            }
        )
    return out

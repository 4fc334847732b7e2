"""Claim rows as the API shows them, with their §28–§29 deadlines and whether any is overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from claims import repository as repo
from claims.calendar import HolidayCalendar
from claims.lifecycle import (
    DECISION_WITHIN,
    DOCUMENTS_LISTED_WITHIN,
    PAYMENT_WITHIN,
    ClaimStatus,
    Deadline,
    Moments,
    deadlines,
)
from kernel.local_time import written

DUTY_TEXT: dict[str, tuple[str, str]] = {
    "documents_listed": ("保险公司应于{when}前一次性书面告知需要提供的理赔材料（{basis}）。",
                         "The insurer must list every document it needs by {when} ({basis})."),
    "decision": ("保险公司应于{when}前对是否属于保险责任作出核定并书面通知（{basis}）。",
                 "The insurer must decide whether the claim is covered, in writing, by {when} ({basis})."),
    "payment": ("保险公司应于{when}前支付赔偿（{basis}）。", "The insurer must pay by {when} ({basis})."),
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


def claim_view(c: asyncpg.Record | dict[str, Any], *, now: datetime, calendar: HolidayCalendar) -> dict[str, Any]:
    """JSON-ready view of one claim (ids as strings, times ISO 8601); a deadline counted without its year's
    holiday data says `provisional`."""
    m = Moments(c["applied_at"], c["documents_requested_at"], c["documents_complete_at"], c["decided_at"],
                c["payout_agreed_at"], c["paid_at"])
    open_ = ClaimStatus(c["status"]) not in (ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN)
    dl = [{"duty": d.duty, "due_at": d.due_at.isoformat(), "met_at": d.met_at.isoformat() if d.met_at else None,
           "overdue": open_ and d.overdue(now), "basis": d.basis, "provisional": d.provisional, **deadline_text(d)}
          for d in deadlines(m, calendar)]
    return {
        "id": str(c["id"]), "report_id": str(c["report_id"]), "label": c["label"], "insurer_code": c["insurer_code"],
        "status": c["status"], "applied_at": c["applied_at"].isoformat(), "documents": list(c["documents"] or []),
        "decision": c["decision"], "payout_fen": c["payout_fen"], "paid_fen": c["paid_fen"],
        "assessed_fen": c["assessed_fen"], "assessment_revision": c["assessment_revision"], "cover": c["cover"],
        "cover_revision": c["cover_revision"], "deadlines": dl, "overdue": any(d["overdue"] for d in dl),
        "payout_revision": c["payout_revision"], "payout_reason": c["payout_reason"], "flags": list(c["flags"] or []),
    }


async def overdue_list(conn: asyncpg.Connection, *, insurer_code: str | None, limit: int,
                       now: datetime | None = None) -> list[dict[str, Any]]:
    """Open claims with a statutory duty past due, oldest first."""
    now = now or datetime.now(UTC)
    rows = await repo.overdue_claims(conn, listed=DOCUMENTS_LISTED_WITHIN, decide=DECISION_WITHIN, pay=PAYMENT_WITHIN,
                                     insurer_code=insurer_code, limit=limit, now=now)
    calendar = await repo.holiday_calendar(conn)
    return [v for v in (claim_view(r, now=now, calendar=calendar) for r in rows) if v["overdue"]]


async def insurer_claims(conn: asyncpg.Connection, *, insurer_code: str, limit: int = 200) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    calendar = await repo.holiday_calendar(conn)
    rows = await repo.claims_of_insurer(conn, insurer_code=insurer_code, limit=limit)
    return [claim_view(r, now=now, calendar=calendar) for r in rows]


async def provisional_deadlines(conn: asyncpg.Connection, *, limit: int = 1000) -> list[dict[str, Any]]:
    """Open duties of open claims counted without their year's holiday data, for operators."""
    now = datetime.now(UTC)
    calendar = await repo.holiday_calendar(conn)
    out = []
    for r in await repo.open_claims_list(conn, limit=limit):
        view = claim_view(r, now=now, calendar=calendar)
        out += [{"claim_id": view["id"], "insurer_code": view["insurer_code"], **d}
                for d in view["deadlines"] if d["provisional"] and d["met_at"] is None]
    return out

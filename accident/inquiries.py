"""Inquiries and complaints (咨询及投诉): a party of a report asks a question or complains, about the case or in
general; operators and police of the report's jurisdiction answer it by a deadline; the party is texted that the
answer is there (accident.notifications, through the outbox) and reads it with its inquiries.

The texts are personal free text, stored only encrypted. A complaint about the case names its subject
(assessor, insurer, police, other): complaints about an assessor or an insurer are counted per county in the
supervision aggregates, and every inquiry appears in the report's audit trail (without its text).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident.errors import ReportNotFound
from accident.notifications import notify
from accident.service import Idempotency, Intake, access
from kernel import idempotency, ratelimit
from kernel.audit import AuditEvent, record
from kernel.errors import DomainError, NotFound
from kernel.identity import Principal, StaffPrincipal
from kernel.ratelimit import Limit, Window
from kernel.staff_accounts import zones_overseen


class InquiryNotFound(NotFound):
    code = "inquiry-not-found"
    title_zh = "没有该咨询或投诉"
    title_en = "No such inquiry or complaint"


class InquiryAnswered(DomainError):
    code = "inquiry-already-answered"
    kind = "conflict"
    title_zh = "该咨询或投诉已答复"
    title_en = "This inquiry or complaint has already been answered"


def _decrypt(intake: Intake, blob: bytes | None) -> str | None:
    return intake.keyring.decrypt(bytes(blob)) if blob is not None else None


def _breached(r: asyncpg.Record | dict[str, Any], now: datetime) -> bool:
    answered = r["answered_at"]
    return (answered if answered is not None else now) >= r["due_at"]


def _view(intake: Intake, r: asyncpg.Record, now: datetime) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "report_id": str(r["report_id"]),
        "party": r["label"],
        "kind": r["kind"],
        "about_case": r["about_case"],
        "subject": r["subject"],
        "text": _decrypt(intake, r["text_enc"]),
        "created_at": r["created_at"],
        "due_at": r["due_at"],
        "breached": _breached(r, now),
        "answer": _decrypt(intake, r["answer_enc"]),
        "answered_at": r["answered_at"],
    }


_SELECT = """SELECT i.id, i.report_id, p.label, i.kind, i.about_case, i.subject, i.text_enc, i.created_at, i.due_at,
                    i.answer_enc, i.answered_at, i.answered_by, s.username AS answered_by_username,
                    r.zone_id, z.name AS zone_name
             FROM inquiries i JOIN parties p ON p.id = i.party_id JOIN reports r ON r.id = i.report_id
             JOIN zones z ON z.id = r.zone_id LEFT JOIN staff s ON s.id = i.answered_by"""


async def _one(conn: asyncpg.Connection, inquiry_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_SELECT + " WHERE i.id = $1::uuid", inquiry_id)


def party_limit(party_id: UUID, per_hour: int) -> Limit:
    return Limit(
        f"inquiry:party:{party_id}",
        (
            Window(
                "inquiries-per-party-per-hour",
                per_hour,
                3600,
                f"每位当事人每小时最多提交{per_hour}条咨询或投诉",
                f"A party sends at most {per_hour} inquiries an hour",
            ),
        ),
    )


async def ask(
    intake: Intake,
    *,
    who: Principal,
    report_id: UUID,
    kind: str,
    about_case: bool,
    subject: str | None,
    text: str,
    at: datetime,
    due_at: datetime,
    idem: Idempotency | None,
    per_hour: int = 5,
    rate_limits: bool = True,
) -> dict[str, Any]:
    """A party sends a question or complaint at `at`; its answer is due at `due_at` (the composition root counts
    it in working days over the holiday calendar). At most `per_hour` an hour from one party (a retry with the
    same Idempotency-Key is not counted again)."""
    async with intake.pool.acquire() as conn, conn.transaction():
        if idem is not None and (
            stored := await idempotency.claim(
                conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
            )
        ):
            row = await _one(conn, UUID(stored.body["id"]))
            assert row is not None
            return _view(intake, row, intake.now())
        viewer = await access(conn, who, report_id)
        if viewer.party_id is None:
            raise ReportNotFound()
        await ratelimit.take(conn, party_limit(viewer.party_id, per_hour), enabled=rate_limits)
        now, due = at, due_at
        inquiry_id = uuid.uuid4()
        await conn.execute(
            """INSERT INTO inquiries (id, report_id, party_id, kind, about_case, subject, text_enc, created_at,
                                      due_at)
               VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::bool, $6::text, $7::bytea, $8::timestamptz,
                       $9::timestamptz)""",
            inquiry_id,
            report_id,
            viewer.party_id,
            kind,
            about_case,
            subject,
            intake.keyring.encrypt(text),
            now,
            due,
        )
        await record(
            conn,
            AuditEvent(
                "inquiry",
                str(inquiry_id),
                "received",
                who.actor,
                report_id,
                {
                    "kind": {"before": None, "after": kind},
                    "about_case": {"before": None, "after": about_case},
                    "subject": {"before": None, "after": subject},
                    "due_at": {"before": None, "after": due.isoformat()},
                },
            ),
        )
        if idem is not None:
            await idempotency.store(
                conn, scope=idem.scope, key=idem.key, status=201, body={"id": str(inquiry_id)}
            )
        row = await _one(conn, inquiry_id)
        assert row is not None
        return _view(intake, row, now)


async def of_party(intake: Intake, *, who: Principal, report_id: UUID) -> list[dict[str, Any]]:
    """The caller's own inquiries in this report, newest first, with their answers."""
    async with intake.pool.acquire() as conn:
        viewer = await access(conn, who, report_id)
        if viewer.party_id is None:
            raise ReportNotFound()
        rows = await conn.fetch(
            _SELECT + " WHERE i.report_id = $1::uuid AND i.party_id = $2::uuid"
            " ORDER BY i.created_at DESC",
            report_id,
            viewer.party_id,
        )
    now = intake.now()
    return [_view(intake, r, now) for r in rows]


def _staff_view(intake: Intake, r: asyncpg.Record, now: datetime) -> dict[str, Any]:
    return {
        **_view(intake, r, now),
        "zone": {"id": r["zone_id"], "name": r["zone_name"]},
        "answered_by": r["answered_by_username"],
    }


async def queue(
    intake: Intake, *, who: StaffPrincipal, state: str, limit: int = 200
) -> list[dict[str, Any]]:
    """Inquiries of the reports the staff member oversees: open ones oldest first (the most overdue on top),
    answered ones most recent first."""
    async with intake.pool.acquire() as conn:
        zones = await zones_overseen(conn, staff_id=who.staff_id, role=who.role)
        order = (
            "i.created_at, i.id"
            if state == "open"
            else "i.answered_at DESC NULLS FIRST, i.created_at"
        )
        rows = await conn.fetch(
            _SELECT
            + f"""
             WHERE ($1::text[] IS NULL OR r.zone_id = ANY($1::text[]))
               AND ($2::text = 'all' OR ($2::text = 'open') = (i.answered_at IS NULL))
             ORDER BY {order} LIMIT $3::int""",
            zones,
            state,
            limit,
        )
    now = intake.now()
    return [_staff_view(intake, r, now) for r in rows]


async def answer(
    intake: Intake, *, who: StaffPrincipal, inquiry_id: UUID, text: str, idem: Idempotency | None
) -> dict[str, Any]:
    """Record the answer once and tell the party by SMS that it is there (accident.notifications, once); staff
    outside the report's jurisdiction get "not found"."""
    async with intake.pool.acquire() as conn, conn.transaction():
        if idem is not None and await idempotency.claim(
            conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
        ):
            row = await _one(conn, inquiry_id)
            assert row is not None
            return _staff_view(intake, row, intake.now())
        row = await conn.fetchrow(
            """SELECT i.id, i.report_id, i.kind, i.answered_at, r.zone_id, i.party_id, p.label
               FROM inquiries i JOIN reports r ON r.id = i.report_id JOIN parties p ON p.id = i.party_id
               WHERE i.id = $1::uuid FOR UPDATE OF i""",
            inquiry_id,
        )
        zones = await zones_overseen(conn, staff_id=who.staff_id, role=who.role)
        if row is None or (zones is not None and row["zone_id"] not in zones):
            raise InquiryNotFound()
        if row["answered_at"] is not None:
            raise InquiryAnswered()
        k = intake.keyring
        # The driver is texted that an answer is there (the text carries no answer: the app shows it), once.
        await notify(
            conn,
            report_id=row["report_id"],
            event="inquiry_answered",
            key=str(inquiry_id),
            labels=[row["label"]],
        )
        sms_id = await conn.fetchval(
            "SELECT id FROM outbox WHERE dedupe_key = $1::text",
            f"sms:notify:inquiry_answered:{row['report_id']}:{inquiry_id}:{row['party_id']}",
        )
        now = intake.now()
        await conn.execute(
            """UPDATE inquiries SET answer_enc = $2::bytea, answered_at = $3::timestamptz, answered_by = $4::uuid,
                                    sms_id = $5::uuid
               WHERE id = $1::uuid AND answered_at IS NULL""",
            inquiry_id,
            k.encrypt(text),
            now,
            who.staff_id,
            sms_id,
        )
        await record(
            conn,
            AuditEvent(
                "inquiry",
                str(inquiry_id),
                "answered",
                who.actor,
                row["report_id"],
                {"answered_at": {"before": None, "after": now.isoformat()}},
            ),
        )
        if idem is not None:
            await idempotency.store(
                conn, scope=idem.scope, key=idem.key, status=200, body={"id": str(inquiry_id)}
            )
        answered = await _one(conn, inquiry_id)
        assert answered is not None
        return _staff_view(intake, answered, now)

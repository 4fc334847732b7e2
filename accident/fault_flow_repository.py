"""SQL of the fault flow's party side: accounts, proposals, responses, signatures, agreements, the review queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident.fault_errors import AlreadyDone, FaultInputRefused
from kernel.errors import field


def translate(exc: asyncpg.IntegrityConstraintViolationError) -> Exception:
    """Constraint violations that mean a refused request become domain errors; anything else stays a bug."""
    name = getattr(exc, "constraint_name", None)
    if name in (
        "fault_responses_party_version_key",
        "fault_signatures_party_version_key",
        "determination_responses_party_version_key",
        "court_requests_report_key",
    ):
        return AlreadyDone()
    if name in ("fault_responses_reason_check", "determination_responses_reason_check"):
        return FaultInputRefused(
            "提出异议时请说明理由",
            "Give a reason when disputing",
            errors=[field("#/reason", "提出异议时请说明理由", "Give a reason when disputing")],
        )
    if name == "police_determination_shares_share_check":
        return FaultInputRefused(
            "责任与比例不符",
            "Liability and share do not match",
            errors=[
                field(
                    "#/shares", "责任类型与比例不一致", "The liability and its share do not match"
                )
            ],
        )
    return exc


async def _run(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    try:
        return await conn.fetchval(sql, *args)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None


async def accounts(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.party_id, p.label, a.context, a.facts, a.declared_scenarios, a.version, a.submitted_at
           FROM fault_accounts a JOIN parties p ON p.id = a.party_id
           WHERE a.report_id = $1::uuid ORDER BY p.label""",
        report_id,
    )


async def save_account(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    party_id: UUID,
    context: dict,
    facts: dict,
    declared: list[str],
    at: datetime,
) -> int:
    """Insert or replace this party's account; return its new version."""
    return await conn.fetchval(
        """INSERT INTO fault_accounts AS a (report_id, party_id, context, facts, declared_scenarios, submitted_at)
           VALUES ($1::uuid, $2::uuid, $3::jsonb, $4::jsonb, $5::text[], $6::timestamptz)
           ON CONFLICT ON CONSTRAINT fault_accounts_pkey DO UPDATE
           SET context = EXCLUDED.context, facts = EXCLUDED.facts, declared_scenarios = EXCLUDED.declared_scenarios,
               submitted_at = EXCLUDED.submitted_at, version = a.version + 1
           RETURNING version""",
        report_id,
        party_id,
        context,
        facts,
        declared,
        at,
    )


_PROPOSAL = """SELECT report_id, version, set_id, set_version, facts, result, created_at FROM fault_proposals"""


async def latest_proposal(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _PROPOSAL + " WHERE report_id = $1::uuid ORDER BY version DESC LIMIT 1", report_id
    )


async def proposals_since(conn: asyncpg.Connection, *, since: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        _PROPOSAL + " WHERE created_at >= $1::timestamptz ORDER BY created_at, report_id", since
    )


async def insert_proposal(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    set_id: str,
    set_version: str,
    facts: Any,
    result: dict,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO fault_proposals (report_id, version, set_id, set_version, facts, result, created_at)
           VALUES ($1::uuid, $2::int, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::timestamptz)""",
        report_id,
        version,
        set_id,
        set_version,
        facts,
        result,
        at,
    )


async def void_responses(conn: asyncpg.Connection, *, report_id: UUID, before: int) -> int:
    """Void the acceptances of earlier proposal versions; return how many were voided."""
    status = await conn.execute(
        """UPDATE fault_responses SET voided_at = now()
           WHERE report_id = $1::uuid AND proposal_version < $2::int AND voided_at IS NULL""",
        report_id,
        before,
    )
    return int(status.split()[-1])


async def responses(
    conn: asyncpg.Connection, *, report_id: UUID, version: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.party_id, p.label, r.response, r.reason, r.proposal_version, r.created_at, r.voided_at
           FROM fault_responses r JOIN parties p ON p.id = r.party_id
           WHERE r.report_id = $1::uuid AND r.proposal_version = $2::int ORDER BY r.created_at, p.label""",
        report_id,
        version,
    )


async def insert_response(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    party_id: UUID,
    response: str,
    reason: str | None,
    at: datetime,
) -> UUID:
    return await _run(
        conn,
        """INSERT INTO fault_responses (id, report_id, proposal_version, party_id, response, reason, created_at)
           VALUES ($1::uuid, $2::uuid, $3::int, $4::uuid, $5::text, $6::text, $7::timestamptz) RETURNING id""",
        uuid.uuid4(),
        report_id,
        version,
        party_id,
        response,
        reason,
        at,
    )


async def signatures(
    conn: asyncpg.Connection, *, report_id: UUID, version: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.party_id, p.label, s.signed_at, s.code_confirmed, s.image_sha256, s.mutual_self_compensation
           FROM fault_signatures s JOIN parties p ON p.id = s.party_id
           WHERE s.report_id = $1::uuid AND s.proposal_version = $2::int ORDER BY p.label""",
        report_id,
        version,
    )


async def insert_signature(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    party_id: UUID,
    image_sha256: str | None,
    mutual: bool,
    at: datetime,
) -> UUID:
    return await _run(
        conn,
        """INSERT INTO fault_signatures (id, report_id, proposal_version, party_id, signed_at, code_confirmed,
                                         image_sha256, mutual_self_compensation)
           VALUES ($1::uuid, $2::uuid, $3::int, $4::uuid, $5::timestamptz, true, $6::text, $7::bool) RETURNING id""",
        uuid.uuid4(),
        report_id,
        version,
        party_id,
        at,
        image_sha256,
        mutual,
    )


async def insert_agreement(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    content_enc: bytes,
    json_sha256: str,
    pdf_enc: bytes,
    pdf_sha256: str,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO fault_agreements (report_id, proposal_version, content_enc, json_sha256, pdf_enc, pdf_sha256,
                                         created_at)
           VALUES ($1::uuid, $2::int, $3::bytea, $4::text, $5::bytea, $6::text, $7::timestamptz)""",
        report_id,
        version,
        content_enc,
        json_sha256,
        pdf_enc,
        pdf_sha256,
        at,
    )


async def agreement(
    conn: asyncpg.Connection, *, report_id: UUID, with_pdf: bool = False
) -> asyncpg.Record | None:
    """The agreement row; content/pdf are set only in rows written before they were sealed (content_enc/pdf_enc).
    The PDF columns are read only with_pdf (NULL otherwise)."""
    pdf = "pdf, pdf_enc" if with_pdf else "NULL::bytea AS pdf, NULL::bytea AS pdf_enc"
    content = (
        "NULL::jsonb AS content, NULL::bytea AS content_enc" if with_pdf else "content, content_enc"
    )
    return await conn.fetchrow(
        f"""SELECT proposal_version, {content}, json_sha256, {pdf}, pdf_sha256, created_at
            FROM fault_agreements WHERE report_id = $1::uuid""",  # noqa: S608 - constant column choices
        report_id,
    )


async def insurer_names(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["code"]: r["name"] for r in await conn.fetch("SELECT code, name FROM insurers")}


async def open_review(
    conn: asyncpg.Connection, *, report_id: UUID, source: str, reasons: list[dict], at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO fault_reviews (id, report_id, source, reasons, opened_at)
           VALUES ($1::uuid, $2::uuid, $3::text, $4::jsonb, $5::timestamptz)""",
        uuid.uuid4(),
        report_id,
        source,
        reasons,
        at,
    )

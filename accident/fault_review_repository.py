"""SQL of police review: the queue, determinations and their shares, responses to them, court requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import asyncpg

from accident.fault_flow_repository import translate


async def review_queue(
    conn: asyncpg.Connection, *, staff_id: UUID, limit: int = 200
) -> list[asyncpg.Record]:
    """Open reviews in the staff member's jurisdiction (an admin's: all), oldest first."""
    return await conn.fetch(
        """SELECT v.report_id, v.opened_at, v.source, v.reasons, z.name AS zone, r.vehicle_count
           FROM fault_reviews v JOIN reports r ON r.id = v.report_id JOIN zones z ON z.id = r.zone_id
           JOIN staff s ON s.id = $2::uuid
           WHERE v.closed_at IS NULL AND r.status = 'in_review'
             AND (s.role = 'admin' OR r.zone_id = ANY(coalesce(s.jurisdiction, '{}')))
           ORDER BY v.opened_at, v.report_id LIMIT $1::int""",
        limit,
        staff_id,
    )


async def close_review(conn: asyncpg.Connection, *, report_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE fault_reviews SET closed_at = $2::timestamptz WHERE report_id = $1::uuid AND closed_at IS NULL",
        report_id,
        at,
    )


async def insert_determination(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    staff_id: UUID,
    reason: str,
    articles: list[str],
    shares: list[tuple[UUID, str, int]],
    at: datetime,
) -> None:
    """The determination and its per-party shares, in one round trip each."""
    try:
        await conn.execute(
            """INSERT INTO police_determinations (report_id, version, staff_id, reason, articles, created_at)
               VALUES ($1::uuid, $2::int, $3::uuid, $4::text, $5::text[], $6::timestamptz)""",
            report_id,
            version,
            staff_id,
            reason,
            articles,
            at,
        )
        await conn.execute(
            """INSERT INTO police_determination_shares (report_id, version, party_id, liability, share_percent)
               SELECT $1::uuid, $2::int, s.party_id, s.liability, s.share_percent
               FROM unnest($3::uuid[], $4::text[], $5::int[]) AS s (party_id, liability, share_percent)""",
            report_id,
            version,
            [s[0] for s in shares],
            [s[1] for s in shares],
            [s[2] for s in shares],
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None


async def latest_determination(
    conn: asyncpg.Connection, *, report_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT d.version, d.staff_id, d.reason, d.articles, d.created_at,
                  (SELECT jsonb_agg(jsonb_build_object('party', p.label, 'party_id', s.party_id,
                                                       'liability', s.liability, 'share_percent', s.share_percent)
                                    ORDER BY p.label)
                   FROM police_determination_shares s JOIN parties p ON p.id = s.party_id
                   WHERE s.report_id = d.report_id AND s.version = d.version) AS shares
           FROM police_determinations d WHERE d.report_id = $1::uuid ORDER BY d.version DESC LIMIT 1""",
        report_id,
    )


async def determination_responses(
    conn: asyncpg.Connection, *, report_id: UUID, version: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.party_id, p.label, r.response, r.reason, r.determination_version, r.created_at, r.mutual_opt_in
           FROM determination_responses r JOIN parties p ON p.id = r.party_id
           WHERE r.report_id = $1::uuid AND r.determination_version = $2::int ORDER BY r.created_at, p.label""",
        report_id,
        version,
    )


async def insert_determination_response(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    party_id: UUID,
    response: str,
    reason: str | None,
    at: datetime,
    mutual_opt_in: bool = False,
) -> None:
    try:
        await conn.execute(
            """INSERT INTO determination_responses (id, report_id, determination_version, party_id, response,
                                                    reason, created_at, mutual_opt_in)
               VALUES ($1::uuid, $2::uuid, $3::int, $4::uuid, $5::text, $6::text, $7::timestamptz, $8::boolean)""",
            uuid.uuid4(),
            report_id,
            version,
            party_id,
            response,
            reason,
            at,
            mutual_opt_in,
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None


async def insert_court_request(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    party_id: UUID,
    reason: str,
    outcome: str,
    at: datetime,
) -> UUID:
    request_id = uuid.uuid4()
    try:
        await conn.execute(
            """INSERT INTO court_requests (id, report_id, determination_version, party_id, reason, outcome,
                                           created_at)
               VALUES ($1::uuid, $2::uuid, $3::int, $4::uuid, $5::text, $6::text, $7::timestamptz)""",
            request_id,
            report_id,
            version,
            party_id,
            reason,
            outcome,
            at,
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None
    return request_id


async def court_request(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT c.id, c.party_id, p.label, c.reason, c.outcome, c.determination_version, c.created_at,
                  w.reason AS withdrawal_reason, w.created_at AS withdrawn_at
           FROM court_requests c JOIN parties p ON p.id = c.party_id
           LEFT JOIN court_request_withdrawals w ON w.report_id = c.report_id WHERE c.report_id = $1::uuid""",
        report_id,
    )


async def insert_court_withdrawal(
    conn: asyncpg.Connection, *, report_id: UUID, party_id: UUID, reason: str, at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO court_request_withdrawals (report_id, party_id, reason, created_at)
           VALUES ($1::uuid, $2::uuid, $3::text, $4::timestamptz)""",
        report_id,
        party_id,
        reason,
        at,
    )


async def zone_exemption(conn: asyncpg.Connection, *, zone_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT name, court_exempt, exempt_reason FROM zones WHERE id = $1::text", zone_id
    )

"""What the dispute package is built from, read in the caller's transaction; one function per query.

Every table read here, claims and assessments included, is part of the schema the migrations create: a missing
table or column is an error that fails the caller's transaction (and, for a message, the outbox retries and
then parks it), never a package silently missing what the court should see.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def report(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT r.id, r.status, r.occurred_at, r.lat, r.lon, r.address, r.address_enc, r.weather, r.zone_id,
                  z.name AS zone_name, z.jurisdiction, z.court_exempt
           FROM reports r JOIN zones z ON z.id = r.zone_id WHERE r.id = $1::uuid""",
        report_id,
    )


async def parties(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.label, p.name_enc, p.id_number_enc, p.phone_enc, p.id_kind, p.plate, p.vehicle_type,
                  p.insurer_code, coalesce(i.name, p.insurer_code) AS insurer_name, p.policy_number,
                  p.policy_number_enc
           FROM parties p LEFT JOIN insurers i ON i.code = p.insurer_code
           WHERE p.report_id = $1::uuid ORDER BY p.label""",
        report_id,
    )


async def accounts(conn: asyncpg.Connection, *, report_id: UUID) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT p.label, a.context, a.facts FROM fault_accounts a JOIN parties p ON p.id = a.party_id
           WHERE a.report_id = $1::uuid""",
        report_id,
    )
    return {r["label"]: {"context": r["context"], "facts": r["facts"]} for r in rows}


async def proposals(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT version, set_id, set_version, result, created_at FROM fault_proposals
           WHERE report_id = $1::uuid ORDER BY version""",
        report_id,
    )


async def determinations(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT d.version, d.reason, d.articles, d.created_at,
                  (SELECT jsonb_agg(jsonb_build_object('party', p.label, 'liability', s.liability,
                                                       'share_percent', s.share_percent) ORDER BY p.label)
                   FROM police_determination_shares s JOIN parties p ON p.id = s.party_id
                   WHERE s.report_id = d.report_id AND s.version = d.version) AS shares
           FROM police_determinations d WHERE d.report_id = $1::uuid ORDER BY d.version""",
        report_id,
    )


async def answers(conn: asyncpg.Connection, *, report_id: UUID) -> list[dict[str, Any]]:
    """Every acceptance and dispute of a proposal or a determination, oldest first."""
    rows = await conn.fetch(
        """SELECT 'proposal' AS stage, r.proposal_version AS version, p.label AS party, r.response, r.reason,
                  r.created_at AS at
           FROM fault_responses r JOIN parties p ON p.id = r.party_id WHERE r.report_id = $1::uuid
           UNION ALL
           SELECT 'determination', r.determination_version, p.label, r.response, r.reason, r.created_at
           FROM determination_responses r JOIN parties p ON p.id = r.party_id WHERE r.report_id = $1::uuid
           ORDER BY at, stage, party""",
        report_id,
    )
    return [dict(r) for r in rows]


async def court_request(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT p.label AS party, c.determination_version, c.reason, c.outcome, c.created_at
           FROM court_requests c JOIN parties p ON p.id = c.party_id WHERE c.report_id = $1::uuid""",
        report_id,
    )


async def photos(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT ph.id, ph.kind, pa.label AS party_label, ph.sha256, ph.size_bytes, ph.media_type, ph.taken_at
           FROM photos ph LEFT JOIN parties pa ON pa.id = ph.party_id
           WHERE ph.report_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id)
           ORDER BY ph.created_at, ph.id""",
        report_id,
    )


async def claims(conn: asyncpg.Connection, *, report_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT c.id::text AS claim_id, c.label AS party, c.insurer_code, c.status,
                  coalesce((SELECT sum(l.payout_fen) FROM claim_lines l WHERE l.claim_id = c.id), c.payout_fen)::bigint
                      AS payout_fen,
                  coalesce((SELECT sum(l.paid_fen) FROM claim_lines l WHERE l.claim_id = c.id), c.paid_fen)::bigint
                      AS paid_fen, c.applied_at
           FROM claims c WHERE c.report_id = $1::uuid ORDER BY c.label""",
        report_id,
    )
    return [dict(r) for r in rows]


async def assessments(conn: asyncpg.Connection, *, report_id: UUID) -> list[dict[str, Any]]:
    """The current (highest) assessment revision of each claim of the report."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (a.claim_id) a.claim_id::text AS claim_id, c.label AS party, a.revision,
                  a.total_fen, a.vehicle_only, a.items, a.created_at AS assessed_at
           FROM claim_assessments a JOIN claims c ON c.id = a.claim_id
           WHERE c.report_id = $1::uuid ORDER BY a.claim_id, a.revision DESC""",
        report_id,
    )
    return [dict(r) for r in rows]

"""Anomaly signals for human review, never verdicts: a photo whose content is a near-duplicate of another
report's photo (re-encoded, resized, cropped by a few per cent). The hashes are indexed in PostgreSQL so every
process sees every photo (migration 0044)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from accident.photo_similarity import PerceptualHashes, signed
from kernel.audit import AuditEvent, record


@dataclass(frozen=True, slots=True)
class SimilarityPolicy:
    phash_max_bits: int = 8
    dhash_max_bits: int = 10


async def store_hashes(
    conn: asyncpg.Connection, *, sha256: str, variants: Sequence[PerceptualHashes]
) -> None:
    await conn.execute(
        """INSERT INTO photo_similarity (sha256, variant, phash, dhash, band0, band1, band2, band3)
           SELECT $1::text, v.n - 1, v.p, v.d, v.b0, v.b1, v.b2, v.b3
           FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::int[], $6::int[], $7::int[])
                WITH ORDINALITY AS v(p, d, b0, b1, b2, b3, n)
           ON CONFLICT (sha256, variant) DO NOTHING""",
        sha256,
        [signed(h.phash) for h in variants],
        [signed(h.dhash) for h in variants],
        *[[h.bands()[i] for h in variants] for i in range(4)],
    )


# Each variant of this content against every stored variant of other content sharing a band, confirmed with
# bit_count; the closest pair per other content.
_NEAR = """
WITH mine AS (
    SELECT phash, dhash, band0, band1, band2, band3 FROM photo_similarity WHERE sha256 = $1::text
), close AS (
    SELECT o.sha256, bit_count((o.phash # m.phash)::bit(64)) AS p_bits,
           bit_count((o.dhash # m.dhash)::bit(64)) AS d_bits
    FROM mine m JOIN photo_similarity o
      ON (o.band0 = m.band0 OR o.band1 = m.band1 OR o.band2 = m.band2 OR o.band3 = m.band3)
    WHERE o.sha256 <> $1::text
      AND bit_count((o.phash # m.phash)::bit(64)) <= $2::int AND bit_count((o.dhash # m.dhash)::bit(64)) <= $3::int
)
SELECT DISTINCT ON (sha256) sha256, p_bits, d_bits FROM close ORDER BY sha256, p_bits + d_bits
"""


async def near_duplicates(
    conn: asyncpg.Connection, *, sha256: str, policy: SimilarityPolicy
) -> list[asyncpg.Record]:
    return await conn.fetch(_NEAR, sha256, policy.phash_max_bits, policy.dhash_max_bits)


async def flag_near_duplicates(
    conn: asyncpg.Connection, *, sha256: str, policy: SimilarityPolicy
) -> int:
    """Flag every pair (a photo of this content, a photo of another report with the same or near content) on
    both reports; returns how many flags are new. Identical bytes in two reports count as distance 0."""
    near = {
        r["sha256"]: (r["p_bits"], r["d_bits"])
        for r in await near_duplicates(conn, sha256=sha256, policy=policy)
    }
    near[sha256] = (0, 0)
    rows = await conn.fetch(
        """SELECT a.id AS photo, a.report_id AS report, b.id AS other_photo, b.report_id AS other_report,
                  b.sha256 AS other_sha256, a.sha256
           FROM photos a JOIN photos b ON b.sha256 = ANY($2::text[]) AND b.report_id <> a.report_id
           WHERE a.sha256 = $1::text""",
        sha256,
        list(near),
    )
    flags: list[tuple[UUID, str, dict[str, Any]]] = []
    for r in rows:
        p_bits, d_bits = near[r["other_sha256"]]
        pairs = (
            (r["photo"], r["other_photo"], r["report"], r["other_report"]),
            (r["other_photo"], r["photo"], r["other_report"], r["report"]),
        )
        for mine, theirs, mine_report, their_report in pairs:
            flags.append(
                (
                    mine_report,
                    f"{mine}~{theirs}",
                    {
                        "photo_id": str(mine),
                        "other_photo_id": str(theirs),
                        "other_report_id": str(their_report),
                        "phash_distance_bits": p_bits,
                        "dhash_distance_bits": d_bits,
                        "identical_bytes": r["other_sha256"] == r["sha256"],
                        "thresholds": {
                            "phash_bits": policy.phash_max_bits,
                            "dhash_bits": policy.dhash_max_bits,
                        },
                    },
                )
            )
    if not flags:
        return 0
    new = await conn.fetch(
        """INSERT INTO anomaly_flags (report_id, kind, subject, evidence)
           SELECT f.report_id, 'near_duplicate_photo', f.subject, f.evidence
           FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) AS f(report_id, subject, evidence)
           ON CONFLICT (report_id, kind, subject) DO NOTHING RETURNING report_id, subject""",
        [f[0] for f in flags],
        [f[1] for f in flags],
        [f[2] for f in flags],
    )
    await record(
        conn,
        *[
            AuditEvent(
                "anomaly_flag",
                n["subject"],
                "raised",
                ("system", "worker"),
                n["report_id"],
                {"kind": {"before": None, "after": "near_duplicate_photo"}},
            )
            for n in new
        ],
    )
    return len(new)


async def staff_flags(
    conn: asyncpg.Connection, *, staff_id: UUID, limit: int = 200
) -> list[dict[str, Any]]:
    """Flags of the reports in the staff member's jurisdiction (an admin's: all), newest first."""
    rows = await conn.fetch(
        """SELECT f.id, f.report_id, f.kind, f.subject, f.evidence, f.created_at, z.name AS zone
           FROM anomaly_flags f JOIN reports r ON r.id = f.report_id JOIN zones z ON z.id = r.zone_id
           JOIN staff s ON s.id = $2::uuid
           WHERE s.role = 'admin' OR r.zone_id = ANY(coalesce(s.jurisdiction, '{}'))
           ORDER BY f.created_at DESC, f.id DESC LIMIT $1::int""",
        limit,
        staff_id,
    )
    return [{**dict(r), "report_id": str(r["report_id"])} for r in rows]

"""asyncpg access to zones, insurers and reference_versions; takes a connection, never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from geo.model import InsurerIn, ZoneIn

# Serialises concurrent loads so two loaders cannot interleave their upserts (arbitrary constant).
REFERENCE_LOCK_ID = 0x6B75_6169_7265_66

_UPSERT_ZONES = """
INSERT INTO zones AS z (id, name, kind, jurisdiction, court_exempt, exempt_reason, properties, geometry)
SELECT r.id, r.name, r.kind, r.jurisdiction, r.court_exempt, r.exempt_reason,
       r.properties::jsonb, r.geometry::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::text[])
     AS r(id, name, kind, jurisdiction, court_exempt, exempt_reason, properties, geometry)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, kind = EXCLUDED.kind, jurisdiction = EXCLUDED.jurisdiction,
    court_exempt = EXCLUDED.court_exempt, exempt_reason = EXCLUDED.exempt_reason,
    properties = EXCLUDED.properties, geometry = EXCLUDED.geometry, updated_at = now()
-- Unchanged rows are not rewritten: a repeated load leaves updated_at (and the table) untouched.
WHERE (z.name, z.kind, z.jurisdiction, z.court_exempt, z.exempt_reason, z.properties, z.geometry)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.jurisdiction, EXCLUDED.court_exempt,
                        EXCLUDED.exempt_reason, EXCLUDED.properties, EXCLUDED.geometry)
RETURNING z.id, (z.xmax = 0) AS inserted
"""

_UPSERT_INSURERS = """
INSERT INTO insurers AS i (code, name, name_en, webhook_url, webhook_secrets)
SELECT r.code, r.name, r.name_en, r.webhook_url, r.webhook_secrets::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     AS r(code, name, name_en, webhook_url, webhook_secrets)
ON CONFLICT (code) DO UPDATE SET
    name = EXCLUDED.name, name_en = EXCLUDED.name_en, webhook_url = EXCLUDED.webhook_url,
    webhook_secrets = EXCLUDED.webhook_secrets, updated_at = now()
WHERE (i.name, i.name_en, i.webhook_url, i.webhook_secrets)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_en, EXCLUDED.webhook_url, EXCLUDED.webhook_secrets)
RETURNING i.code, (i.xmax = 0) AS inserted
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def lock_reference(conn: asyncpg.Connection) -> None:
    """Take the transaction-scoped lock that serialises reference loads."""
    await conn.execute("SELECT pg_advisory_xact_lock($1::bigint)", REFERENCE_LOCK_ID)


async def latest_version(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The newest reference_versions row, or None before the first load."""
    return await conn.fetchrow(
        "SELECT version, digest, source, loaded_at FROM reference_versions ORDER BY version DESC LIMIT 1"
    )


async def upsert_zones(conn: asyncpg.Connection, *, zones: Sequence[ZoneIn]) -> dict[str, list[str]]:
    """Insert new zones and update changed ones in one statement; return ids by outcome."""
    rows = await conn.fetch(
        _UPSERT_ZONES,
        [z.id for z in zones],
        [z.name for z in zones],
        [z.kind for z in zones],
        [z.jurisdiction for z in zones],
        [z.court_exempt for z in zones],
        [z.exempt_reason for z in zones],
        [_dumps(z.properties) for z in zones],
        [_dumps(z.geometry) for z in zones],
    )
    absent = await conn.fetch(
        "SELECT id FROM zones WHERE id <> ALL($1::text[]) ORDER BY id", [z.id for z in zones]
    )
    return _outcome(rows, absent)


async def upsert_insurers(conn: asyncpg.Connection, *, insurers: Sequence[InsurerIn]) -> dict[str, list[str]]:
    """Insert new insurers and update changed ones in one statement; return codes by outcome."""
    rows = await conn.fetch(
        _UPSERT_INSURERS,
        [i.code for i in insurers],
        [i.name for i in insurers],
        [i.name_en for i in insurers],
        [i.webhook_url for i in insurers],
        [_dumps([s.as_json() for s in i.webhook_secrets]) for i in insurers],
    )
    absent = await conn.fetch(
        "SELECT code FROM insurers WHERE code <> ALL($1::text[]) ORDER BY code", [i.code for i in insurers]
    )
    return _outcome(rows, absent)


def _outcome(rows: list[asyncpg.Record], absent: list[asyncpg.Record]) -> dict[str, list[str]]:
    return {
        "inserted": sorted(r[0] for r in rows if r["inserted"]),
        "updated": sorted(r[0] for r in rows if not r["inserted"]),
        "absent": [r[0] for r in absent],
    }


async def insert_version(
    conn: asyncpg.Connection, *, digest: str, source: str, summary: dict[str, Any]
) -> int:
    """Record a new reference version; returns its number."""
    return await conn.fetchval(
        "INSERT INTO reference_versions (digest, source, summary) VALUES ($1::text, $2::text, $3::jsonb)"
        " RETURNING version",
        digest,
        source,
        summary,
    )


async def load_zones(conn: asyncpg.Connection) -> list[ZoneIn]:
    """Every zone, ordered by id (the order ZoneIndex.build relies on for determinism)."""
    rows = await conn.fetch(
        "SELECT id, name, kind, jurisdiction, court_exempt, exempt_reason, properties, geometry"
        " FROM zones ORDER BY id"
    )
    return [ZoneIn.model_validate(dict(r)) for r in rows]

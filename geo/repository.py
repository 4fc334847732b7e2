"""asyncpg access to zones, insurers, outlets, assessors and reference_versions; takes a connection, never commits."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from geo.model import AdjusterIn, CoordinatorIn, InsurerIn, OutletIn, ZoneIn

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


async def versions(conn: asyncpg.Connection, *, limit: int = 50) -> list[asyncpg.Record]:
    """Reference versions newest first, with what each load changed (its summary)."""
    return await conn.fetch(
        "SELECT version, digest, source, loaded_at, summary FROM reference_versions ORDER BY version DESC"
        " LIMIT $1::int",
        limit,
    )


async def insurer_names(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every insurer's code and names (nothing else: the list is public)."""
    return await conn.fetch("SELECT code, name, name_en FROM insurers ORDER BY code")


async def upsert_zones(
    conn: asyncpg.Connection, *, zones: Sequence[ZoneIn]
) -> dict[str, list[str]]:
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


async def upsert_insurers(
    conn: asyncpg.Connection, *, insurers: Sequence[InsurerIn]
) -> dict[str, list[str]]:
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
        "SELECT code FROM insurers WHERE code <> ALL($1::text[]) ORDER BY code",
        [i.code for i in insurers],
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


_UPSERT_OUTLETS = """
INSERT INTO insurer_outlets AS o (id, insurer_code, name, lat, lon)
SELECT r.id, r.insurer_code, r.name, r.lat, r.lon
FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[]) AS r(id, insurer_code, name, lat, lon)
ON CONFLICT (id) DO UPDATE SET insurer_code = EXCLUDED.insurer_code, name = EXCLUDED.name, lat = EXCLUDED.lat,
    lon = EXCLUDED.lon, updated_at = now()
WHERE (o.insurer_code, o.name, o.lat, o.lon) IS DISTINCT FROM
      (EXCLUDED.insurer_code, EXCLUDED.name, EXCLUDED.lat, EXCLUDED.lon)
RETURNING o.id, (o.xmax = 0) AS inserted
"""

# New accounts get an unusable random hash: `kuaichu staff rotate-token USERNAME` issues the real token.
_UPSERT_STAFF = """
INSERT INTO staff AS s (id, username, role, insurer_code, display_name, token_hash)
SELECT r.id, r.username, r.role, r.insurer_code, r.display_name, r.token_hash
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
     AS r(id, username, role, insurer_code, display_name, token_hash)
ON CONFLICT (username) DO UPDATE SET insurer_code = EXCLUDED.insurer_code, display_name = EXCLUDED.display_name
WHERE s.role = EXCLUDED.role
  AND (s.insurer_code, s.display_name) IS DISTINCT FROM (EXCLUDED.insurer_code, EXCLUDED.display_name)
"""

# open_tasks is never written here: a reload must not forget the tasks people hold.
_UPSERT_ASSESSORS = """
INSERT INTO assessors AS a (id, kind, staff_id, insurer_code, zones, name, lat, lon, capacity, active)
SELECT r.id, r.kind, s.id, r.insurer_code, ARRAY(SELECT jsonb_array_elements_text(r.zones::jsonb)),
       r.name, r.lat, r.lon, r.capacity, r.active
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[],
            $9::int[], $10::boolean[])
     AS r(id, kind, username, insurer_code, zones, name, lat, lon, capacity, active)
JOIN staff s ON s.username = r.username
ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, staff_id = EXCLUDED.staff_id,
    insurer_code = EXCLUDED.insurer_code, zones = EXCLUDED.zones, name = EXCLUDED.name, lat = EXCLUDED.lat,
    lon = EXCLUDED.lon, capacity = EXCLUDED.capacity, active = EXCLUDED.active, updated_at = now()
WHERE (a.kind, a.staff_id, a.insurer_code, a.zones, a.name, a.lat, a.lon, a.capacity, a.active)
      IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.staff_id, EXCLUDED.insurer_code, EXCLUDED.zones, EXCLUDED.name,
                        EXCLUDED.lat, EXCLUDED.lon, EXCLUDED.capacity, EXCLUDED.active)
RETURNING a.id, (a.xmax = 0) AS inserted
"""


async def upsert_outlets(
    conn: asyncpg.Connection, *, outlets: Sequence[OutletIn]
) -> dict[str, list[str]]:
    """Insert new outlets and update changed ones; return ids by outcome."""
    rows = await conn.fetch(
        _UPSERT_OUTLETS,
        [o.id for o in outlets],
        [o.insurer_code for o in outlets],
        [o.name for o in outlets],
        [o.lat for o in outlets],
        [o.lon for o in outlets],
    )
    absent = await conn.fetch(
        "SELECT id FROM insurer_outlets WHERE id <> ALL($1::text[]) ORDER BY id",
        [o.id for o in outlets],
    )
    return _outcome(rows, absent)


async def staff_roles(conn: asyncpg.Connection, *, usernames: Sequence[str]) -> dict[str, str]:
    """username -> role of the staff accounts that already exist among `usernames`."""
    rows = await conn.fetch(
        "SELECT username, role FROM staff WHERE username = ANY($1::text[])", list(usernames)
    )
    return {r["username"]: r["role"] for r in rows}


async def upsert_assessors(
    conn: asyncpg.Connection,
    *,
    adjusters: Sequence[AdjusterIn],
    coordinators: Sequence[CoordinatorIn],
) -> dict[str, list[str]]:
    """Create or update the staff accounts, then the assessor rows linked to them; return ids by outcome."""
    people = [("adjuster", a.id, a.username, a.insurer_code, [], a) for a in adjusters]
    people += [("coordinator", c.id, c.username, None, c.zones, c) for c in coordinators]
    await conn.execute(
        _UPSERT_STAFF,
        [uuid.uuid4() for _ in people],
        [p[2] for p in people],
        [p[0] for p in people],
        [p[3] for p in people],
        [p[5].name for p in people],
        [os.urandom(32) for _ in people],
    )
    rows = await conn.fetch(
        _UPSERT_ASSESSORS,
        [p[1] for p in people],
        [p[0] for p in people],
        [p[2] for p in people],
        [p[3] for p in people],
        [_dumps(p[4]) for p in people],
        [p[5].name for p in people],
        [p[5].lat for p in people],
        [p[5].lon for p in people],
        [p[5].capacity for p in people],
        [p[5].active for p in people],
    )
    absent = await conn.fetch(
        "SELECT id FROM assessors WHERE id <> ALL($1::text[]) ORDER BY id", [p[1] for p in people]
    )
    return _outcome(rows, absent)

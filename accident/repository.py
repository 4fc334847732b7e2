"""SQL of the report flow: one function per query; rows in, rows out; constraint names become domain errors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from accident.errors import DuplicatePlate, UnknownInsurer
from accident.model import FINISHED, Status
from kernel.errors import field
from kernel.pipeline import PipelinedStatement

# Creating a report is one statement: the phone's creation (and invitation) limits, idempotency claim, report,
# party, consent, party token, share code, audit events and the invitation message, so a retry or a crash can
# never leave half of it behind. A limit is rate_take (migration 0013), atomic whatever snapshot the statement
# started with. A retry of an answered request takes no hit; a refused invitation takes no report hit (a refused
# report's invitation hit is given back by service.create_report). An unknown
# insurer code (a common slip) writes nothing and is answered by a flag, not by the foreign key's error, which
# would roll back the other creations pipelined with it (kernel.pipeline). The audit events are timed by the
# database's clock, as every audit event is (the application role may not set `at`).
_CREATE = """
WITH insurer AS (
    SELECT EXISTS (SELECT 1 FROM insurers WHERE code = $25::text) AS known
), fresh AS (
    SELECT 1 FROM insurer WHERE insurer.known AND ($1::text IS NULL OR NOT EXISTS (
        SELECT 1 FROM idempotency_keys WHERE scope = $1::text AND key = $2::text))
), inv AS (
    SELECT rate_take($43::jsonb) AS at FROM fresh
), lim AS (
    SELECT rate_take($42::jsonb) AS at FROM fresh WHERE $43::jsonb IS NULL OR EXISTS (SELECT 1 FROM inv)
), allowed AS (
    SELECT 1 FROM insurer WHERE insurer.known AND ($42::jsonb IS NULL OR EXISTS (SELECT 1 FROM lim))
), idem AS (
    INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)
    SELECT $1::text, $2::text, $3::bytea, 201, $4::jsonb FROM allowed WHERE $1::text IS NOT NULL
    ON CONFLICT (scope, key) DO NOTHING RETURNING 1
), go AS (
    SELECT 1 AS ok FROM allowed WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM idem)
), r AS (
    INSERT INTO reports (id, status, occurred_at, lat, lon, address_enc, zone_id, near_boundary, weather,
                         vehicle_count, case_answers, created_at, updated_at)
    SELECT $5::uuid, $6::text, $7::timestamptz, $8::float8, $9::float8, $10::bytea, $11::text, $12::bool,
           $13::text, $14::int, $15::jsonb, $16::timestamptz, $16::timestamptz FROM go
    RETURNING id
), p AS (
    INSERT INTO parties (id, report_id, label, phone_hash, phone_enc, name_enc, id_number_enc, id_kind, plate,
                         vehicle_type, insurer_code, policy_number_enc, answers, joined_at)
    SELECT $17::uuid, r.id, 'A', $18::bytea, $19::bytea, $20::bytea, $21::bytea, $22::text, $23::text, $24::text,
           $25::text, $26::bytea, $27::jsonb, $16::timestamptz FROM r
    RETURNING id
), c AS (
    INSERT INTO consents (id, report_id, party_id, notice_version, location, sharing, given_at)
    SELECT $28::uuid, $5::uuid, p.id, $29::text, $30::bool, $31::bool, $16::timestamptz FROM p RETURNING 1
), t AS (
    INSERT INTO party_tokens (token_hash, report_id, party_id, created_at)
    SELECT $32::bytea, $5::uuid, p.id, $16::timestamptz FROM p RETURNING 1
), s AS (
    INSERT INTO share_codes (code_hash, report_id, expires_at, created_at)
    SELECT $33::bytea, r.id, $34::timestamptz, $16::timestamptz FROM r WHERE $33::bytea IS NOT NULL RETURNING 1
), a AS (
    INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes)
    SELECT $5::uuid, e.entity, e.entity_id, e.action, 'party', $17::text, e.changes
    FROM go, unnest($35::text[], $36::text[], $37::text[], $38::jsonb[]) AS e(entity, entity_id, action, changes)
    RETURNING 1
), o AS (
    INSERT INTO outbox (id, topic, dedupe_key, report_id, payload)
    SELECT $39::uuid, 'sms', $40::text, r.id, $41::jsonb FROM r WHERE $39::uuid IS NOT NULL RETURNING 1
)
SELECT (SELECT known FROM insurer) AS insurer_known, (SELECT count(*) FROM r) AS created,
       EXISTS (SELECT 1 FROM fresh) AND $42::jsonb IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lim) AS limited,
       (SELECT at FROM lim) AS report_hit_at, (SELECT at FROM inv) AS invitation_hit_at,
       (SELECT count(*) FROM c) + (SELECT count(*) FROM t) + (SELECT count(*) FROM s)
     + (SELECT count(*) FROM a) + (SELECT count(*) FROM o) AS side_rows
"""


def _unknown_insurer() -> UnknownInsurer:
    return UnknownInsurer("保险公司代码不存在，请从列表中选择", "Unknown insurer code; pick one from the list",
                          errors=[field("#/party/insurance/insurer_code", "没有这家保险公司，请从列表中选择",
                                         "Unknown insurer: pick one from GET /v1/insurers")])


def translate(exc: asyncpg.IntegrityConstraintViolationError) -> Exception:
    """Constraint violations that mean bad input become domain errors; anything else stays a bug."""
    name = getattr(exc, "constraint_name", None)
    if name == "parties_insurer_code_fkey":
        return _unknown_insurer()
    if name == "parties_report_plate_key":
        return DuplicatePlate(errors=[field("#/party/vehicle/plate", "这个号牌已在本事故中",
                                            "This plate is already in the report")])
    return exc


def creation_pipeline(pool: asyncpg.Pool, *, max_batch: int, max_in_flight: int) -> PipelinedStatement:
    """Concurrent creations share round trips and commits; each still commits (or fails) as a whole."""
    return PipelinedStatement(pool, _CREATE, max_batch=max_batch, max_in_flight=max_in_flight)


async def create_report(creations: PipelinedStatement, *args: Any) -> asyncpg.Record:
    """Run the creation statement: `created` 0 when the idempotency key was already taken or a limit refused
    (`limited`), and the times of the rate-limit hits it took (to give back if nothing was created)."""
    try:
        row = await creations.fetchrow(*args)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None
    if not row["insurer_known"]:
        raise _unknown_insurer()
    return row


_REPORT = """
SELECT r.id, r.status, r.occurred_at, r.lat, r.lon, r.address, r.address_enc, r.zone_id, z.name AS zone_name,
       z.kind AS zone_kind, z.court_exempt, r.near_boundary, r.weather, r.vehicle_count, r.case_answers, r.referral,
       r.version, r.created_at, r.updated_at
FROM reports r JOIN zones z ON z.id = r.zone_id WHERE r.id = $1::uuid
"""


async def report(conn: asyncpg.Connection, *, report_id: UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(_REPORT + (" FOR UPDATE OF r" if lock else ""), report_id)


async def parties(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, label, phone_hash, phone_enc, name_enc, id_number_enc, id_kind, plate, vehicle_type,
                  insurer_code, policy_number, policy_number_enc, answers, joined_at
           FROM parties WHERE report_id = $1::uuid ORDER BY label""",
        report_id,
    )


async def photos(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT ph.id, ph.kind, pa.label AS party_label, ph.sha256, ph.size_bytes, ph.media_type, ph.width,
                  ph.height, ph.taken_at, ph.gps_lat, ph.gps_lon, ph.derivatives, ph.created_at
           FROM photos ph LEFT JOIN parties pa ON pa.id = ph.party_id
           WHERE ph.report_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id)
           ORDER BY ph.created_at, ph.id""",
        report_id,
    )


async def party_of_phone(conn: asyncpg.Connection, *, report_id: UUID, phone_hash: bytes) -> UUID | None:
    return await conn.fetchval(
        "SELECT id FROM parties WHERE report_id = $1::uuid AND phone_hash = $2::bytea", report_id, phone_hash
    )


async def reports_of_phone(conn: asyncpg.Connection, *, phone_hash: bytes) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.id, p.label, r.status, r.occurred_at, p.plate FROM parties p JOIN reports r ON r.id = p.report_id
           WHERE p.phone_hash = $1::bytea ORDER BY r.occurred_at DESC LIMIT 200""",
        phone_hash,
    )


async def set_status(conn: asyncpg.Connection, *, report_id: UUID, status: str, referral: Any = None) -> None:
    """Move the report; entering a finished status stamps finished_at (kept while it stays finished)."""
    await conn.execute(
        """UPDATE reports SET status = $2::text, referral = coalesce($3::jsonb, referral), updated_at = now(),
                              version = version + 1,
                              finished_at = CASE WHEN $4::boolean THEN coalesce(finished_at, now()) END
           WHERE id = $1::uuid""",
        report_id, status, referral, Status(status) in FINISHED,
    )


async def share_code_report(conn: asyncpg.Connection, *, code_hash: bytes) -> UUID | None:
    return await conn.fetchval(
        "SELECT report_id FROM share_codes WHERE code_hash = $1::bytea AND expires_at > now()", code_hash
    )


async def insert_share_code(conn: asyncpg.Connection, *, code_hash: bytes, report_id: UUID, expires_at: Any) -> None:
    await conn.execute(
        "INSERT INTO share_codes (code_hash, report_id, expires_at) VALUES ($1::bytea, $2::uuid, $3::timestamptz)",
        code_hash, report_id, expires_at,
    )


async def expire_share_codes(conn: asyncpg.Connection, *, report_id: UUID) -> None:
    await conn.execute(
        "UPDATE share_codes SET expires_at = least(expires_at, now()) WHERE report_id = $1::uuid", report_id
    )


async def insert_party(conn: asyncpg.Connection, **f: Any) -> None:
    try:
        await conn.execute(
            """INSERT INTO parties (id, report_id, label, phone_hash, phone_enc, name_enc, id_number_enc, id_kind,
                                    plate, vehicle_type, insurer_code, policy_number_enc, answers)
               VALUES ($1::uuid, $2::uuid, $3::text, $4::bytea, $5::bytea, $6::bytea, $7::bytea, $8::text, $9::text,
                       $10::text, $11::text, $12::bytea, $13::jsonb)""",
            f["id"], f["report_id"], f["label"], f["phone_hash"], f["phone_enc"], f["name_enc"], f["id_number_enc"],
            f["id_kind"], f["plate"], f["vehicle_type"], f["insurer_code"], f["policy_number_enc"], f["answers"],
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None


async def insert_consent(conn: asyncpg.Connection, **f: Any) -> None:
    await conn.execute(
        """INSERT INTO consents (id, report_id, party_id, notice_version, location, sharing)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::bool, $6::bool)""",
        f["id"], f["report_id"], f["party_id"], f["notice_version"], f["location"], f["sharing"],
    )


async def insert_party_token(conn: asyncpg.Connection, *, token_hash: bytes, report_id: UUID, party_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO party_tokens (token_hash, report_id, party_id) VALUES ($1::bytea, $2::uuid, $3::uuid)",
        token_hash, report_id, party_id,
    )


_WITHOUT_SHARING = """
SELECT coalesce(array_agg(p.label ORDER BY p.label), '{}') AS labels FROM parties p
LEFT JOIN LATERAL (SELECT c.sharing FROM consents c WHERE c.party_id = p.id
                   ORDER BY c.given_at DESC, c.id DESC LIMIT 1) latest ON true
WHERE p.report_id = $1::uuid AND NOT coalesce(latest.sharing, false)
"""


async def parties_without_sharing(conn: asyncpg.Connection, *, report_id: UUID) -> list[str]:
    """Labels of the parties whose latest consent does not allow sharing the case (PIPL art. 23)."""
    return list(await conn.fetchval(_WITHOUT_SHARING, report_id))


def sharing_check_pipeline(pool: asyncpg.Pool) -> PipelinedStatement:
    """`parties_without_sharing` for many concurrent deliveries: checks waiting together share a round trip."""
    return PipelinedStatement(pool, _WITHOUT_SHARING)


async def parties_without_sharing_via(checks: PipelinedStatement, *, report_id: UUID) -> list[str]:
    row = await checks.fetchrow(report_id)
    assert row is not None
    return list(row["labels"])


async def staff_reaches(conn: asyncpg.Connection, *, staff_id: UUID, role: str, report_id: UUID) -> bool:
    """The report exists and, for police, lies in a zone of the officer's jurisdiction."""
    return bool(await conn.fetchval(
        """SELECT true FROM reports r, staff s WHERE r.id = $1::uuid AND s.id = $2::uuid
             AND ($3::text = 'admin' OR r.zone_id = ANY(coalesce(s.jurisdiction, '{}')))""",
        report_id, staff_id, role))

"""SQL of the report flow: one function per query; rows in, rows out; constraint names become domain errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident.errors import DuplicatePlate, IllegalTransition, UnknownInsurer
from accident.model import FINISHED, Status, transition
from kernel import audit, idempotency, outbox
from kernel.errors import field as field_error
from kernel.pipeline import PipelinedStatement
from kernel.sql import named, nested


@dataclass(frozen=True, slots=True)
class NewParty:
    """A party's row as report creation and joining both write it (personal data already encrypted)."""

    id: UUID
    report_id: UUID
    label: str
    phone_hash: bytes
    phone_enc: bytes
    name_enc: bytes
    id_number_enc: bytes
    id_kind: str
    plate: str
    vehicle_type: str
    insurer_code: str
    policy_number_enc: bytes
    answers: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewConsent:
    id: UUID
    notice_version: str
    location: bool
    sharing: bool


def _party_ctes(source: str) -> str:
    """The party, its consent and its token, as CTEs `p`, `c`, `t` of a statement whose parameters have `party`,
    `consent`, `token_hash` and `at` (None: the database's now); written once `source` yields a row."""
    return f"""p AS (
    INSERT INTO parties (id, report_id, label, phone_hash, phone_enc, name_enc, id_number_enc, id_kind, plate,
                         vehicle_type, insurer_code, policy_number_enc, answers, joined_at)
    SELECT :party.id::uuid, :party.report_id::uuid, :party.label::text, :party.phone_hash::bytea,
           :party.phone_enc::bytea, :party.name_enc::bytea, :party.id_number_enc::bytea, :party.id_kind::text,
           :party.plate::text, :party.vehicle_type::text, :party.insurer_code::text, :party.policy_number_enc::bytea,
           :party.answers::jsonb, coalesce(:at::timestamptz, now()) FROM {source}
    RETURNING id
), c AS (
    INSERT INTO consents (id, report_id, party_id, notice_version, location, sharing, given_at)
    SELECT :consent.id::uuid, :party.report_id::uuid, p.id, :consent.notice_version::text, :consent.location::bool,
           :consent.sharing::bool, coalesce(:at::timestamptz, now()) FROM p RETURNING 1
), t AS (
    INSERT INTO party_tokens (token_hash, report_id, party_id, created_at)
    SELECT :token_hash::bytea, :party.report_id::uuid, p.id, coalesce(:at::timestamptz, now()) FROM p RETURNING 1
)"""  # noqa: S608 (SQL written in code; values are parameters)


@dataclass(frozen=True, slots=True)
class NewReport:
    """Everything report creation writes, by name (bound to `_CREATE` by kernel.sql.named)."""

    idem_scope: str | None
    idem_key: str | None
    idem_request_hash: bytes | None
    idem_response: dict[str, Any]
    report_id: UUID
    status: str
    occurred_at: datetime
    lat: float
    lon: float
    address_enc: bytes | None
    zone_id: str
    near_boundary: bool
    weather: str | None
    vehicle_count: int
    case_answers: dict[str, Any]
    at: datetime
    token_hash: bytes
    party: NewParty = field(metadata=nested(NewParty))
    consent: NewConsent = field(metadata=nested(NewConsent))
    share_code_hash: bytes | None = None
    share_expires_at: datetime | None = None
    audit_entities: list[str] = field(default_factory=list)
    audit_entity_ids: list[str] = field(default_factory=list)
    audit_actions: list[str] = field(default_factory=list)
    audit_changes: list[dict[str, Any]] = field(default_factory=list)
    message_id: UUID | None = None
    message_dedupe_key: str | None = None
    message_payload: dict[str, Any] | None = None
    report_limit: dict[str, Any] | None = None  # kernel.ratelimit.spec, None when limits are off
    invitation_limit: dict[str, Any] | None = None


# Creating a report is one statement: the phone's creation (and invitation) limits, idempotency claim, report,
# party, consent, party token, share code, audit events and the invitation message, so a retry or a crash can
# never leave half of it behind. A limit is rate_take (migration 0013), atomic whatever snapshot the statement
# started with. A retry of an answered request takes no hit; a refused invitation takes no report hit (a refused
# report's invitation hit is given back by service.create_report). An unknown
# insurer code (a common slip) writes nothing and is answered by a flag, not by the foreign key's error, which
# would roll back the other creations pipelined with it (kernel.pipeline). The audit events are timed by the
# database's clock, as every audit event is (the application role may not set `at`). The kernel's tables
# (idempotency keys, audit events, outbox) are written by the kernel's own SQL fragments.
_IDEM_TAKEN = idempotency.taken_sql(scope=":idem_scope::text", key=":idem_key::text")
_IDEM_CLAIM = idempotency.insert_sql(
    source="allowed WHERE :idem_scope::text IS NOT NULL",
    scope=":idem_scope::text",
    key=":idem_key::text",
    request_hash=":idem_request_hash::bytea",
    status_code="201",
    response=":idem_response::jsonb",
)
_AUDIT = audit.insert_sql(
    source="""go, unnest(:audit_entities::text[], :audit_entity_ids::text[], :audit_actions::text[],
                         :audit_changes::jsonb[]) AS e(entity, entity_id, action, changes)""",
    report_id=":report_id::uuid",
    entity="e.entity",
    entity_id="e.entity_id",
    action="e.action",
    actor_kind="'party'",
    actor_id=":party.id::text",
    changes="e.changes",
)
_INVITATION = outbox.insert_sql(
    source="r WHERE :message_id::uuid IS NOT NULL",
    id=":message_id::uuid",
    topic="'sms'",
    dedupe_key=":message_dedupe_key::text",
    report_id="r.id",
    payload=":message_payload::jsonb",
)
_CREATE = named(
    f"""
WITH insurer AS (
    SELECT EXISTS (SELECT 1 FROM insurers WHERE code = :party.insurer_code::text) AS known
), fresh AS (
    SELECT 1 FROM insurer WHERE insurer.known AND (:idem_scope::text IS NULL OR NOT {_IDEM_TAKEN})
), inv AS (
    SELECT rate_take(:invitation_limit::jsonb) AS at FROM fresh
), lim AS (
    SELECT rate_take(:report_limit::jsonb) AS at FROM fresh
    WHERE :invitation_limit::jsonb IS NULL OR EXISTS (SELECT 1 FROM inv)
), allowed AS (
    SELECT 1 FROM insurer WHERE insurer.known AND (:report_limit::jsonb IS NULL OR EXISTS (SELECT 1 FROM lim))
), idem AS (
    {_IDEM_CLAIM}
), go AS (
    SELECT 1 AS ok FROM allowed WHERE :idem_scope::text IS NULL OR EXISTS (SELECT 1 FROM idem)
), r AS (
    INSERT INTO reports (id, status, occurred_at, lat, lon, address_enc, zone_id, near_boundary, weather,
                         vehicle_count, case_answers, created_at, updated_at)
    SELECT :report_id::uuid, :status::text, :occurred_at::timestamptz, :lat::float8, :lon::float8,
           :address_enc::bytea, :zone_id::text, :near_boundary::bool, :weather::text, :vehicle_count::int,
           :case_answers::jsonb, :at::timestamptz, :at::timestamptz FROM go
    RETURNING id
), {_party_ctes("r")}, s AS (
    INSERT INTO share_codes (code_hash, report_id, expires_at, created_at)
    SELECT :share_code_hash::bytea, r.id, :share_expires_at::timestamptz, :at::timestamptz FROM r
    WHERE :share_code_hash::bytea IS NOT NULL RETURNING 1
), a AS (
    {_AUDIT}
    RETURNING 1
), o AS (
    {_INVITATION}
    RETURNING 1
)
SELECT (SELECT known FROM insurer) AS insurer_known, (SELECT count(*) FROM r) AS created,
       EXISTS (SELECT 1 FROM fresh) AND :report_limit::jsonb IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lim) AS limited,
       (SELECT at FROM lim) AS report_hit_at, (SELECT at FROM inv) AS invitation_hit_at,
       (SELECT count(*) FROM c) + (SELECT count(*) FROM t) + (SELECT count(*) FROM s)
     + (SELECT count(*) FROM a) + (SELECT count(*) FROM o) AS side_rows
""",  # noqa: S608 - the f-string joins the kernel's own SQL fragments, never input
    NewReport,
)


@dataclass(frozen=True, slots=True)
class JoiningParty:
    party: NewParty = field(metadata=nested(NewParty))
    consent: NewConsent = field(metadata=nested(NewConsent))
    token_hash: bytes
    at: datetime | None = None


# A party joining a report: the same party, consent and token rows as creation writes, in one statement.
_JOIN_SQL = f"WITH {_party_ctes('(SELECT 1) one')} SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM t)"  # noqa: S608
_JOIN = named(_JOIN_SQL, JoiningParty)


def _unknown_insurer() -> UnknownInsurer:
    return UnknownInsurer(
        "保险公司代码不存在，请从列表中选择",
        "Unknown insurer code; pick one from the list",
        errors=[
            field_error(
                "#/party/insurance/insurer_code",
                "没有这家保险公司，请从列表中选择",
                "Unknown insurer: pick one from GET /v1/insurers",
            )
        ],
    )


def translate(exc: asyncpg.IntegrityConstraintViolationError) -> Exception:
    """Constraint violations that mean bad input become domain errors; anything else stays a bug."""
    name = getattr(exc, "constraint_name", None)
    if name == "parties_insurer_code_fkey":
        return _unknown_insurer()
    if name == "parties_report_plate_key":
        return DuplicatePlate(
            errors=[
                field_error(
                    "#/party/vehicle/plate",
                    "这个号牌已在本事故中",
                    "This plate is already in the report",
                )
            ]
        )
    return exc


def creation_pipeline(
    pool: asyncpg.Pool, *, max_batch: int, max_in_flight: int
) -> PipelinedStatement:
    """Concurrent creations share round trips and commits; each still commits (or fails) as a whole."""
    return PipelinedStatement(pool, _CREATE.sql, max_batch=max_batch, max_in_flight=max_in_flight)


async def create_report(creations: PipelinedStatement, new: NewReport) -> asyncpg.Record:
    """Run the creation statement: `created` 0 when the idempotency key was already taken or a limit refused
    (`limited`), and the times of the rate-limit hits it took (to give back if nothing was created)."""
    try:
        row = await creations.fetchrow(*_CREATE.args(new))
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


async def report(
    conn: asyncpg.Connection, *, report_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
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


async def party_of_phone(
    conn: asyncpg.Connection, *, report_id: UUID, phone_hash: bytes
) -> UUID | None:
    return await conn.fetchval(
        "SELECT id FROM parties WHERE report_id = $1::uuid AND phone_hash = $2::bytea",
        report_id,
        phone_hash,
    )


async def reports_of_phone(conn: asyncpg.Connection, *, phone_hash: bytes) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT r.id, p.label, r.status, r.occurred_at, p.plate FROM parties p JOIN reports r ON r.id = p.report_id
           WHERE p.phone_hash = $1::bytea ORDER BY r.occurred_at DESC LIMIT 200""",
        phone_hash,
    )


async def set_status(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    before: Status,
    status: Status,
    referral: Any = None,
) -> None:
    """Move the report from `before` (as read under the caller's lock) to `status`, a move the lifecycle table
    allows (model.NEXT); entering a finished status stamps finished_at (kept while it stays finished)."""
    transition(before, status)
    moved = await conn.fetchval(
        """UPDATE reports SET status = $2::text, referral = coalesce($3::jsonb, referral), updated_at = now(),
                              version = version + 1,
                              finished_at = CASE WHEN $4::boolean THEN coalesce(finished_at, now()) END
           WHERE id = $1::uuid AND status = $5::text
           RETURNING true""",
        report_id,
        status.value,
        referral,
        status in FINISHED,
        before.value,
    )
    if (
        not moved
    ):  # the caller read a status that is no longer the report's: it did not hold the row lock
        raise IllegalTransition(
            "报告状态已变化，请刷新后重试",
            "The report's status changed; reload and try again",
            status=before.value,
        )


async def share_code_report(conn: asyncpg.Connection, *, code_hash: bytes) -> UUID | None:
    return await conn.fetchval(
        "SELECT report_id FROM share_codes WHERE code_hash = $1::bytea AND expires_at > now()",
        code_hash,
    )


async def insert_share_code(
    conn: asyncpg.Connection, *, code_hash: bytes, report_id: UUID, expires_at: Any
) -> None:
    await conn.execute(
        "INSERT INTO share_codes (code_hash, report_id, expires_at) VALUES ($1::bytea, $2::uuid, $3::timestamptz)",
        code_hash,
        report_id,
        expires_at,
    )


async def expire_share_codes(conn: asyncpg.Connection, *, report_id: UUID) -> None:
    await conn.execute(
        "UPDATE share_codes SET expires_at = least(expires_at, now()) WHERE report_id = $1::uuid",
        report_id,
    )


async def insert_consent(conn: asyncpg.Connection, **f: Any) -> None:
    await conn.execute(
        """INSERT INTO consents (id, report_id, party_id, notice_version, location, sharing)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::bool, $6::bool)""",
        f["id"],
        f["report_id"],
        f["party_id"],
        f["notice_version"],
        f["location"],
        f["sharing"],
    )


async def insert_party(conn: asyncpg.Connection, joining: JoiningParty) -> None:
    """A joining party with its consent and token."""
    try:
        await conn.fetchval(_JOIN.sql, *_JOIN.args(joining))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise translate(exc) from None


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


async def staff_reaches(
    conn: asyncpg.Connection, *, staff_id: UUID, role: str, report_id: UUID
) -> bool:
    """The report exists and, for police, lies in a zone of the officer's jurisdiction."""
    return bool(
        await conn.fetchval(
            """SELECT true FROM reports r, staff s WHERE r.id = $1::uuid AND s.id = $2::uuid
             AND ($3::text = 'admin' OR r.zone_id = ANY(coalesce(s.jurisdiction, '{}')))""",
            report_id,
            staff_id,
            role,
        )
    )

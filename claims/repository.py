"""asyncpg access to claims, settlements, assessments and insurer callbacks; takes a connection, never commits."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from claims.calendar import HolidayCalendar, HolidayYear, calendar_with, year_from_rows

_CLAIM_COLUMNS = """c.id, c.report_id, c.party_id, c.label, c.insurer_code, c.status, c.applied_at,
    c.documents_requested_at, c.documents_complete_at, c.decided_at, c.payout_agreed_at, c.paid_at, c.closed_at,
    c.documents, c.decision, c.payout_fen, c.paid_fen, c.commercial_third_party, c.cover, c.cover_revision,
    c.flags, c.payout_revision, c.payout_reason,
    a.total_fen AS assessed_fen, a.revision AS assessment_revision, a.vehicle_only"""
_LATEST = """LEFT JOIN LATERAL (SELECT total_fen, revision, vehicle_only FROM claim_assessments x
                                WHERE x.claim_id = c.id ORDER BY revision DESC LIMIT 1) a ON true"""
# Columns a lifecycle step may set; nothing else is ever formatted into SQL.
UPDATABLE = frozenset(
    {
        "status",
        "documents_requested_at",
        "documents_complete_at",
        "decided_at",
        "payout_agreed_at",
        "paid_at",
        "closed_at",
        "documents",
        "decision",
        "payout_fen",
        "paid_fen",
        "commercial_third_party",
        "cover",
        "cover_revision",
        "flags",
        "payout_revision",
        "payout_reason",
    }
)


async def report(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    """The report, locked, with its accident day in China time (the day the 交强险 limits are read for)."""
    return await conn.fetchrow(
        """SELECT id, status, occurred_at, zone_id, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS accident_day
           FROM reports WHERE id = $1::uuid FOR UPDATE""",
        report_id,
    )


async def parties(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, label, insurer_code, plate, policy_number, policy_number_enc FROM parties
           WHERE report_id = $1::uuid ORDER BY label""",
        report_id,
    )


async def photos(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, kind, sha256 FROM photos ph WHERE report_id = $1::uuid
           AND NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id) ORDER BY created_at, id""",
        report_id,
    )


async def settlement(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT report_id, version, outcome, parties, accident_day FROM claim_settlements WHERE report_id = $1::uuid",
        report_id,
    )


async def save_settlement(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    version: int,
    outcome: str,
    parties: list[dict[str, Any]],
    accident_day: Any,
) -> bool:
    """Store the settlement unless a later version is stored (the same version again may bring the parties'
    互碰自赔 opt-ins, given on accepting a police determination); True when it changed."""
    return bool(
        await conn.fetchval(
            """INSERT INTO claim_settlements AS s (report_id, version, outcome, parties, accident_day)
           VALUES ($1::uuid, $2::int, $3::text, $4::jsonb, $5::date)
           ON CONFLICT (report_id) DO UPDATE SET version = EXCLUDED.version, outcome = EXCLUDED.outcome,
               parties = EXCLUDED.parties, settled_at = now()
           WHERE s.version < EXCLUDED.version OR (s.version = EXCLUDED.version AND s.parties <> EXCLUDED.parties)
           RETURNING true""",
            report_id,
            version,
            outcome,
            parties,
            accident_day,
        )
    )


async def open_claims(
    conn: asyncpg.Connection, *, report_id: UUID, rows: list[tuple[UUID, UUID, str, str]]
) -> list[asyncpg.Record]:
    """Insert (id, party_id, label, insurer) claims; a party that already has one is skipped."""
    return await conn.fetch(
        """INSERT INTO claims (id, report_id, party_id, label, insurer_code)
           SELECT r.id, $1::uuid, r.party_id, r.label, r.insurer_code
           FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS r(id, party_id, label, insurer_code)
           ON CONFLICT ON CONSTRAINT claims_report_party_key DO NOTHING
           RETURNING id, party_id, label, insurer_code, applied_at""",
        report_id,
        *[list(col) for col in zip(*rows, strict=True)] if rows else ([], [], [], []),
    )


async def claim(
    conn: asyncpg.Connection, *, claim_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    lock_sql = "FOR UPDATE OF c" if lock else ""
    sql = f"SELECT {_CLAIM_COLUMNS} FROM claims c {_LATEST} WHERE c.id = $1::uuid {lock_sql}"  # noqa: S608 constants
    return await conn.fetchrow(sql, claim_id)


async def claims_of_report(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_CLAIM_COLUMNS} FROM claims c {_LATEST} WHERE c.report_id = $1::uuid ORDER BY c.label",  # noqa: S608
        report_id,
    )


async def holiday_calendar(conn: asyncpg.Connection) -> HolidayCalendar:
    """The published years of the chinesecalendar package plus the years operators loaded."""
    rows = await conn.fetch("""SELECT year, holidays, workdays, source_title, source_number, source_date
                               FROM holiday_years""")
    return calendar_with(year_from_rows(r) for r in rows)


async def store_holiday_year(
    conn: asyncpg.Connection,
    *,
    year: HolidayYear,
    title: str,
    number: str,
    issued: date,
    loaded_by: str,
) -> bool:
    """Load (or replace) one year; True when it replaced an earlier load."""
    return await conn.fetchval(
        """INSERT INTO holiday_years AS h (year, holidays, workdays, source_title, source_number, source_date,
                                          loaded_by)
           VALUES ($1::int, $2::date[], $3::date[], $4::text, $5::text, $6::date, $7::text)
           ON CONFLICT (year) DO UPDATE SET holidays = EXCLUDED.holidays, workdays = EXCLUDED.workdays,
               source_title = EXCLUDED.source_title, source_number = EXCLUDED.source_number,
               source_date = EXCLUDED.source_date, loaded_at = now(), loaded_by = EXCLUDED.loaded_by
           RETURNING (xmax <> 0)""",
        year.year,
        sorted(year.holidays),
        sorted(year.workdays),
        title,
        number,
        issued,
        loaded_by,
    )


async def reports_with_claims_since(conn: asyncpg.Connection, *, since: Any) -> list[UUID]:
    return [
        r["report_id"]
        for r in await conn.fetch(
            "SELECT DISTINCT report_id FROM claims WHERE applied_at >= $1::timestamptz ORDER BY report_id",
            since,
        )
    ]


async def update_claim(conn: asyncpg.Connection, *, claim_id: UUID, fields: dict[str, Any]) -> None:
    bad = set(fields) - UPDATABLE
    if bad:
        raise ValueError(f"not updatable: {sorted(bad)}")
    names = sorted(fields)
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    await conn.execute(
        f"UPDATE claims SET {sets}, updated_at = now() WHERE id = $1::uuid",  # noqa: S608 whitelisted
        claim_id,
        *[fields[n] for n in names],
    )


async def insert_assessment(
    conn: asyncpg.Connection,
    *,
    claim_id: UUID,
    reference: str,
    items: list[dict],
    total_fen: int,
    vehicle_only: bool,
    photos: list[dict],
) -> int:
    return await conn.fetchval(
        """INSERT INTO claim_assessments (claim_id, revision, reference, items, total_fen, vehicle_only, photos)
           SELECT $1::uuid, coalesce(max(revision), 0) + 1, $2::text, $3::jsonb, $4::bigint, $5::boolean, $6::jsonb
           FROM claim_assessments WHERE claim_id = $1::uuid
           RETURNING revision""",
        claim_id,
        reference,
        items,
        total_fen,
        vehicle_only,
        photos,
    )


async def callback(
    conn: asyncpg.Connection, *, insurer_code: str, reference: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT claim_id, kind, request_hash, status_code, response FROM insurer_callbacks
           WHERE insurer_code = $1::text AND reference = $2::text""",
        insurer_code,
        reference,
    )


async def store_callback(
    conn: asyncpg.Connection,
    *,
    insurer_code: str,
    reference: str,
    claim_id: UUID,
    kind: str,
    request_hash: bytes,
    status_code: int,
    response: dict[str, Any],
) -> None:
    await conn.execute(
        """INSERT INTO insurer_callbacks (insurer_code, reference, claim_id, kind, request_hash, status_code, response)
           VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::bytea, $6::int, $7::jsonb)""",
        insurer_code,
        reference,
        claim_id,
        kind,
        request_hash,
        status_code,
        response,
    )


async def insert_disagreement(
    conn: asyncpg.Connection, *, claim_id: UUID, party_id: UUID, reason: str
) -> asyncpg.Record:
    """Record a claimant's disagreement once; the same one again returns the first (a safe retry)."""
    row = await conn.fetchrow(
        """INSERT INTO claim_disagreements (id, claim_id, party_id, reason) VALUES ($1::uuid, $2::uuid, $3::uuid, $4)
           ON CONFLICT ON CONSTRAINT claim_disagreements_once DO NOTHING
           RETURNING id, created_at, true AS new""",
        uuid.uuid4(),
        claim_id,
        party_id,
        reason,
    )
    if row is not None:
        return row
    return await conn.fetchrow(
        """SELECT id, created_at, false AS new FROM claim_disagreements
           WHERE claim_id = $1::uuid AND party_id = $2::uuid AND reason = $3""",
        claim_id,
        party_id,
        reason,
    )


async def insurer_concerned(
    conn: asyncpg.Connection, *, report_id: UUID, insurer_code: str
) -> bool:
    """Whether the insurer still has a claim on the report: a claim of its own that was not withdrawn, a line not
    withdrawn on one of its claims, or, while
    any claim on the report is not withdrawn, a liable party it insures (it heard of the claim as such)."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM claims WHERE report_id = $1::uuid AND status <> 'withdrawn'
                                                 AND insurer_code = $2::text)
               OR EXISTS (SELECT 1 FROM claim_lines l JOIN claims c ON c.id = l.claim_id
                          WHERE c.report_id = $1::uuid AND l.insurer_code = $2::text AND l.status <> 'withdrawn')
               OR (EXISTS (SELECT 1 FROM claims WHERE report_id = $1::uuid AND status <> 'withdrawn')
                   AND EXISTS (SELECT 1 FROM claim_settlements s, jsonb_array_elements(s.parties) p
                               WHERE s.report_id = $1::uuid AND p->>'insurer_code' = $2::text
                                 AND (p->>'share_percent')::int > 0))""",
            report_id,
            insurer_code,
        )
    )


# ---- lines: one per insurer that could owe on a claim (migration 0025) ----

_LINE_COLUMNS = """c.id, c.report_id, c.party_id, c.label, c.insurer_code AS claim_insurer_code, c.applied_at,
    c.cover, c.cover_revision, c.commercial_third_party, c.status AS claim_status,
    l.id AS line_id, l.insurer_code, l.basis, l.payer_labels, l.status, l.opened_at, l.received_at, l.received_via,
    l.documents_requested_at, l.documents_complete_at, l.documents_complete_how, l.decided_at, l.payout_agreed_at,
    l.paid_at, l.closed_at, l.status_before_close, l.decision, l.payout_fen, l.paid_fen, l.payout_revision,
    l.payout_reason, l.flags,
    a.total_fen AS assessed_fen, a.revision AS assessment_revision, a.vehicle_only"""
LINE_UPDATABLE = frozenset(
    {
        "status",
        "documents_requested_at",
        "documents_complete_at",
        "documents_complete_how",
        "decided_at",
        "payout_agreed_at",
        "paid_at",
        "closed_at",
        "status_before_close",
        "decision",
        "payout_fen",
        "paid_fen",
        "payout_revision",
        "payout_reason",
        "flags",
    }
)


async def insert_lines(
    conn: asyncpg.Connection, *, claim_id: UUID, plans: list[Any]
) -> list[asyncpg.Record]:
    """Open the planned lines (claims.lines.LinePlan) a claim does not have yet; the new ones are returned."""
    out = []
    for plan in plans:
        row = await conn.fetchrow(
            """INSERT INTO claim_lines (id, claim_id, insurer_code, basis, payer_labels)
               VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::text[])
               ON CONFLICT ON CONSTRAINT claim_lines_claim_insurer_key DO NOTHING
               RETURNING id, insurer_code, basis, payer_labels, opened_at""",
            uuid.uuid4(),
            claim_id,
            plan.insurer_code,
            plan.basis,
            list(plan.payer_labels),
        )
        if row is not None:
            out.append(row)
    return out


async def line(
    conn: asyncpg.Connection, *, claim_id: UUID, insurer_code: str, lock: bool = False
) -> asyncpg.Record | None:
    """One insurer's line on a claim, with the claim's loss and cover (the line's own fields win)."""
    lock_sql = "FOR UPDATE OF l" if lock else ""
    sql = f"""SELECT {_LINE_COLUMNS} FROM claim_lines l JOIN claims c ON c.id = l.claim_id {_LATEST}
              WHERE l.claim_id = $1::uuid AND l.insurer_code = $2::text {lock_sql}"""  # noqa: S608 constants
    return await conn.fetchrow(sql, claim_id, insurer_code)


async def line_by_id(conn: asyncpg.Connection, *, line_id: UUID) -> asyncpg.Record | None:
    sql = f"""SELECT {_LINE_COLUMNS} FROM claim_lines l JOIN claims c ON c.id = l.claim_id {_LATEST}
              WHERE l.id = $1::uuid"""  # noqa: S608 constants
    return await conn.fetchrow(sql, line_id)


async def lines_of_claims(
    conn: asyncpg.Connection, *, claim_ids: list[UUID]
) -> list[asyncpg.Record]:
    sql = f"""SELECT {_LINE_COLUMNS} FROM claim_lines l JOIN claims c ON c.id = l.claim_id {_LATEST}
              WHERE l.claim_id = ANY($1::uuid[]) ORDER BY c.label, l.insurer_code"""  # noqa: S608 constants
    return await conn.fetch(sql, claim_ids)


async def update_line(conn: asyncpg.Connection, *, line_id: UUID, fields: dict[str, Any]) -> None:
    bad = set(fields) - LINE_UPDATABLE
    if bad:
        raise ValueError(f"not updatable: {sorted(bad)}")
    names = sorted(fields)
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    await conn.execute(
        f"UPDATE claim_lines SET {sets}, updated_at = now() WHERE id = $1::uuid",  # noqa: S608
        line_id,
        *[fields[n] for n in names],
    )


async def sync_claim_status(conn: asyncpg.Connection, *, claim_id: UUID, status: str) -> None:
    await conn.execute(
        "UPDATE claims SET status = $2::text, updated_at = now() WHERE id = $1::uuid AND status <> $2",
        claim_id,
        status,
    )


async def line_statuses(conn: asyncpg.Connection, *, claim_id: UUID) -> list[str]:
    return [
        r["status"]
        for r in await conn.fetch(
            "SELECT status FROM claim_lines WHERE claim_id = $1::uuid", claim_id
        )
    ]


async def record_receipt(
    conn: asyncpg.Connection, *, line_id: UUID, at: datetime, via: str
) -> asyncpg.Record | None:
    """The line's insurer received the application (交强险条例 §28): recorded once, the first way wins."""
    return await conn.fetchrow(
        """UPDATE claim_lines SET received_at = $2::timestamptz, received_via = $3::text, updated_at = now()
           WHERE id = $1::uuid AND received_at IS NULL
           RETURNING id, claim_id, insurer_code, received_at, received_via""",
        line_id,
        at,
        via,
    )


async def unreceived_lines(
    conn: asyncpg.Connection, *, insurer_code: str, claim_ids: list[UUID]
) -> list[UUID]:
    return [
        r["id"]
        for r in await conn.fetch(
            """SELECT id FROM claim_lines WHERE insurer_code = $1::text AND claim_id = ANY($2::uuid[])
                                        AND received_at IS NULL ORDER BY id""",
            insurer_code,
            claim_ids,
        )
    ]


async def insurer_claim_ids(
    conn: asyncpg.Connection, *, insurer_code: str, limit: int
) -> list[UUID]:
    """Claims the insurer reads: every one on which it has a line, and its own insured's (it assesses them)."""
    return [
        r["id"]
        for r in await conn.fetch(
            """SELECT id FROM (SELECT id, applied_at FROM claims WHERE insurer_code = $1::text
                           UNION
                           SELECT c.id, c.applied_at FROM claim_lines l JOIN claims c ON c.id = l.claim_id
                           WHERE l.insurer_code = $1::text) x
           ORDER BY applied_at DESC, id LIMIT $2::int""",
            insurer_code,
            limit,
        )
    ]


async def overdue_lines(
    conn: asyncpg.Connection,
    *,
    listed: timedelta,
    decide: timedelta,
    pay: timedelta,
    insurer_code: str | None,
    limit: int,
    now: datetime,
) -> list[asyncpg.Record]:
    """Open lines that may have a §28–§29 duty past due: a period of n days ends more than n days after its
    event, so this narrows the scan and the pure rules say which are late."""
    return await conn.fetch(
        f"""SELECT {_LINE_COLUMNS} FROM claim_lines l JOIN claims c ON c.id = l.claim_id {_LATEST}
            WHERE l.status NOT IN ('closed', 'withdrawn', 'not_owing')
              AND ($4::text IS NULL OR l.insurer_code = $4::text)
              AND ((l.documents_requested_at IS NULL AND l.received_at + $1::interval < $6::timestamptz)
                OR (l.documents_complete_at IS NOT NULL AND l.decided_at IS NULL
                    AND l.documents_complete_at + $2::interval < $6::timestamptz)
                OR (l.payout_agreed_at IS NOT NULL AND l.paid_at IS NULL
                    AND l.payout_agreed_at + $3::interval < $6::timestamptz))
            ORDER BY l.received_at, l.id LIMIT $5::int""",  # noqa: S608 - constants only
        listed,
        decide,
        pay,
        insurer_code,
        limit,
        now,
    )


async def open_lines(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_LINE_COLUMNS} FROM claim_lines l JOIN claims c ON c.id = l.claim_id {_LATEST}
            WHERE l.status NOT IN ('closed', 'withdrawn', 'not_owing') ORDER BY l.opened_at LIMIT $1::int""",  # noqa: S608
        limit,
    )


# ---- documents requested on a line and uploaded by the claimant ----


async def insert_document_requests(
    conn: asyncpg.Connection, *, line_id: UUID, items: list[dict[str, Any]]
) -> None:
    await conn.executemany(
        """INSERT INTO claim_document_requests (id, line_id, kind, description, on_paper)
           VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::boolean)""",
        [
            (uuid.uuid4(), line_id, i["kind"], i.get("description"), bool(i.get("on_paper")))
            for i in items
        ],
    )


async def document_requests(
    conn: asyncpg.Connection, *, line_ids: list[UUID]
) -> list[asyncpg.Record]:
    """Requests of the lines with their latest upload (bytes left out)."""
    return await conn.fetch(
        """SELECT r.id, r.line_id, r.kind, r.description, r.on_paper, r.requested_at, r.paper_received_at,
                  d.id AS document_id, d.media_type, d.size_bytes, d.sha256, d.uploaded_at
           FROM claim_document_requests r
           LEFT JOIN LATERAL (SELECT id, media_type, size_bytes, sha256, uploaded_at FROM claim_documents x
                              WHERE x.request_id = r.id ORDER BY uploaded_at DESC, id LIMIT 1) d ON true
           WHERE r.line_id = ANY($1::uuid[]) ORDER BY r.position""",
        line_ids,
    )


async def mark_paper_received(
    conn: asyncpg.Connection, *, line_id: UUID, request_ids: list[UUID], at: datetime
) -> list[UUID]:
    return [
        r["id"]
        for r in await conn.fetch(
            """UPDATE claim_document_requests SET paper_received_at = $3::timestamptz
           WHERE line_id = $1::uuid AND id = ANY($2::uuid[]) AND paper_received_at IS NULL RETURNING id""",
            line_id,
            request_ids,
            at,
        )
    ]


async def insert_document(
    conn: asyncpg.Connection,
    *,
    request_id: UUID,
    party_id: UUID,
    media_type: str,
    size_bytes: int,
    sha256: str,
    sealed: bytes,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO claim_documents (id, request_id, party_id, media_type, size_bytes, sha256, sealed)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::int, $6::text, $7::bytea)
           RETURNING id, uploaded_at""",
        uuid.uuid4(),
        request_id,
        party_id,
        media_type,
        size_bytes,
        sha256,
        sealed,
    )


async def document(conn: asyncpg.Connection, *, document_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT d.id, d.media_type, d.sha256, d.sealed, d.party_id, r.kind, r.line_id, l.claim_id, l.insurer_code,
                  c.report_id, c.label
           FROM claim_documents d JOIN claim_document_requests r ON r.id = d.request_id
           JOIN claim_lines l ON l.id = r.line_id JOIN claims c ON c.id = l.claim_id
           WHERE d.id = $1::uuid""",
        document_id,
    )


async def insert_document_consent(
    conn: asyncpg.Connection, *, line_id: UUID, party_id: UUID, kind: str, given: bool
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO claim_document_consents (id, line_id, party_id, kind, given)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::boolean) RETURNING id, given_at""",
        uuid.uuid4(),
        line_id,
        party_id,
        kind,
        given,
    )


async def document_consents(
    conn: asyncpg.Connection, *, line_ids: list[UUID]
) -> dict[tuple[UUID, str], bool]:
    """(line, kind) → the latest consent given for it."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (line_id, kind) line_id, kind, given FROM claim_document_consents
           WHERE line_id = ANY($1::uuid[]) ORDER BY line_id, kind, given_at DESC, id""",
        line_ids,
    )
    return {(r["line_id"], r["kind"]): r["given"] for r in rows}


async def insurer_reads(conn: asyncpg.Connection, *, claim_id: UUID, insurer_code: str) -> bool:
    """The insurer may read the claim: it has a line on it, or the vehicle is its insured."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM claims WHERE id = $1::uuid AND insurer_code = $2::text)
               OR EXISTS (SELECT 1 FROM claim_lines WHERE claim_id = $1::uuid AND insurer_code = $2::text)""",
            claim_id,
            insurer_code,
        )
    )


async def claims_by_ids(conn: asyncpg.Connection, *, claim_ids: list[UUID]) -> list[asyncpg.Record]:
    """The claims in the order of `claim_ids`."""
    rows = await conn.fetch(
        f"SELECT {_CLAIM_COLUMNS} FROM claims c {_LATEST} WHERE c.id = ANY($1::uuid[])",  # noqa: S608
        claim_ids,
    )
    by_id = {r["id"]: r for r in rows}
    return [by_id[i] for i in claim_ids if i in by_id]


async def documents_stored(conn: asyncpg.Connection, *, claim_id: UUID) -> tuple[int, int]:
    """(uploads, bytes) stored for a claim, every line and every replaced file included."""
    row = await conn.fetchrow(
        """SELECT count(*) AS n, coalesce(sum(d.size_bytes), 0) AS used
           FROM claim_documents d JOIN claim_document_requests r ON r.id = d.request_id
           JOIN claim_lines l ON l.id = r.line_id WHERE l.claim_id = $1::uuid""",
        claim_id,
    )
    return int(row["n"]), int(row["used"])

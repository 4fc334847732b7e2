"""SQL of the court bridge: package revisions, numbered updates and processed callbacks. Takes a connection,
never commits; outcomes of an attempt are one statement each (with their audit event) so a busy worker pays
one round trip per answer."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from kernel import audit

_PACKAGE = """SELECT package_id, revision, report_id, body, digest, state, case_number, problem, last_status,
                     attempts, conflicts, reason, created_by, created_at, last_attempt_at, delivered_at
              FROM court_packages"""
_UPDATE = """SELECT package_id, sequence, report_id, type, source_key, body, occurred_at, state, problem,
                    last_status, attempts, conflicts, created_at, delivered_at FROM court_updates"""


async def insert_package(
    conn: asyncpg.Connection,
    *,
    package_id: str,
    revision: int,
    report_id: UUID,
    body: dict[str, Any],
    sealed: bytes,
    digest: str,
    created_by: str,
    reason: str | None,
) -> None:
    """A revision: readable body (personal data encrypted in place) and the sealed bytes every attempt sends."""
    await conn.execute(
        """INSERT INTO court_packages (package_id, revision, report_id, body, sealed, digest, created_by, reason)
           VALUES ($1::text, $2::int, $3::uuid, $4::jsonb, $5::bytea, $6::text, $7::text, $8::text)""",
        package_id,
        revision,
        report_id,
        body,
        sealed,
        digest,
        created_by,
        reason,
    )


async def revisions(conn: asyncpg.Connection, *, package_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(_PACKAGE + " WHERE package_id = $1::text ORDER BY revision", package_id)


async def current(
    conn: asyncpg.Connection,
    *,
    report_id: UUID | None = None,
    package_id: str | None = None,
    lock: bool = False,
) -> asyncpg.Record | None:
    """The latest revision of a report's (or a package id's) package; locked for the transaction if asked."""
    return await conn.fetchrow(
        _PACKAGE
        + """ WHERE ($1::uuid IS NULL OR report_id = $1::uuid) AND ($2::text IS NULL OR package_id = $2::text)
                       ORDER BY revision DESC LIMIT 1"""
        + (" FOR UPDATE" if lock else ""),
        report_id,
        package_id,
    )


async def listing(conn: asyncpg.Connection, *, state: str | None, limit: int) -> list[str]:
    """Package ids whose latest revision is in `state` (any when None), newest first."""
    rows = await conn.fetch(
        """SELECT package_id FROM (SELECT DISTINCT ON (package_id) package_id, state, created_at
                                   FROM court_packages ORDER BY package_id, revision DESC) c
           WHERE $1::text IS NULL OR c.state = $1::text ORDER BY c.created_at DESC LIMIT $2::int""",
        state,
        limit,
    )
    return [r["package_id"] for r in rows]


_OUTCOME_UPDATE = """
WITH t AS (
    UPDATE {table} SET state = $3::text, last_status = $4::int, problem = $5::jsonb, attempts = attempts + 1,
                       conflicts = conflicts + $6::int, {extra}
    WHERE package_id = $1::text AND {key} = $2::int AND state <> 'delivered'
    RETURNING report_id, state, conflicts
)
"""
_OUTCOME = _OUTCOME_UPDATE + audit.insert_sql(
    source="t WHERE $9::text IS NOT NULL",
    report_id="report_id",
    entity="$7::text",
    entity_id="$1::text || $8::text || $2::int",
    action="$9::text",
    actor_kind="'system'",
    actor_id="'court-bridge'",
    changes="$10::jsonb",
)
_CASE_OUTCOME = _OUTCOME.format(
    table="court_packages",
    key="revision",
    extra="""last_attempt_at = now(), case_number = coalesce($11::text, case_number),
                                         delivered_at = CASE WHEN $3::text = 'delivered' THEN now() END""",
)
_UPDATE_OUTCOME = _OUTCOME.format(
    table="court_updates",
    key="sequence",
    extra="delivered_at = CASE WHEN $3::text = 'delivered' THEN now() END",
)


async def case_outcome(
    conn: asyncpg.Connection,
    *,
    package_id: str,
    revision: int,
    state: str,
    status: int | None,
    problem: dict[str, Any] | None,
    conflict: bool,
    case_number: str | None,
    action: str | None,
) -> None:
    """Record one attempt at a case POST (audited when `action` names a change of state)."""
    changes = (
        {
            "state": {"before": "queued", "after": state},
            "case_number": {"before": None, "after": case_number},
            "status": {"before": None, "after": status},
        }
        if action
        else {}
    )
    await conn.execute(
        _CASE_OUTCOME,
        package_id,
        revision,
        state,
        status,
        problem,
        int(conflict),
        "court_package",
        ".",
        action,
        changes,
        case_number,
    )


async def update_outcome(
    conn: asyncpg.Connection,
    *,
    package_id: str,
    sequence: int,
    state: str,
    status: int | None,
    problem: dict[str, Any] | None,
    conflict: bool,
    action: str | None,
) -> None:
    changes = {
        "state": {"before": "queued", "after": state},
        "status": {"before": None, "after": status},
    }
    await conn.execute(
        _UPDATE_OUTCOME,
        package_id,
        sequence,
        state,
        status,
        problem,
        int(conflict),
        "court_update",
        ".u",
        action,
        changes if action else {},
    )


_DELIVERED = """
WITH t AS (
    UPDATE {table} x SET state = 'delivered', last_status = d.status, problem = NULL, attempts = x.attempts + 1,
                         delivered_at = now(){extra}
    FROM unnest($1::text[], $2::int[], $3::int[], $4::text[]) AS d(package_id, key, status, case_number)
    WHERE x.package_id = d.package_id AND x.{key} = d.key AND x.state <> 'delivered'
    RETURNING x.report_id, x.package_id, x.{key} AS key, d.status, d.case_number
)
"""


def _delivered(*, table: str, key: str, entity: str, sep: str, extra: str, changes: str) -> str:
    return _DELIVERED.format(table=table, key=key, extra=extra) + audit.insert_sql(
        source="t",
        report_id="report_id",
        entity=f"'{entity}'",
        entity_id=f"package_id || '{sep}' || key",
        action="'delivered'",
        actor_kind="'system'",
        actor_id="'court-bridge'",
        changes=f"""jsonb_build_object('state', jsonb_build_object('before', 'queued', 'after', 'delivered'),
                          'status', jsonb_build_object('before', NULL, 'after', status){changes})""",
    )


_CASES_DELIVERED = _delivered(
    table="court_packages",
    key="revision",
    entity="court_package",
    sep=".",
    extra=", last_attempt_at = now(), case_number = d.case_number",
    changes=",\n 'case_number', jsonb_build_object('before', NULL, 'after', case_number)",
)
_UPDATES_DELIVERED = _delivered(
    table="court_updates", key="sequence", entity="court_update", sep=".u", extra="", changes=""
)


async def cases_delivered(
    conn: asyncpg.Connection, outcomes: list[tuple[str, int, int, str]]
) -> None:
    """Record many accepted case POSTs, (package_id, revision, status, case_number), with their audit events."""
    if outcomes:
        await conn.execute(_CASES_DELIVERED, *[list(c) for c in zip(*outcomes, strict=True)])


async def updates_delivered(conn: asyncpg.Connection, outcomes: list[tuple[str, int, int]]) -> None:
    """Record many accepted updates, (package_id, sequence, status), with their audit events."""
    if outcomes:
        await conn.execute(
            _UPDATES_DELIVERED,
            *[list(c) for c in zip(*outcomes, strict=True)],
            [None] * len(outcomes),
        )


async def sealed(conn: asyncpg.Connection, *, package_id: str, revision: int) -> bytes | None:
    return await conn.fetchval(
        "SELECT sealed FROM court_packages WHERE package_id = $1::text AND revision = $2::int",
        package_id,
        revision,
    )


async def update_body(
    conn: asyncpg.Connection, *, package_id: str, sequence: int
) -> dict[str, Any] | None:
    return await conn.fetchval(
        "SELECT body FROM court_updates WHERE package_id = $1::text AND sequence = $2::int",
        package_id,
        sequence,
    )


async def conflicts(conn: asyncpg.Connection, *, table: str, package_id: str, key: int) -> int:
    column = {"court_packages": "revision", "court_updates": "sequence"}[table]
    return (
        await conn.fetchval(
            f"SELECT conflicts FROM {table} WHERE package_id = $1::text AND {column} = $2::int",  # noqa: S608
            package_id,
            key,
        )
        or 0
    )


async def insert_update(
    conn: asyncpg.Connection,
    *,
    package_id: str,
    report_id: UUID,
    type_: str,
    source_key: str,
    body: dict[str, Any],
    occurred_at: Any,
) -> int | None:
    """Number the update next after the package's last one; None when this source event was queued before.

    The caller holds the lock on the package's latest revision, so two updates never take one number.
    """
    return await conn.fetchval(
        """INSERT INTO court_updates (package_id, sequence, report_id, type, source_key, body, occurred_at)
           SELECT $1::text, coalesce(max(sequence), 0) + 1, $2::uuid, $3::text, $4::text,
                  $5::jsonb || jsonb_build_object('sequence', coalesce(max(sequence), 0) + 1), $6::timestamptz
           FROM court_updates WHERE package_id = $1::text
           ON CONFLICT ON CONSTRAINT court_updates_source_key DO NOTHING RETURNING sequence""",
        package_id,
        report_id,
        type_,
        source_key,
        body,
        occurred_at,
    )


async def updates(conn: asyncpg.Connection, *, package_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(_UPDATE + " WHERE package_id = $1::text ORDER BY sequence", package_id)


async def insert_callback(
    conn: asyncpg.Connection,
    *,
    webhook_id: str,
    package_id: str,
    report_id: UUID,
    type_: str,
    case_number: str,
    sequence: int,
    occurred_at: Any,
    data: dict[str, Any],
    outcome: str,
) -> bool:
    """Record a callback with its outcome (applied, stale, backwards, case_number_mismatch); False when this
    webhook-id was recorded before."""
    return bool(
        await conn.fetchval(
            """INSERT INTO court_callbacks (webhook_id, package_id, report_id, type, case_number, sequence, occurred_at,
                                        data, applied, outcome)
           VALUES ($1::text, $2::text, $3::uuid, $4::text, $5::text, $6::int, $7::timestamptz, $8::jsonb,
                   $9::text = 'applied', $9::text)
           ON CONFLICT (webhook_id) DO NOTHING RETURNING true""",
            webhook_id,
            package_id,
            report_id,
            type_,
            case_number,
            sequence,
            occurred_at,
            data,
            outcome,
        )
    )


async def callback_outcome(conn: asyncpg.Connection, *, webhook_id: str) -> str | None:
    """How the callback with this webhook-id was recorded; None if it never was."""
    return await conn.fetchval(
        "SELECT outcome FROM court_callbacks WHERE webhook_id = $1::text", webhook_id
    )


async def last_applied_sequence(conn: asyncpg.Connection, *, package_id: str) -> int | None:
    return await conn.fetchval(
        "SELECT max(sequence) FROM court_callbacks WHERE package_id = $1::text AND applied",
        package_id,
    )


async def case_number(conn: asyncpg.Connection, *, package_id: str) -> str | None:
    """The case number the court gave the package (on the latest revision it answered); None before any answer."""
    return await conn.fetchval(
        """SELECT case_number FROM court_packages WHERE package_id = $1::text AND case_number IS NOT NULL
           ORDER BY revision DESC LIMIT 1""",
        package_id,
    )


async def callbacks(conn: asyncpg.Connection, *, package_id: str) -> list[asyncpg.Record]:
    """The court's callbacks for the package, in sequence order, each with its outcome and webhook-id."""
    return await conn.fetch(
        """SELECT webhook_id, type, sequence, case_number, occurred_at, data, applied, outcome, received_at
           FROM court_callbacks WHERE package_id = $1::text ORDER BY sequence, received_at""",
        package_id,
    )


async def court_has_case(conn: asyncpg.Connection, *, report_id: UUID) -> bool:
    """Whether the court has (or is being sent) a case on the report that the requesting party did not withdraw."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM court_packages WHERE report_id = $1::uuid)
                  AND NOT EXISTS (SELECT 1 FROM court_request_withdrawals WHERE report_id = $1::uuid)""",
            report_id,
        )
    )

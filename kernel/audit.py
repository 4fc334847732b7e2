"""The audit trail: every state change appends an event (who, when, what, before/after). Append-only:
the application role may insert and read but never update or delete (enforced by grants)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg


@dataclass(frozen=True, slots=True)
class AuditEvent:
    entity: str
    entity_id: str
    action: str
    actor: tuple[str, str | None]  # (kind, id): ("party", "<uuid>"), ("staff", ...), ("system", "worker")
    report_id: UUID | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)


def insert_sql(*, source: str, report_id: str, entity: str, entity_id: str, action: str, actor_kind: str,
               actor_id: str, changes: str) -> str:
    """The audit INSERT for a statement that also makes the change it records (a CTE, one round trip, e.g. in a
    pipelined batch): `source` is what follows FROM (rows, a join, a WHERE), the others SQL expressions over it.
    Audit rows are written only through this fragment, `record` and `record_many`."""
    return f"""INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes)
    SELECT {report_id}, {entity}, {entity_id}, {action}, {actor_kind}, {actor_id}, {changes} FROM {source}"""  # noqa: S608 (SQL written in code; values are parameters)


_RECORD_MANY = insert_sql(
    source="""unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
              AS r(report_id, entity, entity_id, action, actor_kind, actor_id, changes)""",
    report_id="r.report_id", entity="r.entity", entity_id="r.entity_id", action="r.action",
    actor_kind="r.actor_kind", actor_id="r.actor_id", changes="r.changes")


async def record(conn: asyncpg.Connection, *events: AuditEvent) -> None:
    """Append events in the caller's transaction, in one round trip."""
    await record_many(conn, events)


async def record_many(conn: asyncpg.Connection, events: Iterable[AuditEvent]) -> None:
    rows = [
        (e.report_id, e.entity, e.entity_id, e.action, e.actor[0], e.actor[1], dict(e.changes)) for e in events
    ]
    if not rows:
        return
    await conn.execute(
        _RECORD_MANY,
        *[list(col) for col in zip(*rows, strict=True)],
    )


async def for_report(conn: asyncpg.Connection, *, report_id: UUID, limit: int = 1000) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, entity, entity_id, action, actor_kind, actor_id, at, changes
           FROM audit_events WHERE report_id = $1::uuid ORDER BY id LIMIT $2::int""",
        report_id,
        limit,
    )

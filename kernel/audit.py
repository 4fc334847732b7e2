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
        """INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes)
           SELECT r.report_id, r.entity, r.entity_id, r.action, r.actor_kind, r.actor_id, r.changes
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
                AS r(report_id, entity, entity_id, action, actor_kind, actor_id, changes)""",
        *[list(col) for col in zip(*rows, strict=True)],
    )


async def for_report(conn: asyncpg.Connection, *, report_id: UUID, limit: int = 1000) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, entity, entity_id, action, actor_kind, actor_id, at, changes
           FROM audit_events WHERE report_id = $1::uuid ORDER BY id LIMIT $2::int""",
        report_id,
        limit,
    )

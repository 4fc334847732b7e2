"""asyncpg access to assessment tasks, offers, assessors' capacity and on-scene records; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from geo.routing import Candidate

_SELECT_TASK = """
SELECT t.id, t.report_id, t.party_id, t.vehicle_label, t.insurer_code, t.zone_id, t.zone_kind, t.lat, t.lon,
       t.boundary_distance_m, t.status, t.assignee_id, t.eta_at, t.due_at, t.flags, t.excluded, t.escalations,
       t.version, t.created_at, t.updated_at, p.plate
FROM assessment_tasks t JOIN parties p ON p.id = t.party_id
"""
_TASK = _SELECT_TASK + "WHERE t.id = $1::uuid"
_TASK_LOCKED = _TASK + " FOR UPDATE OF t"
_DUE_TASK = _TASK + " AND t.due_at <= now() FOR UPDATE OF t SKIP LOCKED"


async def insert_tasks(conn: asyncpg.Connection, *, rows: Sequence[tuple[Any, ...]]) -> list[UUID]:
    """(id, report, party, label, insurer, zone, kind, lat, lon, distance, flags-json); existing vehicles skipped."""
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 11
    found = await conn.fetch(
        """INSERT INTO assessment_tasks (id, report_id, party_id, vehicle_label, insurer_code, zone_id, zone_kind,
                                         lat, lon, boundary_distance_m, flags, status)
           SELECT r.id, r.report_id, r.party_id, r.label, r.insurer, r.zone, r.kind, r.lat, r.lon, r.dist,
                  ARRAY(SELECT jsonb_array_elements_text(r.flags::jsonb)), 'queued'
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::float8[], $9::float8[], $10::float8[], $11::text[])
                AS r(id, report_id, party_id, label, insurer, zone, kind, lat, lon, dist, flags)
           ON CONFLICT ON CONSTRAINT assessment_tasks_vehicle_key DO NOTHING
           RETURNING id""",
        *[list(c) for c in cols],
    )
    return [r["id"] for r in found]


async def task(
    conn: asyncpg.Connection, *, task_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(_TASK_LOCKED if lock else _TASK, task_id)


async def due_task(conn: asyncpg.Connection, *, task_id: UUID) -> asyncpg.Record | None:
    """The task, locked, if its timer is due and no one else is processing it."""
    return await conn.fetchrow(_DUE_TASK, task_id)


async def due_ids(conn: asyncpg.Connection, *, limit: int) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM assessment_tasks WHERE due_at <= now() ORDER BY due_at LIMIT $1::int", limit
    )
    return [r["id"] for r in rows]


async def set_state(
    conn: asyncpg.Connection,
    *,
    task_id: UUID,
    status: str,
    assignee_id: str | None,
    eta_at: datetime | None,
    due_in_s: float | None,
) -> None:
    """Move the task to `status`; its timer becomes due in `due_in_s` seconds (None: no timer)."""
    await conn.execute(
        """UPDATE assessment_tasks SET status = $2::text, assignee_id = $3::text, eta_at = $4::timestamptz,
                  due_at = now() + make_interval(secs => $5::float8), version = version + 1, updated_at = now()
           WHERE id = $1::uuid""",
        task_id,
        status,
        assignee_id,
        eta_at,
        due_in_s,
    )


async def set_due(conn: asyncpg.Connection, *, task_id: UUID, due_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE assessment_tasks SET due_at = $2::timestamptz, updated_at = now() WHERE id = $1::uuid",
        task_id,
        due_at,
    )


async def set_escalated(
    conn: asyncpg.Connection, *, task_id: UUID, flags: list[str], excluded: list[str]
) -> None:
    await conn.execute(
        """UPDATE assessment_tasks SET flags = $2::text[], excluded = $3::text[], escalations = escalations + 1,
                  version = version + 1, updated_at = now() WHERE id = $1::uuid""",
        task_id,
        flags,
        excluded,
    )


async def add_exclusion(conn: asyncpg.Connection, *, task_id: UUID, assessor_id: str) -> None:
    await conn.execute(
        """UPDATE assessment_tasks SET excluded = array_append(excluded, $2::text), version = version + 1
           WHERE id = $1::uuid""",
        task_id,
        assessor_id,
    )


async def candidates(
    conn: asyncpg.Connection,
    *,
    kind: str,
    insurer_code: str,
    zone_id: str,
    excluded: Sequence[str],
    lat: float,
    lon: float,
    limit: int = 16,
) -> list[Candidate]:
    """The nearest few active assessors with a free slot who may take this task (an insurer's adjusters or a
    zone's coordinators). The haversine here only pre-selects; geo.routing re-ranks them by its own rule."""
    rows = await conn.fetch(
        """SELECT id, kind, lat, lon, capacity, open_tasks, active, insurer_code, zones FROM assessors
           WHERE kind = $1::text AND active AND open_tasks < capacity AND id <> ALL($4::text[])
             AND CASE WHEN $1::text = 'adjuster' THEN insurer_code = $2::text ELSE $3::text = ANY(zones) END
           ORDER BY asin(least(1.0, sqrt(sin(radians(lat - $5::float8) / 2) ^ 2 + cos(radians($5::float8))
                         * cos(radians(lat)) * sin(radians(lon - $6::float8) / 2) ^ 2))), id
           LIMIT $7::int""",
        kind,
        insurer_code,
        zone_id,
        list(excluded),
        lat,
        lon,
        limit,
    )
    return [
        Candidate(
            r["id"],
            r["kind"],
            r["lat"],
            r["lon"],
            r["capacity"],
            r["open_tasks"],
            r["active"],
            r["insurer_code"],
            frozenset(r["zones"]),
        )
        for r in rows
    ]


async def take_slot(conn: asyncpg.Connection, *, assessor_id: str) -> bool:
    """Raise the assessor's open tasks by one unless that would exceed capacity (the row lock serialises racers)."""
    done = await conn.fetchval(
        """UPDATE assessors SET open_tasks = open_tasks + 1
           WHERE id = $1::text AND active AND open_tasks < capacity RETURNING true""",
        assessor_id,
    )
    return bool(done)


async def release_slot(conn: asyncpg.Connection, *, assessor_id: str) -> None:
    await conn.execute(
        "UPDATE assessors SET open_tasks = open_tasks - 1 WHERE id = $1::text AND open_tasks > 0",
        assessor_id,
    )


async def open_offer(
    conn: asyncpg.Connection,
    *,
    task_id: UUID,
    assessor_id: str,
    distance_m: float,
    respond_in_s: float,
) -> int:
    return await conn.fetchval(
        """INSERT INTO assessment_offers (task_id, assessor_id, distance_m, respond_by)
           VALUES ($1::uuid, $2::text, $3::float8, now() + make_interval(secs => $4::float8)) RETURNING id""",
        task_id,
        assessor_id,
        distance_m,
        respond_in_s,
    )


async def close_offer(
    conn: asyncpg.Connection,
    *,
    task_id: UUID,
    outcome: str,
    reason: str | None = None,
    eta_at: Any = None,
) -> None:
    """Settle the task's open offer; `accepted` keeps it open (until completion or a miss) with its ETA."""
    closing = outcome != "accepted"
    await conn.execute(
        """UPDATE assessment_offers SET outcome = $2::text, reason = coalesce($3::text, reason),
                  eta_at = coalesce($4::timestamptz, eta_at), closed_at = CASE WHEN $5::bool THEN now() END
           WHERE task_id = $1::uuid AND outcome IN ('pending', 'accepted')""",
        task_id,
        outcome,
        reason,
        eta_at,
        closing,
    )


async def assessor_of_staff(conn: asyncpg.Connection, *, staff_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, kind, insurer_code, zones, name FROM assessors WHERE staff_id = $1::uuid",
        staff_id,
    )


async def assessor(conn: asyncpg.Connection, *, assessor_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, kind, insurer_code, zones, name, capacity, open_tasks, active FROM assessors WHERE id = $1::text",
        assessor_id,
    )


async def queued_for(conn: asyncpg.Connection, *, assessor_id: str, limit: int) -> list[UUID]:
    """Queued tasks this assessor could take, oldest first, skipping those another transaction holds."""
    rows = await conn.fetch(
        """SELECT t.id FROM assessment_tasks t JOIN assessors a ON a.id = $1::text
           WHERE t.status = 'queued' AND NOT (a.id = ANY(t.excluded))
             AND CASE WHEN a.kind = 'adjuster' THEN t.zone_kind = 'urban' AND t.insurer_code = a.insurer_code
                      ELSE t.zone_kind = 'rural' AND t.zone_id = ANY(a.zones) END
           ORDER BY t.created_at, t.id LIMIT $2::int FOR UPDATE OF t SKIP LOCKED""",
        assessor_id,
        limit,
    )
    return [r["id"] for r in rows]


async def insert_record(
    conn: asyncpg.Connection,
    *,
    record_id: UUID,
    task_id: UUID,
    assessor_id: str,
    notes: str,
    items: list[dict[str, Any]],
    total_fen: int,
    photo_ids: list[UUID],
) -> None:
    await conn.execute(
        """INSERT INTO onscene_records (id, task_id, assessor_id, notes, items, total_fen, photo_ids)
           VALUES ($1::uuid, $2::uuid, $3::text, $4::text, $5::jsonb, $6::bigint, $7::uuid[])""",
        record_id,
        task_id,
        assessor_id,
        notes,
        items,
        total_fen,
        photo_ids,
    )


async def insurer_has_task(conn: asyncpg.Connection, *, report_id: UUID, insurer_code: str) -> bool:
    """Whether the insurer has an assessment task on the report that was not cancelled."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM assessment_tasks WHERE report_id = $1::uuid AND insurer_code = $2::text
                                                           AND status <> 'cancelled')""",
            report_id,
            insurer_code,
        )
    )


async def report_photos(conn: asyncpg.Connection, *, report_id: UUID) -> list[asyncpg.Record]:
    """The report's photos (not those its parties removed), for the assessor's signed links."""
    return await conn.fetch(
        """SELECT ph.id, ph.kind, ph.sha256 FROM photos ph WHERE ph.report_id = $1::uuid
           AND NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id)
           ORDER BY ph.created_at, ph.id""",
        report_id,
    )


async def report_place(conn: asyncpg.Connection, *, report_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT r.address, r.address_enc, z.name AS zone_name FROM reports r LEFT JOIN zones z ON z.id = r.zone_id
           WHERE r.id = $1::uuid""",
        report_id,
    )


async def vehicle_driver_phone(
    conn: asyncpg.Connection, *, report_id: UUID, label: str
) -> bytes | None:
    """The encrypted phone of the vehicle's driver (the party of that label)."""
    return await conn.fetchval(
        "SELECT phone_enc FROM parties WHERE report_id = $1::uuid AND label = $2::text",
        report_id,
        label,
    )

"""Assessment tasks: created from report.settled, offered by the routing rule, queued, escalated by timers.

Each use case owns its transaction; every change is audited and the insurer's events are queued in that
same transaction. Timers are due_at columns swept by `kuaichu worker`, so they survive restarts.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from accident.storage import PhotoStore
from assessment import repository as repo
from claims.webhooks import enqueue_insurer_event
from geo.routing import decide, flags_of
from geo.zones import ZoneHit
from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring

SYSTEM = ("system", "assessment")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AssessmentPolicy:
    offer_sla_s: float = 600.0  # an offer not accepted within this is escalated
    queue_retry_s: float = 60.0  # a queued task is routed again at least this often
    eta_max_min: int = 240


@dataclass(frozen=True, slots=True)
class AssessmentContext:
    """What assessment use cases need from the composition root; `locate` is the current zone index."""

    pool: asyncpg.Pool
    keyring: Keyring
    photos: PhotoStore
    locate: Callable[[float, float], ZoneHit | None]
    policy: AssessmentPolicy
    public_base_url: str
    photo_link_ttl_s: int
    max_pixels: int


async def in_transaction(
    ctx: AssessmentContext, work: Callable[[asyncpg.Connection], Awaitable[T]]
) -> T:
    """Run `work` in a transaction, again if PostgreSQL broke a lock cycle between two routings."""
    for attempt in range(3):
        try:
            async with ctx.pool.acquire() as conn, conn.transaction():
                return await work(conn)
        except asyncpg.DeadlockDetectedError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def event_data(task: asyncpg.Record, **extra: Any) -> dict[str, Any]:
    return {
        "report_id": str(task["report_id"]),
        "task_id": str(task["id"]),
        "vehicle_label": task["vehicle_label"],
        "plate": task["plate"],
        "zone_id": task["zone_id"],
        "zone_kind": task["zone_kind"],
        "flags": list(task["flags"]),
        **extra,
    }


async def tell_insurer(
    conn: asyncpg.Connection, task: asyncpg.Record, event_type: str, **extra: Any
) -> None:
    """One event to the vehicle's insurer, keyed by task version so a retried transaction sends it once."""
    await enqueue_insurer_event(
        conn,
        insurer_code=task["insurer_code"],
        event_type=event_type,
        data=event_data(task, **extra),
        occurred_at=datetime.now(UTC),
        report_id=task["report_id"],
        dedupe_key=f"{task['id']}:{task['version']}",
    )


async def audit(
    conn: asyncpg.Connection,
    task: asyncpg.Record,
    action: str,
    actor: tuple[str, str | None],
    **changes: tuple[Any, Any],
) -> None:
    await record(
        conn,
        AuditEvent(
            "assessment_task",
            str(task["id"]),
            action,
            actor,
            task["report_id"],
            {k: {"before": b, "after": a} for k, (b, a) in changes.items()},
        ),
    )


def hit_of(task: asyncpg.Record) -> ZoneHit:
    flags = set(task["flags"])
    return ZoneHit(
        task["zone_id"],
        task["zone_kind"],
        False,
        "near_boundary" in flags,
        task["boundary_distance_m"],
        "outside_zone" not in flags,
    )


async def route(
    ctx: AssessmentContext, conn: asyncpg.Connection, task_id: UUID, actor: tuple[str, str | None]
) -> str:
    """Offer the locked task to the nearest eligible assessor with a free slot, or queue it; returns the status."""
    task = await repo.task(conn, task_id=task_id)
    assert task is not None
    kind = "adjuster" if task["zone_kind"] == "urban" else "coordinator"
    found = await repo.candidates(
        conn,
        kind=kind,
        insurer_code=task["insurer_code"],
        zone_id=task["zone_id"],
        excluded=task["excluded"],
        lat=task["lat"],
        lon=task["lon"],
    )
    decision = decide(
        hit=hit_of(task),
        insurer_code=task["insurer_code"],
        lat=task["lat"],
        lon=task["lon"],
        candidates=found,
        excluded=task["excluded"],
    )
    for ranked in decision.ranked:
        # The conditional UPDATE is the guarantee; the list above may be stale by the time we get here.
        if await repo.take_slot(conn, assessor_id=ranked.id):
            await repo.open_offer(
                conn,
                task_id=task_id,
                assessor_id=ranked.id,
                distance_m=ranked.distance_m,
                respond_in_s=ctx.policy.offer_sla_s,
            )
            await repo.set_state(
                conn,
                task_id=task_id,
                status="offered",
                assignee_id=ranked.id,
                eta_at=None,
                due_in_s=ctx.policy.offer_sla_s,
            )
            await audit(
                conn,
                task,
                "offered",
                actor,
                status=(task["status"], "offered"),
                assignee_id=(task["assignee_id"], ranked.id),
                distance_m=(None, ranked.distance_m),
            )
            return "offered"
    await repo.set_state(
        conn,
        task_id=task_id,
        status="queued",
        assignee_id=None,
        eta_at=None,
        due_in_s=ctx.policy.queue_retry_s,
    )
    if (
        task["status"] != "queued" or task["version"] == 1
    ):  # entering the queue, or created straight into it
        await audit(conn, task, "queued", actor, status=(task["status"], "queued"))
        await tell_insurer(conn, task, "assessment.queued")
    return "queued"


async def release(
    ctx: AssessmentContext,
    conn: asyncpg.Connection,
    assessor_id: str,
    actor: tuple[str, str | None],
) -> None:
    """Free one slot of the assessor and offer the queue's oldest tasks it could take, at once."""
    await repo.release_slot(conn, assessor_id=assessor_id)
    for queued_id in await repo.queued_for(conn, assessor_id=assessor_id, limit=1):
        await route(ctx, conn, queued_id, actor)


async def on_report_settled(ctx: AssessmentContext, *, payload: dict[str, Any]) -> list[UUID]:
    """One task per vehicle of a settled report, for the vehicle's own insurer; a redelivery creates none."""
    report_id = UUID(payload["report_id"])

    async def work(conn: asyncpg.Connection) -> list[UUID]:
        report = await conn.fetchrow(
            """SELECT r.lat, r.lon, r.zone_id, r.near_boundary, z.kind FROM reports r JOIN zones z ON z.id = r.zone_id
               WHERE r.id = $1::uuid""",
            report_id,
        )
        if report is None:
            raise LookupError(f"report {report_id} does not exist")
        # The current index decides (rule of geo.zones); the zone stored at intake if the point left the map.
        hit = ctx.locate(report["lat"], report["lon"]) or ZoneHit(
            report["zone_id"], report["kind"], False, True, None, False
        )
        flags = list(flags_of(hit))
        parties = await conn.fetch(
            "SELECT id, label, insurer_code FROM parties WHERE report_id = $1::uuid ORDER BY label",
            report_id,
        )
        created = await repo.insert_tasks(
            conn,
            rows=[
                (
                    uuid.uuid4(),
                    report_id,
                    p["id"],
                    p["label"],
                    p["insurer_code"],
                    hit.zone_id,
                    hit.kind,
                    report["lat"],
                    report["lon"],
                    hit.boundary_distance_m,
                    json.dumps(flags),
                )
                for p in parties
            ],
        )
        for task_id in created:
            task = await repo.task(conn, task_id=task_id, lock=True)
            assert task is not None
            await audit(
                conn,
                task,
                "created",
                SYSTEM,
                status=(None, "queued"),
                insurer_code=(None, task["insurer_code"]),
                flags=(None, list(task["flags"])),
            )
            await tell_insurer(conn, task, "assessment.requested", outcome=payload.get("outcome"))
            await route(ctx, conn, task_id, SYSTEM)
        return created

    return await in_transaction(ctx, work)


async def escalate(
    ctx: AssessmentContext,
    conn: asyncpg.Connection,
    task: asyncpg.Record,
    *,
    reason: str,
    actor: tuple[str, str | None],
) -> str:
    """The assignee missed a timer: close its offer, free its slot, flag the task, and route it to someone else."""
    assignee = task["assignee_id"]
    await repo.close_offer(
        conn, task_id=task["id"], outcome="expired" if reason == "offer_sla" else "eta_missed"
    )
    flags = sorted(set(task["flags"]) | {"escalated"})
    await repo.set_escalated(
        conn, task_id=task["id"], flags=flags, excluded=[*task["excluded"], assignee]
    )
    await audit(
        conn,
        task,
        "escalated",
        actor,
        reason=(None, reason),
        assignee_id=(assignee, None),
        flags=(list(task["flags"]), flags),
    )
    escalated = await repo.task(conn, task_id=task["id"])
    assert escalated is not None
    await tell_insurer(conn, escalated, "assessment.escalated", reason=reason, missed_by=assignee)
    status = await route(ctx, conn, task["id"], actor)
    await release(ctx, conn, assignee, actor)
    return status


async def sweep(ctx: AssessmentContext, *, limit: int = 200) -> int:
    """Process every due timer once: missed offers and ETAs escalate, queued tasks are routed again."""
    async with ctx.pool.acquire() as conn:
        ids = await repo.due_ids(conn, limit=limit)
    done = 0
    for task_id in ids:

        async def work(conn: asyncpg.Connection, task_id: UUID = task_id) -> int:
            task = await repo.due_task(conn, task_id=task_id)
            if task is None:
                return 0  # handled meanwhile, or another worker holds it
            if task["status"] == "offered":
                await escalate(ctx, conn, task, reason="offer_sla", actor=SYSTEM)
            elif task["status"] == "accepted":
                await escalate(ctx, conn, task, reason="eta_missed", actor=SYSTEM)
            elif task["status"] == "queued":
                await route(ctx, conn, task_id, SYSTEM)
            else:
                await repo.set_due(conn, task_id=task_id, due_at=None)
            return 1

        done += await in_transaction(ctx, work)
    return done

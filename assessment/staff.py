"""What adjusters, coordinators and operators do with assessment tasks: list, accept, decline, arrive, report.

Visibility: an adjuster sees its insurer's tasks, a coordinator the tasks in the zones it serves, police and
admins all; anything else is "not found", so a task's existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from assessment import repository as repo
from assessment.service import (
    AssessmentContext,
    audit,
    in_transaction,
    release,
    route,
    tell_insurer,
)
from kernel.errors import DomainError, NotFound
from kernel.identity import StaffPrincipal
from kernel.photo_links import insurer, signed_photo_links

OPEN = ("offered", "accepted", "on_scene")


class TaskNotFound(NotFound):
    code = "assessment-task-not-found"
    title_zh = "未找到该查勘任务"
    title_en = "No such assessment task"


class NotYourTask(DomainError):
    code = "assessment-task-not-yours"
    kind = "conflict"
    title_zh = "该任务当前未指派给您"
    title_en = "This task is not currently assigned to you"


async def viewer(conn: asyncpg.Connection, who: StaffPrincipal) -> Mapping[str, Any] | None:
    """The caller's assessor row; for police their jurisdiction as `zones` (None for admins, who see all)."""
    if who.role == "police":
        zones = await conn.fetchval(
            "SELECT jurisdiction FROM staff WHERE id = $1::uuid", who.staff_id
        )
        return {"id": None, "zones": list(zones or [])}
    return await repo.assessor_of_staff(conn, staff_id=who.staff_id)


def may_see(who: StaffPrincipal, me: Mapping[str, Any] | None, task: asyncpg.Record) -> bool:
    """Adjusters: their insurer's tasks; coordinators and police: tasks in their zones; admins: all."""
    if who.role == "admin":
        return True
    if who.role == "police":
        return me is not None and task["zone_id"] in me["zones"]
    if who.role == "adjuster":
        return task["insurer_code"] == who.insurer_code
    return who.role == "coordinator" and me is not None and task["zone_id"] in me["zones"]


# How a task's status reads to a person (zh, en); the API keeps the status values.
TASK_STATUS_TEXT: dict[str, tuple[str, str]] = {
    "queued": ("排队等待派单", "queued"),
    "offered": ("已派单待接受", "offered"),
    "accepted": ("已接受", "accepted"),
    "on_scene": ("已到达现场", "on scene"),
    "completed": ("已完成", "completed"),
    "cancelled": ("已取消", "cancelled"),
}


async def mine(
    conn: asyncpg.Connection, who: StaffPrincipal, task_id: UUID, states: tuple[str, ...]
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The task locked, checked visible, assigned to the caller and in one of `states`."""
    task = await repo.task(conn, task_id=task_id, lock=True)
    me = await viewer(conn, who)
    if task is None or not may_see(who, me, task):
        raise TaskNotFound()
    if me is None or task["assignee_id"] != me["id"] or task["status"] not in states:
        state = TASK_STATUS_TEXT.get(task["status"], (task["status"], task["status"]))
        raise NotYourTask(
            f"该任务当前为“{state[0]}”，或未派给您，不能执行此操作",
            f"The task is {state[1]} or not assigned to you; this is not allowed now",
        )
    return task, me


OPEN_FOR_CONTACT = ("accepted", "on_scene")


async def show(ctx: AssessmentContext, *, who: StaffPrincipal, task_id: UUID) -> dict[str, Any]:
    """The task with what the assessor needs on the way: the case's photos (signed links), the place as text,
    and, to the assessor who took the task while it is open, the phone of the vehicle's driver (the minimum
    necessary, PIPL art. 6; each disclosure audited)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        task = await repo.task(conn, task_id=task_id)
        me = await viewer(conn, who)
        if task is None or not may_see(who, me, task):
            raise TaskNotFound()
        out = await view(conn, task)
        out["photos"] = signed_photo_links(
            ctx.keyring,
            ctx.public_base_url,
            report_id=task["report_id"],
            photos=await repo.report_photos(conn, report_id=task["report_id"]),
            recipient=insurer(task["insurer_code"]),
            ttl_s=ctx.photo_link_ttl_s,
        )
        place = await repo.report_place(conn, report_id=task["report_id"])
        address = ctx.keyring.decrypt_or(place["address_enc"], place["address"]) if place else None
        out["place"] = {"address": address, "zone_name": place["zone_name"] if place else None}
        out["driver_contact"] = None
        if (
            me is not None
            and task["assignee_id"] == me["id"]
            and task["status"] in OPEN_FOR_CONTACT
        ):
            phone = await repo.vehicle_driver_phone(
                conn, report_id=task["report_id"], label=task["vehicle_label"]
            )
            if phone is not None:
                out["driver_contact"] = {
                    "vehicle_label": task["vehicle_label"],
                    "phone": ctx.keyring.decrypt(bytes(phone)),
                }
                await audit(conn, task, "driver_phone_shown", who.actor, shown_to=(None, me["id"]))
        return out


async def my_tasks(ctx: AssessmentContext, *, who: StaffPrincipal) -> list[dict[str, Any]]:
    """Tasks offered to, accepted by or completed by the caller, open ones first."""
    async with ctx.pool.acquire() as conn:
        me = await viewer(conn, who)
        if me is None:
            return []
        rows = await conn.fetch(
            """SELECT id FROM assessment_tasks WHERE assignee_id = $1::text
               ORDER BY status IN ('completed', 'cancelled'), created_at DESC LIMIT 200""",
            me["id"],
        )
        return [await view(conn, t) for r in rows if (t := await repo.task(conn, task_id=r["id"]))]


async def accept(
    ctx: AssessmentContext, *, who: StaffPrincipal, task_id: UUID, eta_minutes: int
) -> dict[str, Any]:
    """Accept an offer with an ETA; missing the ETA without arriving escalates the task."""

    async def work(conn: asyncpg.Connection) -> dict[str, Any]:
        task, me = await mine(conn, who, task_id, ("offered",))
        eta = datetime.now(UTC) + timedelta(minutes=eta_minutes)
        await repo.close_offer(conn, task_id=task_id, outcome="accepted", eta_at=eta)
        await repo.set_state(
            conn,
            task_id=task_id,
            status="accepted",
            assignee_id=me["id"],
            eta_at=eta,
            due_in_s=eta_minutes * 60.0,
        )
        await audit(
            conn,
            task,
            "accepted",
            who.actor,
            status=("offered", "accepted"),
            eta_at=(None, eta.isoformat()),
        )
        now = await repo.task(conn, task_id=task_id)
        assert now is not None
        await tell_insurer(
            conn,
            now,
            "assessment.assigned",
            assessor={"id": me["id"], "kind": me["kind"], "name": me["name"]},
            eta_at=eta.isoformat(),
        )
        return await view(conn, now)

    return await in_transaction(ctx, work)


async def decline(
    ctx: AssessmentContext, *, who: StaffPrincipal, task_id: UUID, reason: str
) -> dict[str, Any]:
    """Decline (or give back) a task: it goes to the next nearest candidate, or to the queue."""

    async def work(conn: asyncpg.Connection) -> dict[str, Any]:
        task, me = await mine(conn, who, task_id, ("offered", "accepted"))
        await repo.close_offer(conn, task_id=task_id, outcome="declined", reason=reason)
        await repo.add_exclusion(conn, task_id=task_id, assessor_id=me["id"])
        await audit(
            conn,
            task,
            "declined",
            who.actor,
            status=(task["status"], "declined"),
            reason=(None, reason),
        )
        await route(ctx, conn, task_id, who.actor)
        await release(ctx, conn, me["id"], who.actor)
        now = await repo.task(conn, task_id=task_id)
        assert now is not None
        return await view(conn, now)

    return await in_transaction(ctx, work)


async def arrive(ctx: AssessmentContext, *, who: StaffPrincipal, task_id: UUID) -> dict[str, Any]:
    """On scene: the ETA timer stops; the insurer is told."""

    async def work(conn: asyncpg.Connection) -> dict[str, Any]:
        task, _ = await mine(conn, who, task_id, ("accepted",))
        await repo.set_state(
            conn,
            task_id=task_id,
            status="on_scene",
            assignee_id=task["assignee_id"],
            eta_at=task["eta_at"],
            due_in_s=None,
        )
        await audit(conn, task, "on_scene", who.actor, status=("accepted", "on_scene"))
        now = await repo.task(conn, task_id=task_id)
        assert now is not None
        await tell_insurer(
            conn, now, "assessment.on_scene", arrived_at=datetime.now(UTC).isoformat()
        )
        return await view(conn, now)

    return await in_transaction(ctx, work)


async def queue(ctx: AssessmentContext, *, limit: int = 200) -> dict[str, Any]:
    """For operators: tasks nobody could take, and open tasks carrying a flag (escalated, near a boundary)."""
    async with ctx.pool.acquire() as conn:
        queued = await conn.fetch(
            "SELECT id FROM assessment_tasks WHERE status = 'queued'"
            " ORDER BY created_at LIMIT $1::int",
            limit,
        )
        flagged = await conn.fetch(
            """SELECT id FROM assessment_tasks WHERE status IN ('offered', 'accepted', 'on_scene')
                 AND cardinality(flags) > 0 ORDER BY created_at LIMIT $1::int""",
            limit,
        )
        return {
            "queued": [
                await view(conn, t) for r in queued if (t := await repo.task(conn, task_id=r["id"]))
            ],
            "flagged": [
                await view(conn, t)
                for r in flagged
                if (t := await repo.task(conn, task_id=r["id"]))
            ],
        }


async def view(conn: asyncpg.Connection, task: asyncpg.Record) -> dict[str, Any]:
    offers = await conn.fetch(
        """SELECT assessor_id, distance_m, offered_at, respond_by, outcome, eta_at, reason FROM assessment_offers
           WHERE task_id = $1::uuid ORDER BY id""",
        task["id"],
    )
    record = await conn.fetchrow(
        "SELECT notes, items, total_fen, photo_ids, submitted_at FROM onscene_records"
        " WHERE task_id = $1::uuid",
        task["id"],
    )
    keys = (
        "id",
        "report_id",
        "vehicle_label",
        "plate",
        "insurer_code",
        "zone_id",
        "zone_kind",
        "lat",
        "lon",
        "boundary_distance_m",
        "status",
        "assignee_id",
        "eta_at",
        "due_at",
        "flags",
        "escalations",
        "created_at",
        "updated_at",
    )
    out = {k: task[k] for k in keys}
    out["offers"] = [dict(o) for o in offers]
    out["record"] = dict(record) if record else None
    return out

"""The on-scene record: photos kept as evidence, notes, preliminary damage items in fen; handed to the insurer.

A coordinator's record is the hand-over (农村事故协理员 → insurer); an adjuster's is its first assessment.
Either way the task completes and the assessor's slot goes to the oldest queued task it could take.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from accident.photo_service import DERIVATIVES_TOPIC
from accident.photos import PhotoFacts, inspect_upload
from assessment import repository as repo
from assessment.service import AssessmentContext, audit, in_transaction, release, tell_insurer
from assessment.staff import mine, view
from kernel.identity import StaffPrincipal
from kernel.outbox import enqueue
from kernel.photo_links import insurer, signed_photo_links

PHOTO_KIND = "onscene"


@dataclass(frozen=True, slots=True)
class DamageItem:
    part: str
    description: str
    amount_fen: int


async def submit_record(
    ctx: AssessmentContext,
    *,
    who: StaffPrincipal,
    task_id: UUID,
    notes: str,
    items: list[DamageItem],
    photos: list[bytes],
) -> dict[str, Any]:
    """Store the photos (refused uploads write nothing), the record, complete the task, and tell the insurer."""
    facts = [
        await asyncio.to_thread(inspect_upload, data, max_pixels=ctx.max_pixels) for data in photos
    ]
    for f, data in zip(facts, photos, strict=True):
        await ctx.photos.put_original(
            f.sha256, data
        )  # content-addressed: an orphan file is harmless

    async def work(conn: asyncpg.Connection) -> dict[str, Any]:
        task, me = await mine(conn, who, task_id, ("accepted", "on_scene"))
        photo_rows = [await _store_photo(conn, task, who, f) for f in facts]
        total = sum(i.amount_fen for i in items)
        record_id = uuid.uuid4()
        item_json = [
            {"part": i.part, "description": i.description, "amount_fen": i.amount_fen}
            for i in items
        ]
        await repo.insert_record(
            conn,
            record_id=record_id,
            task_id=task_id,
            assessor_id=me["id"],
            notes=notes,
            items=item_json,
            total_fen=total,
            photo_ids=[p["id"] for p in photo_rows],
        )
        await repo.close_offer(conn, task_id=task_id, outcome="completed")
        await repo.set_state(
            conn,
            task_id=task_id,
            status="completed",
            assignee_id=me["id"],
            eta_at=task["eta_at"],
            due_in_s=None,
        )
        await audit(
            conn,
            task,
            "record_submitted",
            who.actor,
            status=(task["status"], "completed"),
            total_fen=(None, total),
            photos=(None, len(photo_rows)),
        )
        done = await repo.task(conn, task_id=task_id)
        assert done is not None
        await tell_insurer(
            conn,
            done,
            "assessment.record_submitted",
            record_id=str(record_id),
            notes=notes,
            items=item_json,
            total_fen=total,
            handed_over=me["kind"] == "coordinator",
            assessor={"id": me["id"], "kind": me["kind"], "name": me["name"]},
            photos=signed_photo_links(
                ctx.keyring,
                ctx.public_base_url,
                report_id=task["report_id"],
                photos=photo_rows,
                recipient=insurer(task["insurer_code"]),
                ttl_s=ctx.photo_link_ttl_s,
            ),
        )
        await release(ctx, conn, me["id"], who.actor)
        return await view(conn, done)

    return await in_transaction(ctx, work)


async def _store_photo(
    conn: asyncpg.Connection, task: asyncpg.Record, who: StaffPrincipal, f: PhotoFacts
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO photos (id, report_id, staff_id, kind, sha256, size_bytes, media_type, width, height,
                               taken_at, gps_lat, gps_lon, derivatives)
           VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::bigint, $7::text, $8::int, $9::int,
                   $10::timestamptz, $11::float8, $12::float8,
                   -- bytes already rendered (or failed) get no new job: the dedupe key below is taken
                   coalesce((SELECT derivatives FROM photos
                             WHERE sha256 = $5::text AND derivatives <> 'pending' LIMIT 1), 'pending'))
           -- the same bytes again: return the stored row, changing nothing (a photo's facts are not updatable)
           ON CONFLICT ON CONSTRAINT photos_report_sha_kind_key DO UPDATE SET derivatives = photos.derivatives
           RETURNING id, kind, sha256""",
        uuid.uuid4(),
        task["report_id"],
        who.staff_id,
        PHOTO_KIND,
        f.sha256,
        f.size_bytes,
        f.media_type,
        f.width,
        f.height,
        f.taken_at,
        f.gps_lat,
        f.gps_lon,
    )
    await enqueue(
        conn,
        topic=DERIVATIVES_TOPIC,
        dedupe_key=f"{DERIVATIVES_TOPIC}:{f.sha256}",
        payload={"sha256": f.sha256},
        report_id=task["report_id"],
    )
    return row

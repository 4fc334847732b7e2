"""Photo evidence: the upload only hashes, reads EXIF and stores the original; derivatives follow through
the outbox (so they survive restarts), made off the event loop."""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg

from accident import repository as repo
from accident.anomalies import SimilarityPolicy, flag_near_duplicates, store_hashes
from accident.errors import ReportNotFound
from accident.model import OPEN_FOR_PHOTOS, Status, ensure
from accident.photo_similarity import PerceptualHashes
from accident.photos import (
    DEFAULT_MAX_FULL_DECODE_PIXELS,
    DEFAULT_MAX_PIXELS,
    inspect_upload,
    make_derivatives,
)
from accident.service import Intake, access
from accident.storage import PhotoStore
from accident.views import missing_photo_kinds, render_photo
from kernel.audit import AuditEvent, record
from kernel.errors import Conflict, DomainError
from kernel.identity import Principal
from kernel.outbox import enqueue

log = logging.getLogger(__name__)
DERIVATIVES_TOPIC = "photo.derivatives"
VARIANTS = ("original", "preview", "thumbnail")


class PreviewUnavailable(DomainError):
    code = "preview-unavailable"
    kind = "conflict"
    title_zh = "无法为这张照片生成预览图"
    title_en = "No preview can be made of this photo"


class TooManyPhotos(DomainError):
    code = "too-many-photos"
    kind = "conflict"
    title_zh = "照片数量已达上限"
    title_en = "Photo limit reached"


class PhotoNotFound(DomainError):
    code = "photo-not-found"
    kind = "not_found"
    title_zh = "没有您拍摄的这张照片"
    title_en = "No photo of yours with this id"


class PhotoRemovedBefore(DomainError):
    code = "photo-removed"
    kind = "conflict"
    title_zh = "这张照片已被您删除，如需使用请重新拍摄"
    title_en = "You removed this photo; take it again to use it"


class PhotoQuotaExceeded(DomainError):
    code = "photo-quota-exceeded"
    kind = "conflict"
    title_zh = "本起事故的照片总大小已达上限"
    title_en = "The photos of this report take up all the space allowed"


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """What one report may hold and which images may be decoded (see accident.photos for the pixel limits)."""

    max_photos: int
    max_bytes: int
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_full_decode_pixels: int = DEFAULT_MAX_FULL_DECODE_PIXELS


async def upload_photo(
    intake: Intake,
    store: PhotoStore,
    *,
    who: Principal,
    report_id: UUID,
    kind: str,
    data: bytes,
    limits: PhotoLimits,
    inspect_in: Executor | None = None,
) -> tuple[int, dict[str, Any]]:
    """Store one photo of the report; the same bytes of the same kind again answer the existing photo.

    Every check comes before the file is written (who may add photos, the report's state, the image itself,
    the report's photo count and bytes), so a refused upload leaves nothing behind."""
    async with intake.pool.acquire() as conn:
        viewer = await access(conn, who, report_id)
        if viewer.party_id is None:
            raise ReportNotFound()
        row = await repo.report(conn, report_id=report_id)
        assert row is not None
        # Checked again under the lock below; here it spares a closed report the inspection.
        ensure(Status(row["status"]), OPEN_FOR_PHOTOS, action_zh="上传照片", action_en="add photos")
    loop = asyncio.get_running_loop()
    facts = await loop.run_in_executor(
        inspect_in,
        partial(
            inspect_upload,
            data,
            max_pixels=limits.max_pixels,
            max_full_decode_pixels=limits.max_full_decode_pixels,
        ),
    )
    photo_id = uuid.uuid4()
    written = False
    try:
        async with intake.pool.acquire() as conn, conn.transaction():
            row = await repo.report(conn, report_id=report_id, lock=True)
            assert row is not None
            ensure(
                Status(row["status"]), OPEN_FOR_PHOTOS, action_zh="上传照片", action_en="add photos"
            )
            existing = await conn.fetchrow(
                """SELECT id, EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id) AS removed
                   FROM photos ph WHERE report_id = $1::uuid AND sha256 = $2::text AND kind = $3::text""",
                report_id,
                facts.sha256,
                kind,
            )
            if existing is not None and existing["removed"]:
                raise PhotoRemovedBefore()
            if existing is not None:
                status, photo_id = 200, existing["id"]
            else:
                await _within_quota(conn, report_id, limits, adding=facts.size_bytes)
                status = 201
                await conn.execute(
                    """INSERT INTO photos (id, report_id, party_id, kind, sha256, size_bytes, media_type, width,
                                           height, taken_at, gps_lat, gps_lon, derivatives)
                       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::text, $6::bigint, $7::text, $8::int,
                               $9::int, $10::timestamptz, $11::float8, $12::float8,
                               -- settled bytes (ready or failed) get no new job: the dedupe key is taken
                               coalesce((SELECT derivatives FROM photos
                                         WHERE sha256 = $5::text AND derivatives <> 'pending' LIMIT 1), 'pending'))""",
                    photo_id,
                    report_id,
                    viewer.party_id,
                    kind,
                    facts.sha256,
                    facts.size_bytes,
                    facts.media_type,
                    facts.width,
                    facts.height,
                    facts.taken_at,
                    facts.gps_lat,
                    facts.gps_lon,
                )
                await enqueue(
                    conn,
                    topic=DERIVATIVES_TOPIC,
                    dedupe_key=f"{DERIVATIVES_TOPIC}:{facts.sha256}",
                    payload={"sha256": facts.sha256},
                    report_id=report_id,
                )
                await record(
                    conn,
                    AuditEvent(
                        "photo",
                        str(photo_id),
                        "uploaded",
                        ("party", str(viewer.party_id)),
                        report_id,
                        {
                            "kind": {"before": None, "after": kind},
                            "sha256": {"before": None, "after": facts.sha256},
                            "taken_at": {
                                "before": None,
                                "after": facts.taken_at.isoformat() if facts.taken_at else None,
                            },
                        },
                    ),
                )
                # Last, once nothing can refuse it any more, and before the commit: a committed row always has
                # its original.
                written = await store_content(conn, store, facts.sha256, data)
            photo = await conn.fetchrow(
                """SELECT ph.id, ph.kind, pa.label AS party_label, ph.sha256, ph.size_bytes, ph.media_type,
                          ph.width, ph.height, ph.taken_at, ph.gps_lat, ph.gps_lon, ph.derivatives, ph.created_at
                   FROM photos ph LEFT JOIN parties pa ON pa.id = ph.party_id WHERE ph.id = $1::uuid""",
                photo_id,
            )
    except BaseException:
        if written:  # the commit itself failed: take back the file no row refers to
            await discard_unreferenced(intake.pool, store, facts.sha256)
        raise
    return status, render_photo(dict(photo))


async def _within_quota(
    conn: asyncpg.Connection, report_id: UUID, limits: PhotoLimits, *, adding: int
) -> None:
    # A removed photo frees its place in the count, but its original stays stored as evidence: it still counts
    # towards the bytes (or removing and uploading again would have no bound).
    count, used = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id)),
                  coalesce(sum(size_bytes), 0)::bigint
           FROM photos ph WHERE report_id = $1::uuid""",
        report_id,
    )
    if count >= limits.max_photos:
        raise TooManyPhotos(
            f"每起事故最多{limits.max_photos}张照片",
            f"At most {limits.max_photos} photos per report",
            max_photos=limits.max_photos,
        )
    if used + adding > limits.max_bytes:
        mb, used_mb, adding_mb = (n / (1024 * 1024) for n in (limits.max_bytes, used, adding))
        raise PhotoQuotaExceeded(
            f"每起事故的照片合计不能超过{mb:g}MB，已用{used_mb:.1f}MB（删除的照片仍作为证据保存，也计算在内），"
            f"这张照片{adding_mb:.1f}MB。",
            f"A report's photos may take at most {mb:g} MB together; {used_mb:.1f} MB are used (removed photos "
            f"stay stored as evidence and count too) and this photo is {adding_mb:.1f} MB.",
            max_bytes=limits.max_bytes,
            used_bytes=used,
            photo_bytes=adding,
        )


async def _lock_content(conn: asyncpg.Connection, sha256: str) -> None:
    """Serialise, per content hash, storing a file for a row with discarding a file no row refers to."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", f"photo-content:{sha256}"
    )


async def store_content(
    conn: asyncpg.Connection, store: PhotoStore, sha256: str, data: bytes
) -> bool:
    """Inside the transaction that writes the row referring to these bytes: store them (True if written now)."""
    await _lock_content(conn, sha256)
    return await store.put_original(sha256, data)


async def discard_unreferenced(pool: asyncpg.Pool, store: PhotoStore, sha256: str) -> None:
    """After a transaction that stored these bytes failed: remove them unless a committed row refers to them.
    Best effort on a failure path; a leftover is content-addressed and harmless."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            await _lock_content(conn, sha256)
            referenced = await conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = $1::text)
                       OR EXISTS (SELECT 1 FROM fault_signatures WHERE image_sha256 = $1::text)""",
                sha256,
            )
            if not referenced:
                await store.discard_original(sha256)
    except (OSError, asyncpg.PostgresError):
        log.warning(
            "an unreferenced original was left behind", extra={"sha256": sha256}, exc_info=True
        )


async def make_photo_derivatives(
    intake: Intake,
    store: PhotoStore,
    *,
    sha256: str,
    slots: asyncio.Semaphore,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_full_decode_pixels: int = DEFAULT_MAX_FULL_DECODE_PIXELS,
    similarity: SimilarityPolicy | None = None,
) -> None:
    """Worker job: render preview and thumbnail once per original, then mark every photo of it ready.

    At most `slots` jobs hold an original and its pixels at once (each within the worker's image_job_memory_mb),
    however many messages the worker has in flight. The preview's perceptual hashes are stored, and a photo
    of another report with the same or nearly the same content raises a flag on both reports."""
    hashes: tuple[PerceptualHashes, ...] = ()
    async with slots:
        data = await store.read(sha256)
        try:
            derived = await asyncio.to_thread(
                make_derivatives,
                data,
                max_pixels=max_pixels,
                max_full_decode_pixels=max_full_decode_pixels,
            )
        except DomainError as exc:
            outcome, reason = "failed", exc.code
        else:
            await store.put_derivative(sha256, "preview", derived.preview)
            await store.put_derivative(sha256, "thumbnail", derived.thumbnail)
            outcome, reason = "ready", None
            hashes = derived.similarity
        del data
    async with intake.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE photos SET derivatives = $2::text WHERE sha256 = $1::text AND derivatives <> $2::text
               RETURNING id, report_id""",
            sha256,
            outcome,
        )
        await record(
            conn,
            *[
                AuditEvent(
                    "photo",
                    str(r["id"]),
                    f"derivatives_{outcome}",
                    ("system", "worker"),
                    r["report_id"],
                    {
                        "derivatives": {"before": "pending", "after": outcome},
                        "reason": {"before": None, "after": reason},
                    },
                )
                for r in rows
            ],
        )
        if hashes:
            await store_hashes(conn, sha256=sha256, variants=hashes)
            await flag_near_duplicates(conn, sha256=sha256, policy=similarity or SimilarityPolicy())


async def photo_for_download(
    intake: Intake, *, who: Principal | None, report_id: UUID, photo_id: UUID, variant: str
) -> tuple[str, str]:
    """(sha256, media type) of a photo the caller may see; None principal = a verified signed link."""
    if variant not in VARIANTS:
        raise ReportNotFound()
    async with intake.pool.acquire() as conn:
        if who is not None:
            await access(conn, who, report_id)
        row = await conn.fetchrow(
            "SELECT sha256, media_type, derivatives FROM photos WHERE id = $1::uuid AND report_id = $2::uuid",
            photo_id,
            report_id,
        )
    if row is None:
        raise ReportNotFound()
    if variant != "original" and row["derivatives"] == "failed":
        # Rendering failed for good (damaged pixels): asking the client to retry would loop for ever.
        raise PreviewUnavailable(
            "照片像素数据已损坏，无法生成预览；原图仍作为证据保存",
            "The photo's pixel data is damaged, so no preview exists; the original is kept",
        )
    if variant != "original" and row["derivatives"] != "ready":
        raise Conflict(
            "预览图正在生成，请稍后再试",
            "The preview is still being made; try again shortly",
            retry_after_s=2,
        )
    return row["sha256"], row["media_type"] if variant == "original" else "image/jpeg"


async def remove_photo(
    intake: Intake, *, who: Principal, report_id: UUID, photo_id: UUID
) -> dict[str, Any]:
    """The party that took a photo removes it before the evidence is submitted (a wrong shot); the original and
    its row stay as evidence, marked removed and audited. Removing it again answers the same."""
    async with intake.pool.acquire() as conn, conn.transaction():
        viewer = await access(conn, who, report_id)
        row = await repo.report(conn, report_id=report_id, lock=True)
        photo = await conn.fetchrow(
            """SELECT ph.party_id, EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id) AS removed
               FROM photos ph WHERE ph.id = $1::uuid AND ph.report_id = $2::uuid""",
            photo_id,
            report_id,
        )
        if (
            row is None
            or photo is None
            or viewer.party_id is None
            or photo["party_id"] != viewer.party_id
        ):
            raise PhotoNotFound()
        if not photo["removed"]:
            ensure(
                Status(row["status"]),
                frozenset({Status.DRAFT}),
                action_zh="删除照片",
                action_en="remove a photo after the evidence was submitted",
            )
            await conn.execute(
                "INSERT INTO photo_removals (photo_id, report_id, party_id) VALUES ($1::uuid, $2::uuid, $3::uuid)",
                photo_id,
                report_id,
                viewer.party_id,
            )
            await record(
                conn,
                AuditEvent(
                    "photo",
                    str(photo_id),
                    "removed",
                    ("party", str(viewer.party_id)),
                    report_id,
                    {"removed": {"before": False, "after": True}},
                ),
            )
        photos = await repo.photos(conn, report_id=report_id)
    return {
        "photo_id": str(photo_id),
        "removed": True,
        "missing_photo_kinds": missing_photo_kinds([dict(p) for p in photos]),
    }

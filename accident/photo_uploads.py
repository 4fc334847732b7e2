"""Resumable photo uploads: a phone on a weak network declares a photo (size, SHA-256, kind), sends it in chunks
at stated offsets and resumes after a cut connection from the offset the service says it holds.

The bytes received so far are spooled to a file per upload (one chunk in memory at a time); the row says how
many of them count, so a crash between writing a chunk and recording it only leaves bytes that the next chunk
at the recorded offset overwrites. When the last byte is in, the spooled bytes must hash to the declared
SHA-256 (else they are discarded), and the photo then goes through the same intake as a one-shot upload
(`photo_service.upload_photo`: checked first, stored after, same row, derivatives job and quotas)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from accident import repository as repo
from accident.errors import ReportNotFound
from accident.model import OPEN_FOR_PHOTOS, Status, ensure
from accident.photo_service import PhotoLimits, PhotoQuotaExceeded, TooManyPhotos, upload_photo
from accident.service import Intake, access
from accident.views import render_photo
from kernel.errors import DomainError, field
from kernel.identity import Principal

log = logging.getLogger(__name__)
HASH_BLOCK = 256 * 1024


class DeclaredPhotoTooLarge(DomainError):
    code = "payload-too-large"
    kind = "too_large"
    title_zh = "照片文件过大"
    title_en = "The photo file is too large"


class UploadNotFound(DomainError):
    code = "upload-not-found"
    kind = "not_found"
    title_zh = "没有您的这个上传"
    title_en = "No upload of yours with this id"


class UploadExpired(DomainError):
    code = "upload-expired"
    kind = "gone"
    title_zh = "上传已过期，请重新上传这张照片"
    title_en = "The upload expired; upload the photo again"


class UploadFailed(DomainError):
    code = "upload-failed"
    kind = "conflict"
    title_zh = "这次上传已失败，请重新上传这张照片"
    title_en = "This upload failed; upload the photo again"


class UploadOffsetMismatch(DomainError):
    code = "upload-offset-mismatch"
    kind = "conflict"
    title_zh = "上传位置与已保存的内容不符"
    title_en = "The chunk does not start where the stored bytes end"


class UploadBeyondLength(DomainError):
    code = "upload-beyond-length"
    kind = "invalid"
    title_zh = "上传内容超出声明的照片大小"
    title_en = "The chunk goes beyond the photo's declared size"


class UploadHashMismatch(DomainError):
    code = "upload-sha256-mismatch"
    kind = "invalid"
    title_zh = "收到的照片与声明的校验值不符"
    title_en = "The received photo does not match its declared SHA-256"


@dataclass(frozen=True, slots=True)
class UploadSpool:
    """Spool files of unfinished uploads, `<root>/<upload id>`; all file work runs in worker threads."""

    root: Path

    def path(self, upload_id: UUID) -> Path:
        return self.root / str(upload_id)

    async def write_at(self, upload_id: UUID, offset: int, data: bytes) -> None:
        await asyncio.to_thread(self._write_at, self.path(upload_id), offset, data)

    @staticmethod
    def _write_at(path: Path, offset: int, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, offset)
            os.ftruncate(
                fd, offset + len(data)
            )  # bytes a crashed earlier write left beyond it do not count
            os.fsync(fd)  # durable before the row says they are stored
        finally:
            os.close(fd)

    async def read_at(self, upload_id: UUID, offset: int, size: int) -> bytes:
        def read() -> bytes:
            with self.path(upload_id).open("rb") as f:
                f.seek(offset)
                return f.read(size)

        return await asyncio.to_thread(read)

    async def sha256(self, upload_id: UUID, size: int) -> str:
        """SHA-256 of the first `size` bytes, read a block at a time."""

        def digest() -> str:
            h, left = hashlib.sha256(), size
            with self.path(upload_id).open("rb") as f:
                while left > 0 and (block := f.read(min(HASH_BLOCK, left))):
                    h.update(block)
                    left -= len(block)
            return h.hexdigest()

        return await asyncio.to_thread(digest)

    async def read_all(self, upload_id: UUID, size: int) -> bytes:
        return await self.read_at(upload_id, 0, size)

    async def discard(self, upload_id: UUID) -> None:
        await asyncio.to_thread(self.path(upload_id).unlink, missing_ok=True)

    async def files(self) -> list[tuple[str, float]]:
        """(name, modification time) of every spool file."""

        def listing() -> list[tuple[str, float]]:
            if not self.root.exists():
                return []
            out = []
            for p in self.root.iterdir():
                try:
                    out.append((p.name, p.stat().st_mtime))
                except FileNotFoundError:
                    continue
            return out

        return await asyncio.to_thread(listing)


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    limits: PhotoLimits
    max_photo_bytes: int
    ttl_s: int


_SELECT = """SELECT id, report_id, party_id, kind, size_bytes, sha256, received_bytes, status, photo_id, failure,
                    expires_at FROM photo_uploads WHERE id = $1::uuid"""
_SELECT_LOCKED = """SELECT id, report_id, party_id, kind, size_bytes, sha256, received_bytes, status, photo_id,
                           failure, expires_at FROM photo_uploads WHERE id = $1::uuid FOR UPDATE"""


async def _upload(
    conn: asyncpg.Connection, upload_id: UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(_SELECT_LOCKED if lock else _SELECT, upload_id)


async def _photo(conn: asyncpg.Connection, photo_id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT ph.id, ph.kind, pa.label AS party_label, ph.sha256, ph.size_bytes, ph.media_type, ph.width,
                  ph.height, ph.taken_at, ph.gps_lat, ph.gps_lon, ph.derivatives, ph.created_at
           FROM photos ph LEFT JOIN parties pa ON pa.id = ph.party_id WHERE ph.id = $1::uuid""",
        photo_id,
    )
    assert row is not None
    return render_photo(dict(row))


async def _view(conn: asyncpg.Connection, u: asyncpg.Record, now: datetime) -> dict[str, Any]:
    """UploadRead; an unfinished upload past its expiry reads as expired even before housekeeping ran."""
    status = u["status"]
    if status == "receiving" and u["expires_at"] <= now:
        status = "expired"
    return {
        "upload_id": str(u["id"]),
        "kind": u["kind"],
        "size_bytes": u["size_bytes"],
        "sha256": u["sha256"],
        "offset": u["received_bytes"] if status == "receiving" or status == "complete" else 0,
        "status": status,
        "expires_at": u["expires_at"],
        "photo": await _photo(conn, u["photo_id"]) if u["photo_id"] else None,
        "failure": u["failure"],
    }


async def _own_upload(
    conn: asyncpg.Connection,
    who: Principal,
    report_id: UUID,
    upload_id: UUID,
    *,
    lock: bool = False,
) -> asyncpg.Record:
    viewer = await access(conn, who, report_id)
    u = await _upload(conn, upload_id, lock=lock)
    if (
        u is None
        or viewer.party_id is None
        or u["party_id"] != viewer.party_id
        or u["report_id"] != report_id
    ):
        raise UploadNotFound()
    return u


async def start_upload(
    intake: Intake,
    *,
    who: Principal,
    report_id: UUID,
    kind: str,
    size_bytes: int,
    sha256: str,
    policy: UploadPolicy,
) -> tuple[int, dict[str, Any]]:
    """Declare a photo (201 with a new upload); declaring the same photo of the same kind again answers the
    unfinished upload (200), so a phone that lost the answer resumes instead of starting over. What can be
    checked before a byte is sent is checked here (the party, the report's state, the size, the report's photo
    count and bytes, counting the other unfinished uploads); everything is checked again at completion."""
    if size_bytes > policy.max_photo_bytes:
        mb = policy.max_photo_bytes // (1024 * 1024)
        raise DeclaredPhotoTooLarge(
            f"照片不能超过{mb}MB",
            f"A photo may be at most {mb} MB",
            errors=[
                field(
                    "#/size_bytes",
                    f"最大{policy.max_photo_bytes}字节",
                    f"at most {policy.max_photo_bytes} bytes",
                )
            ],
        )
    async with intake.pool.acquire() as conn, conn.transaction():
        viewer = await access(conn, who, report_id)
        if viewer.party_id is None:
            raise ReportNotFound()
        row = await repo.report(conn, report_id=report_id, lock=True)
        assert row is not None
        now = intake.now()
        existing_id = await conn.fetchval(
            """SELECT id FROM photo_uploads WHERE party_id = $1::uuid AND sha256 = $2::text AND kind = $3::text
                 AND status = 'receiving'""",
            viewer.party_id,
            sha256,
            kind,
        )
        existing = await _upload(conn, existing_id) if existing_id else None
        if existing is not None and existing["expires_at"] > now:
            return 200, await _view(conn, existing, now)
        if existing is not None:  # past its expiry, not yet swept: it ends now and a new one begins
            await conn.execute(
                "UPDATE photo_uploads SET status = 'expired', updated_at = now() WHERE id = $1::uuid",
                existing["id"],
            )
        ensure(Status(row["status"]), OPEN_FOR_PHOTOS, action_zh="上传照片", action_en="add photos")
        await _room_for(conn, report_id, policy.limits, size_bytes, now)
        upload_id = uuid.uuid4()
        await conn.execute(
            """INSERT INTO photo_uploads (id, report_id, party_id, kind, size_bytes, sha256, expires_at)
               VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::bigint, $6::text, $7::timestamptz)""",
            upload_id,
            report_id,
            viewer.party_id,
            kind,
            size_bytes,
            sha256,
            now + timedelta(seconds=policy.ttl_s),
        )
        return 201, await _view(conn, await _upload(conn, upload_id), now)


async def _room_for(
    conn: asyncpg.Connection, report_id: UUID, limits: PhotoLimits, size: int, now: datetime
) -> None:
    """The report's photos and its unfinished uploads leave room for one more photo of `size` bytes."""
    count, used = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM photos ph WHERE ph.report_id = $1::uuid
                     AND NOT EXISTS (SELECT 1 FROM photo_removals rm WHERE rm.photo_id = ph.id))
                  + (SELECT count(*) FROM photo_uploads u WHERE u.report_id = $1::uuid AND u.status = 'receiving'
                       AND u.expires_at > $2::timestamptz),
                  (SELECT coalesce(sum(size_bytes), 0) FROM photos WHERE report_id = $1::uuid)
                  + (SELECT coalesce(sum(size_bytes), 0) FROM photo_uploads u WHERE u.report_id = $1::uuid
                       AND u.status = 'receiving' AND u.expires_at > $2::timestamptz)""",
        report_id,
        now,
    )
    if count >= limits.max_photos:
        raise TooManyPhotos(
            f"每起事故最多{limits.max_photos}张照片（含正在上传的）",
            f"At most {limits.max_photos} photos per report (uploads under way included)",
            max_photos=limits.max_photos,
        )
    if used + size > limits.max_bytes:
        mb, used_mb, adding_mb = (n / (1024 * 1024) for n in (limits.max_bytes, used, size))
        raise PhotoQuotaExceeded(
            f"每起事故的照片合计不能超过{mb:g}MB，已用（含正在上传的）{used_mb:.1f}MB，这张照片{adding_mb:.1f}MB。",
            f"A report's photos may take at most {mb:g} MB together; {used_mb:.1f} MB are used or being uploaded "
            f"and this photo is {adding_mb:.1f} MB.",
            max_bytes=limits.max_bytes,
            used_bytes=int(used),
            photo_bytes=size,
        )


async def upload_state(
    intake: Intake, *, who: Principal, report_id: UUID, upload_id: UUID
) -> dict[str, Any]:
    async with intake.pool.acquire() as conn:
        u = await _own_upload(conn, who, report_id, upload_id)
        return await _view(conn, u, intake.now())


def _refuse_finished(u: asyncpg.Record, now: datetime) -> None:
    if u["status"] == "failed":
        f = u["failure"] or {}
        raise UploadFailed(
            f"这次上传已失败（{f.get('zh', '')}），请重新上传这张照片",
            f"This upload failed ({f.get('en', '')}); declare the photo again",
            failure=u["failure"],
        )
    if u["status"] == "expired" or (u["status"] == "receiving" and u["expires_at"] <= now):
        raise UploadExpired(
            "上传超过24小时未完成，已收到的内容已删除，请重新上传这张照片",
            "The upload was not completed within 24 hours and its bytes were deleted; "
            "upload the photo again",
        )


async def receive_chunk(
    intake: Intake,
    spool: UploadSpool,
    store: Any,
    *,
    who: Principal,
    report_id: UUID,
    upload_id: UUID,
    offset: int,
    data: bytes,
    policy: UploadPolicy,
    inspect_in: Executor | None = None,
) -> dict[str, Any]:
    """Store one chunk at `offset` (the stored offset; bytes before it that match what is stored are taken as a
    harmless resend); after the last byte, verify the hash and hand the photo to the normal intake. Returns
    UploadRead; a complete upload answers its photo however often its last chunk comes again."""
    async with intake.pool.acquire() as conn, conn.transaction():
        u = await _own_upload(conn, who, report_id, upload_id, lock=True)
        now = intake.now()
        if u["status"] == "complete":
            return await _view(conn, u, now)
        _refuse_finished(u, now)
        stored, size = u["received_bytes"], u["size_bytes"]
        if offset > stored:
            raise _mismatch(offset, stored)
        if offset + len(data) > size:
            raise UploadBeyondLength(
                f"照片声明为{size}字节，这段内容到第{offset + len(data)}字节",
                f"The photo was declared as {size} bytes; this chunk ends at byte {offset + len(data)}",
                size_bytes=size,
                offset=stored,
            )
        if offset < stored:  # a resend of bytes already stored: harmless if they are the same bytes
            overlap = min(stored, offset + len(data)) - offset
            if await spool.read_at(upload_id, offset, overlap) != data[:overlap]:
                raise _mismatch(offset, stored)
            data, offset = data[overlap:], stored
        if data:
            await spool.write_at(upload_id, offset, data)
            stored = offset + len(data)
            await conn.execute(
                "UPDATE photo_uploads SET received_bytes = $2::bigint, updated_at = now() "
                "WHERE id = $1::uuid",
                upload_id,
                stored,
            )
            u = await _upload(conn, upload_id)
        if stored < size:
            return await _view(conn, u, now)
    return await _complete(intake, spool, store, who=who, u=u, policy=policy, inspect_in=inspect_in)


def _mismatch(offset: int, stored: int) -> UploadOffsetMismatch:
    return UploadOffsetMismatch(
        f"已保存{stored}字节，请从第{stored}字节继续上传（收到的位置为{offset}）",
        f"{stored} bytes are stored: continue from offset {stored} (the chunk said {offset})",
        offset=stored,
    )


async def _complete(
    intake: Intake,
    spool: UploadSpool,
    store: Any,
    *,
    who: Principal,
    u: asyncpg.Record,
    policy: UploadPolicy,
    inspect_in: Executor | None,
) -> dict[str, Any]:
    """Every byte is in: verify, then the normal photo intake (it dedupes by report, hash and kind, so two
    completions racing, or one retried after a failure, end with the same photo)."""
    upload_id, size = u["id"], u["size_bytes"]
    try:
        digest = await spool.sha256(upload_id, size)
        data = await spool.read_all(upload_id, size) if digest == u["sha256"] else b""
    except (
        FileNotFoundError
    ):  # another completion of the same upload finished and removed the spool file
        async with intake.pool.acquire() as conn:
            again = await _upload(conn, upload_id)
            assert again is not None
            if again["status"] == "complete":
                return await _view(conn, again, intake.now())
        raise
    if digest != u["sha256"]:
        await _fail(
            intake,
            spool,
            upload_id,
            UploadHashMismatch(
                "收到的照片与声明的校验值不符，已丢弃，请重新上传这张照片",
                "The received bytes do not hash to the declared SHA-256; they were discarded. Upload the photo again",
                declared_sha256=u["sha256"],
                received_sha256=digest,
            ),
        )
    try:
        _, photo = await upload_photo(
            intake,
            store,
            who=who,
            report_id=u["report_id"],
            kind=u["kind"],
            data=data,
            limits=policy.limits,
            inspect_in=inspect_in,
        )
    except (
        DomainError
    ) as exc:  # the photo itself is refused (not an image, quota, report closed...)
        await _fail(intake, spool, upload_id, exc)
    del data
    async with intake.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE photo_uploads SET status = 'complete', photo_id = $2::uuid, updated_at = now()
               WHERE id = $1::uuid AND status = 'receiving'""",
            upload_id,
            UUID(photo["id"]),
        )
        view = await _view(conn, await _upload(conn, upload_id), intake.now())
    await spool.discard(upload_id)
    return view


async def _fail(intake: Intake, spool: UploadSpool, upload_id: UUID, exc: DomainError) -> None:
    """The upload ends failed with the reason, its bytes are discarded, and `exc` is raised."""
    failure = {"type": f"/problems/{exc.code}", "zh": exc.detail_zh, "en": exc.detail_en}
    async with intake.pool.acquire() as conn:
        await conn.execute(
            """UPDATE photo_uploads SET status = 'failed', failure = $2::jsonb, received_bytes = 0, updated_at = now()
               WHERE id = $1::uuid AND status = 'receiving'""",
            upload_id,
            failure,
        )
    await spool.discard(upload_id)
    raise exc


async def expire_uploads(
    pool: asyncpg.Pool, spool: UploadSpool, *, orphan_after_s: float = 3600.0
) -> int:
    """Housekeeping: unfinished uploads past their expiry end as expired and their bytes are deleted; so are
    spool files whose upload finished (a crash between the two steps) or that no upload row names. Returns how
    many spool files were removed."""
    async with pool.acquire() as conn:
        await conn.execute("""UPDATE photo_uploads SET status = 'expired', updated_at = now()
                              WHERE status = 'receiving' AND expires_at <= now()""")
        files = await spool.files()
        ids: dict[str, float] = {}
        for name, mtime in files:
            try:
                ids[str(UUID(name))] = mtime
            except ValueError:
                continue
        live = {
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM photo_uploads WHERE id = ANY($1::uuid[]) AND status = 'receiving'",
                list(ids),
            )
        }
        known = {
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM photo_uploads WHERE id = ANY($1::uuid[])", list(ids)
            )
        }
    removed = 0
    cutoff = time.time() - orphan_after_s
    for name, mtime in ids.items():
        if name in live or (name not in known and mtime > cutoff):
            continue
        await spool.discard(UUID(name))
        removed += 1
    return removed

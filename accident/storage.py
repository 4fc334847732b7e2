"""Content-addressed photo storage behind a small async interface; local files now, object storage later.

Layout: `originals/ab/cd/<sha256>` holds the evidence byte-for-byte; `derivatives/ab/cd/<sha256>.<name>.jpg`
holds the renditions, which can always be made again from the original.

An S3-compatible backend (MinIO, Alibaba OSS) maps one to one: the same relative path is the object key;
`put_original` is a PutObject with `If-None-Match: *` (a second upload of the same bytes is a no-op) and
`x-amz-checksum-sha256`, so the store itself rejects bytes that do not match the key; a PutObject is atomic,
so a half object is never visible; `size` is a HeadObject; `stream` iterates the GetObject body; links handed
to insurers and the court become presigned GETs instead of our signed URLs. Evidence buckets get Object Lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal, Protocol

from kernel.errors import NotFound

DerivativeName = Literal["preview", "thumbnail"]
FileName = Literal["original", "preview", "thumbnail"]
CHUNK_BYTES = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEMP_PREFIX, _TEMP_SUFFIX = (
    ".tmp-",
    ".part",
)  # a file being written, renamed into place once complete


class PhotoStore(Protocol):
    """Where originals and derivatives live, keyed by the original's SHA-256."""

    async def put_original(self, sha256: str, data: bytes) -> bool:
        """Store the original once; True if written now, False if these bytes were already stored."""
        ...

    async def put_derivative(self, sha256: str, name: DerivativeName, data: bytes) -> None:
        """Store (or replace) a rendition of the original."""
        ...

    async def read(self, sha256: str, name: FileName = "original") -> bytes:
        """The whole stored file; NotFound when absent."""
        ...

    async def size(self, sha256: str, name: FileName = "original") -> int | None:
        """Size in bytes, or None when absent (also what an HTTP response needs for Content-Length)."""
        ...

    def stream(self, sha256: str, name: FileName = "original") -> AsyncIterator[bytes]:
        """The stored file in chunks, for writing into a streamed HTTP response; NotFound when absent."""
        ...

    async def discard_original(self, sha256: str) -> None:
        """Remove an original that no committed row refers to (its transaction failed), with its renditions."""
        ...

    async def sweep_partials(self, older_than_s: float) -> int:
        """Remove temporary files of writes interrupted by a crash; returns how many were removed."""
        ...


def relative_key(sha256: str, name: FileName = "original") -> str:
    """The path under the store's root (the object key in object storage) for one stored file."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")  # also keeps `..` out of paths
    fan_out = f"{sha256[:2]}/{sha256[2:4]}"
    if name == "original":
        return f"originals/{fan_out}/{sha256}"
    return f"derivatives/{fan_out}/{sha256}.{name}.jpg"


class LocalPhotoStore:
    """A PhotoStore on a local (or shared POSIX) file system; all file work runs in worker threads."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, name: FileName = "original") -> Path:
        """Where a file lives on disk (lets aiohttp's FileResponse use sendfile for local storage)."""
        return self.root / relative_key(sha256, name)

    async def put_original(self, sha256: str, data: bytes) -> bool:
        """Store the original once; True if written now, False if these bytes were already stored."""
        return await asyncio.to_thread(self._put_original, sha256, data)

    async def put_derivative(self, sha256: str, name: DerivativeName, data: bytes) -> None:
        """Store (or replace) a rendition of the original."""
        await asyncio.to_thread(_write_atomically, self.path_for(sha256, name), data)

    async def read(self, sha256: str, name: FileName = "original") -> bytes:
        """The whole stored file; NotFound when absent."""
        path = self.path_for(sha256, name)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise _missing(name) from None

    async def size(self, sha256: str, name: FileName = "original") -> int | None:
        """Size in bytes, or None when absent."""
        path = self.path_for(sha256, name)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            return None

    async def stream(self, sha256: str, name: FileName = "original") -> AsyncIterator[bytes]:
        """The stored file in chunks of CHUNK_BYTES; NotFound when absent."""
        path = self.path_for(sha256, name)
        offset = 0
        # Each chunk opens, reads and closes in one thread call: a request cancelled mid-await can never
        # leave a file handle open behind it.
        while True:
            try:
                chunk = await asyncio.to_thread(_read_at, path, offset, CHUNK_BYTES)
            except FileNotFoundError:
                raise _missing(name) from None
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    async def discard_original(self, sha256: str) -> None:
        """Remove an original that no committed row refers to (its transaction failed), with its renditions."""
        for name in ("original", "preview", "thumbnail"):
            await asyncio.to_thread(self.path_for(sha256, name).unlink, missing_ok=True)

    async def sweep_partials(self, older_than_s: float) -> int:
        """Remove temporary files of writes interrupted by a crash (a live write's is younger than
        `older_than_s`); returns how many were removed."""
        return await asyncio.to_thread(self._sweep_partials, older_than_s)

    def _sweep_partials(self, older_than_s: float) -> int:
        cutoff, removed = time.time() - older_than_s, 0
        for temp in self.root.glob(f"*/*/*/{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:  # its write finished (renamed) or another sweep got it
                continue
        return removed

    def _put_original(self, sha256: str, data: bytes) -> bool:
        path = self.path_for(sha256, "original")
        if path.exists():
            return False  # content-addressed: an existing file under this hash already holds these bytes
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("the bytes do not match the sha256 they are stored under")
        _write_atomically(path, data)
        return True


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory: a crash leaves old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # makes the rename itself durable before the database row says "stored"
    finally:
        os.close(directory)


def _missing(name: FileName) -> NotFound:
    return NotFound("照片文件不存在。", f"The photo file ({name}) does not exist.")

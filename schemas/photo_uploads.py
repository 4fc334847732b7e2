"""Resumable photo uploads: a photo declared by size, SHA-256 and kind, then sent in chunks at stated offsets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import Out, Strict
from schemas.reports import PhotoKind, PhotoRead

CHUNK_MAX_BYTES = 512 * 1024  # the most one PATCH may carry
CHUNK_MEDIA_TYPES = ("application/offset+octet-stream", "application/octet-stream")
UploadStatus = Literal["receiving", "complete", "failed", "expired"]


class UploadCreate(Strict):
    """The photo as the phone holds it: its exact size in bytes, the SHA-256 of those bytes, and its kind."""

    kind: PhotoKind
    size_bytes: int = Field(
        gt=0, description="the photo's exact size; at most KUAICHU_MAX_PHOTO_BYTES"
    )
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the photo, 64 lowercase hex digits"
    )


class UploadFailure(Out):
    type: str = Field(description="the problem type the completion was refused with")
    zh: str
    en: str


class UploadRead(Out):
    """An upload's state. `offset` is how many bytes are stored: the next chunk starts there."""

    upload_id: str
    kind: PhotoKind
    size_bytes: int
    sha256: str
    offset: int
    status: UploadStatus = Field(
        description="receiving: send the bytes from `offset`; complete: `photo` is the "
        "stored photo; failed: see `failure`, declare the photo again; "
        "expired: more than 24 h without completion, the bytes are deleted"
    )
    expires_at: datetime
    chunk_max_bytes: int = CHUNK_MAX_BYTES
    photo: PhotoRead | None = None
    failure: UploadFailure | None = None

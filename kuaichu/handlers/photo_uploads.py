"""Resumable photo uploads over HTTP: declare (POST), send chunks (PATCH), ask the stored offset (HEAD/GET)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import ClientPayloadError, web

from accident.photo_service import PhotoLimits
from accident.photo_uploads import (
    UploadNotFound,
    UploadPolicy,
    receive_chunk,
    start_upload,
    upload_state,
)
from kernel.errors import DomainError, InvalidInput, field
from kuaichu.api import PARTY, Route, json_response, principal, read_model
from kuaichu.context import Services
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from schemas.photo_uploads import CHUNK_MAX_BYTES, CHUNK_MEDIA_TYPES, UploadCreate, UploadRead


class ChunkTooLarge(DomainError):
    code = "chunk-too-large"
    kind = "too_large"
    title_zh = "单次上传的内容过大"
    title_en = "The chunk is too large"


class ChunkMediaType(DomainError):
    code = "unsupported-media-type"
    kind = "unsupported"
    title_zh = "请求内容类型不受支持"
    title_en = "Unsupported content type"


class IncompleteChunk(DomainError):
    code = "incomplete-chunk"
    kind = "bad_request"
    title_zh = "这段内容没有收完整"
    title_en = "The chunk did not arrive in full"


def _policy(s: Services) -> UploadPolicy:
    cfg = s.settings
    return UploadPolicy(
        limits=PhotoLimits(
            max_photos=cfg.max_photos_per_report,
            max_bytes=cfg.max_photo_bytes_per_report,
            max_pixels=cfg.max_image_pixels,
            max_full_decode_pixels=cfg.max_full_decode_pixels,
        ),
        max_photo_bytes=cfg.max_photo_bytes,
        ttl_s=cfg.photo_upload_ttl_s,
    )


def _upload_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["upload_id"])
    except ValueError:
        raise UploadNotFound() from None


def _headers(view: dict[str, Any], request: web.Request) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(view["offset"]),
        "Upload-Length": str(view["size_bytes"]),
        "Upload-Expires": view["expires_at"].isoformat(),
        "Cache-Control": "no-store",
    }
    if view["photo"] is not None:
        # the stored original, as GET …/photos/{photo_id}/original serves it
        rid = request.match_info["report_id"]
        headers["Content-Location"] = f"/v1/reports/{rid}/photos/{view['photo']['id']}/original"
    return headers


def _location(request: web.Request, view: dict[str, Any]) -> str:
    return f"/v1/reports/{request.match_info['report_id']}/photos/uploads/{view['upload_id']}"


async def create_upload(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    body = await read_model(request, UploadCreate)
    status, view = await start_upload(
        s.intake,
        who=principal(request),
        report_id=report_id_of(request),
        kind=body.kind,
        size_bytes=body.size_bytes,
        sha256=body.sha256,
        policy=_policy(s),
    )
    return json_response(
        UploadRead.model_validate(view),
        status,
        headers={**_headers(view, request), "Location": _location(request, view)},
    )


async def head_upload(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    view = await upload_state(
        s.intake,
        who=principal(request),
        report_id=report_id_of(request),
        upload_id=_upload_id(request),
    )
    return web.Response(
        status=200, headers={**_headers(view, request), "Upload-Status": view["status"]}
    )


async def get_upload(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    view = await upload_state(
        s.intake,
        who=principal(request),
        report_id=report_id_of(request),
        upload_id=_upload_id(request),
    )
    return json_response(UploadRead.model_validate(view), headers=_headers(view, request))


def _offset(request: web.Request) -> int:
    raw = request.headers.get("Upload-Offset", "")
    if not raw.isdigit() or len(raw) > 15:
        raise InvalidInput(
            "请在 Upload-Offset 请求头中给出这段内容的起始字节位置（非负整数）",
            "Give the chunk's starting byte in the Upload-Offset header (a non-negative integer)",
            errors=[
                field("#/headers/Upload-Offset", "应为非负整数", "Must be a non-negative integer")
            ],
        )
    return int(raw)


async def _read_chunk(request: web.Request) -> bytes:
    """The body, at most CHUNK_MAX_BYTES (refused by its Content-Length before a byte is read when it says so)."""
    too_large = ChunkTooLarge(
        f"每次最多上传{CHUNK_MAX_BYTES // 1024}KB",
        f"Send at most {CHUNK_MAX_BYTES // 1024} KB per request",
        max_bytes=CHUNK_MAX_BYTES,
    )
    if request.content_type not in CHUNK_MEDIA_TYPES:
        raise ChunkMediaType(
            f"请以 application/offset+octet-stream 发送照片内容（当前：{request.content_type}）",
            f"Send the bytes as application/offset+octet-stream (got {request.content_type})",
        )
    if (request.content_length or 0) > CHUNK_MAX_BYTES:
        raise too_large
    buf = bytearray()
    try:
        while piece := await request.content.read(64 * 1024):
            buf += piece
            if len(buf) > CHUNK_MAX_BYTES:
                raise too_large
    except (ConnectionResetError, ClientPayloadError):
        # the phone's connection dropped mid-chunk: nothing of it is kept, and it is not a server error
        raise IncompleteChunk(
            "连接中断，这段内容没有收完整，请查询已保存的位置后继续",
            "The connection broke before the chunk was complete: ask for the stored offset and "
            "continue",
        ) from None
    if request.content_length is not None and len(buf) != request.content_length:
        raise IncompleteChunk(
            "连接中断，这段内容没有收完整，请查询已保存的位置后继续",
            "The connection broke before the chunk was complete: ask for the stored offset and "
            "continue",
        )
    return bytes(buf)


async def patch_upload(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    who, report_id, upload_id = principal(request), report_id_of(request), _upload_id(request)
    offset = _offset(request)
    await upload_state(
        s.intake, who=who, report_id=report_id, upload_id=upload_id
    )  # whose it is, before the body
    data = await _read_chunk(request)
    view = await receive_chunk(
        s.intake,
        s.uploads,
        s.photos,
        who=who,
        report_id=report_id,
        upload_id=upload_id,
        offset=offset,
        data=data,
        policy=_policy(s),
        inspect_in=s.image_executor,
    )
    if view["status"] == "complete":
        return json_response(UploadRead.model_validate(view), 200, headers=_headers(view, request))
    return web.Response(status=204, headers=_headers(view, request))


_UPLOAD = "/v1/reports/{report_id}/photos/uploads"
_ONE = _UPLOAD + "/{upload_id}"
_OFFSET = {
    "Upload-Offset": {
        "description": "bytes stored so far: the next chunk starts here",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Upload-Length": {"description": "the declared size", "schema": {"type": "integer"}},
    "Upload-Expires": {
        "description": "when an unfinished upload expires (its bytes are then deleted)",
        "schema": {"type": "string", "format": "date-time"},
    },
}
PROTOCOL = f"""Resumable upload of one photo, for phones on weak networks (the one-shot multipart
`POST /v1/reports/{{report_id}}/photos` stays for other clients; both end in the same photo).

1. `POST …/photos/uploads` with `{{"kind", "size_bytes", "sha256"}}` (SHA-256 of the untouched file, lowercase hex)
   → 201, `Location` of the upload, `offset` 0. Declaring the same photo and kind again answers the unfinished
   upload (200) with its stored `offset`. What can be refused before a byte is sent is refused here (413 over
   the photo size limit, 409 `too-many-photos` / `photo-quota-exceeded` counting uploads under way, 409 when the
   report takes no more photos).
2. `PATCH …/uploads/{{upload_id}}` with `Content-Type: application/offset+octet-stream`, `Upload-Offset: <n>` and
   at most {CHUNK_MAX_BYTES} bytes (more → 413 `chunk-too-large`) → 204 with `Upload-Offset` = bytes stored.
   An offset beyond the stored bytes, or bytes before it that differ from what is stored, → 409
   `upload-offset-mismatch` with the stored `offset` in the problem; bytes that repeat what is stored (a resend
   after a lost answer) are harmless. A chunk beyond the declared size → 422 `upload-beyond-length`.
3. The chunk that brings the last byte: the bytes must hash to the declared SHA-256 (else 422
   `upload-sha256-mismatch`, the bytes are discarded and the upload is `failed`: declare the photo again), then
   the photo goes through the same checks as a one-shot upload (checked first, stored after: the same photo row,
   previews, quotas and problems; a refusal also ends the upload `failed`). → 200 with `status: complete` and
   `photo`. Sending the last chunk again, or any chunk after completion, answers the same photo.
4. After a cut connection: `HEAD …/uploads/{{upload_id}}` (or GET for JSON) → `Upload-Offset`, then continue there.
5. An upload not completed within 24 hours (`KUAICHU_PHOTO_UPLOAD_TTL_S`) expires: 410 `upload-expired`, its
   bytes are deleted by the worker."""

ROUTES = [
    Route(
        "POST",
        _UPLOAD,
        create_upload,
        "Declare a photo to upload in chunks (resumable upload)",
        auth=(PARTY,),
        tag="photos",
        body=UploadCreate,
        responses={201: UploadRead, 200: UploadRead},
        errors=(409, 413),
        description=PROTOCOL,
        response_headers={
            201: {"Location": {"description": "the upload", "schema": {"type": "string"}}}
        },
    ),
    Route(
        "PATCH",
        _ONE,
        patch_upload,
        "Send the next chunk of a resumable upload (at most 512 KB)",
        auth=(PARTY,),
        tag="photos",
        responses={200: UploadRead},
        errors=(409, 410, 413, 415, 422),
        description=PROTOCOL,
        headers=(
            {
                "name": "Upload-Offset",
                "required": True,
                "description": "where this chunk starts",
                "schema": {"type": "integer", "minimum": 0},
            },
        ),
        raw_body={
            m: {"type": "string", "format": "binary", "maxLength": CHUNK_MAX_BYTES}
            for m in CHUNK_MEDIA_TYPES
        },
        response_headers={204: _OFFSET, 200: _OFFSET},
    ),
    Route(
        "HEAD",
        _ONE,
        head_upload,
        "How many bytes of a resumable upload are stored (Upload-Offset)",
        auth=(PARTY,),
        tag="photos",
        response_headers={
            200: {
                **_OFFSET,
                "Upload-Status": {
                    "description": "receiving, complete, failed or expired",
                    "schema": {"type": "string"},
                },
            }
        },
    ),
    Route(
        "GET",
        _ONE,
        get_upload,
        "A resumable upload's state (offset, status, the photo once complete)",
        auth=(PARTY,),
        tag="photos",
        responses={200: UploadRead},
        response_headers={200: _OFFSET},
    ),
]

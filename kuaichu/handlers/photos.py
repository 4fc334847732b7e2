"""Photo upload (multipart, one photo per request) and download for parties, staff and signed links."""

from __future__ import annotations

import time
import uuid
from typing import get_args

import asyncpg
from aiohttp import web

from accident.errors import ReportNotFound
from accident.photo_service import (
    PhotoLimits,
    PhotoNotFound,
    photo_for_download,
    remove_photo,
    upload_photo,
)
from accident.repository import parties_without_sharing
from accident.service import access
from assessment.repository import insurer_has_task
from claims.repository import insurer_concerned
from court_bridge.repository import court_has_case
from kernel.errors import DomainError, InvalidInput, field
from kernel.photo_links import (
    PhotoRecipientWithoutCase,
    PhotoSharingWithdrawn,
    insurer_code,
    recipient_of,
)
from kuaichu.api import PARTY, PUBLIC, Route, json_response, principal, staff
from kuaichu.intake import report_id_of
from kuaichu.keys import SERVICES
from schemas.reports import PhotoKind, PhotoRead, PhotoRemoved


class MalformedMultipart(DomainError):
    code = "malformed-multipart"
    kind = "bad_request"
    title_zh = "上传内容格式错误"
    title_en = "The upload is not well-formed multipart/form-data"


class PhotoTooLarge(DomainError):
    code = "payload-too-large"
    kind = "too_large"
    title_zh = "照片文件过大"
    title_en = "The photo file is too large"


async def _read_form(request: web.Request, max_bytes: int) -> tuple[str, bytes]:
    """Stream the multipart body: a `kind` field and one `file` part, capped at max_bytes."""
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput(
            "请以 multipart/form-data 上传照片",
            "Upload the photo as multipart/form-data",
            errors=[field("#", "请以 multipart/form-data 方式上传", "Send multipart/form-data")],
        )
    kind, data = None, None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "kind":
                kind = (await part.text()).strip()
            elif part.name == "file":
                buf = bytearray()
                while chunk := await part.read_chunk(256 * 1024):
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise PhotoTooLarge(
                            f"照片不能超过{max_bytes // (1024 * 1024)}MB",
                            f"A photo may be at most {max_bytes // (1024 * 1024)} MB",
                        )
                data = bytes(buf)
    except (ValueError, AssertionError, LookupError, RuntimeError) as exc:
        # A missing or wrong boundary, a truncated body, a part without headers: aiohttp's reader says so with
        # these; the client sent something other than multipart/form-data.
        raise MalformedMultipart(
            "上传内容不完整或格式错误，请重新上传照片",
            "The upload is incomplete or not multipart/form-data; upload the photo again",
            errors=[
                field(
                    "#", "请以完整的 multipart/form-data 上传", "Send complete multipart/form-data"
                )
            ],
        ) from exc
    errors = []
    if kind not in get_args(PhotoKind):
        errors.append(
            field(
                "#/kind",
                f"照片类型应为以下之一：{'、'.join(get_args(PhotoKind))}",
                f"Must be one of {', '.join(get_args(PhotoKind))}",
            )
        )
    if not data:
        errors.append(field("#/file", "请附上照片文件", "Attach the photo file"))
    if errors:
        raise InvalidInput(
            "请选择照片类型并附上照片文件", "Give the photo kind and attach the file", errors=errors
        )
    assert kind is not None and data is not None
    return kind, data


async def upload(request: web.Request) -> web.Response:
    s = request.app[SERVICES]
    report_id = report_id_of(request)
    async with (
        s.pool.acquire() as conn
    ):  # who may upload is known before a byte of the body is read
        if (await access(conn, principal(request), report_id)).party_id is None:
            raise ReportNotFound()
    kind, data = await _read_form(request, s.settings.max_photo_bytes)
    cfg = s.settings
    limits = PhotoLimits(
        max_photos=cfg.max_photos_per_report,
        max_bytes=cfg.max_photo_bytes_per_report,
        max_pixels=cfg.max_image_pixels,
        max_full_decode_pixels=cfg.max_full_decode_pixels,
    )
    status, body = await upload_photo(
        s.intake,
        s.photos,
        who=principal(request),
        report_id=report_id,
        kind=kind,
        data=data,
        limits=limits,
        inspect_in=s.image_executor,
    )
    return json_response(body, status)


async def _send(
    request: web.Request, sha256: str, variant: str, media_type: str
) -> web.StreamResponse:
    store = request.app[SERVICES].photos
    size = await store.size(sha256, variant)
    resp = web.StreamResponse(
        headers={
            "Content-Type": media_type,
            "Cache-Control": "private, max-age=3600",
            "X-Content-SHA256": sha256 if variant == "original" else "",
        }
    )
    if size is not None:
        resp.content_length = size
    await resp.prepare(request)
    async for chunk in store.stream(sha256, variant):
        await resp.write(chunk)
    await resp.write_eof()
    return resp


def _ids(request: web.Request) -> tuple[uuid.UUID, uuid.UUID, str]:
    try:
        return (
            report_id_of(request),
            uuid.UUID(request.match_info["photo_id"]),
            request.match_info["variant"],
        )
    except ValueError:
        raise ReportNotFound() from None


async def download(request: web.Request) -> web.StreamResponse:
    report_id, photo_id, variant = _ids(request)
    sha, media = await photo_for_download(
        request.app[SERVICES].intake,
        who=principal(request),
        report_id=report_id,
        photo_id=photo_id,
        variant=variant,
    )
    return await _send(request, sha, variant, media)


async def delete_photo(request: web.Request) -> web.Response:
    try:
        photo_id = uuid.UUID(request.match_info["photo_id"])
    except ValueError:
        raise PhotoNotFound() from None
    removed = await remove_photo(
        request.app[SERVICES].intake,
        who=principal(request),
        report_id=report_id_of(request),
        photo_id=photo_id,
    )
    return json_response(PhotoRemoved.model_validate(removed))


async def download_signed(request: web.Request) -> web.StreamResponse:
    """For insurers and the court: a link signed by the service for one recipient, checked when it is used."""
    report_id, photo_id, variant = _ids(request)
    s = request.app[SERVICES]
    recipient = recipient_of(s.keyring, path=request.path, query=request.query, now=time.time())
    async with s.pool.acquire() as conn:
        await _still_shared(conn, report_id, recipient)
    sha, media = await photo_for_download(
        s.intake, who=None, report_id=report_id, photo_id=photo_id, variant=variant
    )
    return await _send(request, sha, variant, media)


async def _still_shared(conn: asyncpg.Connection, report_id: uuid.UUID, recipient: str) -> None:
    """Every party still consents to sharing, and the recipient still has a claim, task or case on the report."""
    withholding = await parties_without_sharing(conn, report_id=report_id)
    if withholding:
        labels = "、".join(withholding)
        raise PhotoSharingWithdrawn(
            f"当事人{labels}已撤回共享同意（个人信息保护法第二十三条），照片不再提供",
            f"Party {', '.join(withholding)} withdrew consent to sharing the case "
            "(PIPL art. 23); the photo is no longer available",
        )
    code = insurer_code(recipient)
    if code is None:
        standing = await court_has_case(conn, report_id=report_id)
    else:
        standing = await insurer_concerned(
            conn, report_id=report_id, insurer_code=code
        ) or await insurer_has_task(conn, report_id=report_id, insurer_code=code)
    if not standing:
        raise PhotoRecipientWithoutCase(
            f"链接签发给{recipient}，其在本事故中已无理赔、查勘任务或法院案件",
            f"The link was made for {recipient}, which no longer has a claim, task or case on this report",
        )


_MULTIPART = {
    "type": "object",
    "required": ["kind", "file"],
    "properties": {
        "kind": {"type": "string", "enum": list(get_args(PhotoKind))},
        "file": {
            "type": "string",
            "format": "binary",
            "description": "JPEG or PNG, the original from the camera",
        },
    },
}
_PHOTO = "/v1/reports/{report_id}/photos"
ROUTES = [
    Route(
        "POST",
        _PHOTO,
        upload,
        "Upload one photo (original kept byte-for-byte; EXIF time and GPS read)",
        auth=(PARTY,),
        tag="photos",
        multipart=_MULTIPART,
        responses={201: PhotoRead, 200: PhotoRead},
        errors=(409, 413, 415, 422),
    ),
    Route(
        "DELETE",
        _PHOTO + "/{photo_id}",
        delete_photo,
        "Remove a wrong photo you took, before the evidence is submitted (kept as evidence, marked removed)",
        auth=(PARTY,),
        tag="photos",
        responses={200: PhotoRemoved},
        errors=(404, 409),
    ),
    Route(
        "GET",
        _PHOTO + "/{photo_id}/{variant}",
        download,
        "A photo: original, preview or thumbnail",
        auth=(PARTY, *staff("police", "admin")),
        tag="photos",
        raw_response={200: "image/jpeg"},
        errors=(409,),
    ),
    Route(
        "GET",
        "/v1/signed" + _PHOTO + "/{photo_id}/{variant}",
        download_signed,
        "A photo through a signed, expiring link made for one recipient (an insurer or the court). Checked when "
        "used: 403 photo-link-invalid, photo-link-expired, photo-sharing-withdrawn (a party withdrew its consent) "
        "or photo-link-recipient-without-case (no claim, assessment task or court case left on the report). "
        "Fresh links: read the claim, task or case again",
        auth=(PUBLIC,),
        tag="photos",
        raw_response={200: "image/jpeg"},
        errors=(403, 404, 409),
    ),
]

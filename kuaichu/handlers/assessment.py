"""Assessment tasks for adjusters and coordinators (my tasks, accept/decline, on scene, the on-scene record)
and the queue for operators."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from assessment import staff as staff_uc
from assessment import zone_map
from assessment.record import DamageItem, submit_record
from assessment.service import AssessmentContext
from kernel.errors import InvalidInput, field
from kernel.identity import StaffPrincipal
from kuaichu.api import Route, json_response, principal, read_model, staff
from kuaichu.handlers.photos import PhotoTooLarge
from kuaichu.keys import SERVICES
from schemas.assessment import (
    AcceptBody,
    AssessmentQueue,
    DeclineBody,
    RecordIn,
    TaskList,
    TaskRead,
    TaskWithPhotos,
)
from schemas.messages import pointer_errors
from schemas.zone_map import ZoneMap

MAX_RECORD_PHOTOS = 20
log = logging.getLogger(__name__)


def _ctx(request: web.Request) -> AssessmentContext:
    return request.app[SERVICES].assessment


def _task_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["task_id"])
    except ValueError:
        raise staff_uc.TaskNotFound() from None


def _who(request: web.Request) -> StaffPrincipal:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    return who


async def my_tasks(request: web.Request) -> web.Response:
    return json_response({"tasks": await staff_uc.my_tasks(_ctx(request), who=_who(request))})


async def show(request: web.Request) -> web.Response:
    return json_response(
        await staff_uc.show(_ctx(request), who=_who(request), task_id=_task_id(request))
    )


async def accept(request: web.Request) -> web.Response:
    body = await read_model(request, AcceptBody)
    return json_response(
        await staff_uc.accept(
            _ctx(request),
            who=_who(request),
            task_id=_task_id(request),
            eta_minutes=body.eta_minutes,
        )
    )


async def decline(request: web.Request) -> web.Response:
    body = await read_model(request, DeclineBody)
    return json_response(
        await staff_uc.decline(
            _ctx(request), who=_who(request), task_id=_task_id(request), reason=body.reason
        )
    )


async def on_scene(request: web.Request) -> web.Response:
    return json_response(
        await staff_uc.arrive(_ctx(request), who=_who(request), task_id=_task_id(request))
    )


async def _read_record(request: web.Request, max_bytes: int) -> tuple[RecordIn, list[bytes]]:
    """Stream the multipart body: one `record` JSON part and up to MAX_RECORD_PHOTOS `photo` parts."""
    if not request.content_type.startswith("multipart/"):
        raise InvalidInput(
            "请以 multipart/form-data 提交",
            "Send multipart/form-data",
            errors=[field("#", "请以 multipart/form-data 方式上传", "Send multipart/form-data")],
        )
    reader = await request.multipart()
    raw, photos = None, []
    while (part := await reader.next()) is not None:
        if part.name == "record":
            raw = await part.text()
        elif part.name == "photo":
            if len(photos) >= MAX_RECORD_PHOTOS:
                raise InvalidInput(
                    f"最多{MAX_RECORD_PHOTOS}张照片",
                    f"At most {MAX_RECORD_PHOTOS} photos",
                    errors=[field("#/photo", "照片过多", "Too many photos")],
                )
            buf = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                buf += chunk
                if len(buf) > max_bytes:
                    raise PhotoTooLarge()
            photos.append(bytes(buf))
    if raw is None:
        raise InvalidInput(
            "缺少 record 字段",
            "The record part is missing",
            errors=[field("#/record", "必填项，请填写", "Required: please fill it in")],
        )
    try:
        return RecordIn.model_validate_json(raw), photos
    except ValidationError as exc:
        errors = pointer_errors(exc.errors(include_url=False), prefix=("record",))
        raise InvalidInput(
            "现场记录有误，请按提示修改",
            "The on-scene record is invalid: correct the fields shown",
            errors=errors,
        ) from None


async def record(request: web.Request) -> web.Response:
    s = request.app[SERVICES].settings
    body, photos = await _read_record(request, s.max_photo_bytes)
    items = [DamageItem(i.part, i.description, i.amount_fen) for i in body.items]
    return json_response(
        await submit_record(
            _ctx(request),
            who=_who(request),
            task_id=_task_id(request),
            notes=body.notes,
            items=items,
            photos=photos,
        ),
        201,
    )


async def served_zones(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        data = await zone_map.served_zones(conn, who=_who(request))
    return json_response(ZoneMap.model_validate(data))


async def queue(request: web.Request) -> web.Response:
    return json_response(await staff_uc.queue(_ctx(request)))


_MULTIPART: dict[str, Any] = {
    "type": "object",
    "required": ["record"],
    "properties": {
        "record": {
            "type": "string",
            "description": "JSON: {notes, items: [{part, description, amount_fen}]}",
        },
        "photo": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": MAX_RECORD_PHOTOS,
        },
    },
}
_ASSESSORS = staff("adjuster", "coordinator")
_TASK = "/v1/assessment/tasks/{task_id}"
ROUTES = [
    Route(
        "GET",
        "/v1/assessment/tasks",
        my_tasks,
        "My assessment tasks (offered, accepted, on scene, done)",
        auth=_ASSESSORS,
        tag="assessment",
        responses={200: TaskList},
    ),
    Route(
        "GET",
        "/v1/assessment/zones",
        served_zones,
        "The counties I serve as GeoJSON (simplified outlines, my open tasks in each), to draw a map without tiles",
        auth=_ASSESSORS,
        tag="assessment",
        responses={200: ZoneMap},
    ),
    Route(
        "GET",
        _TASK,
        show,
        "One task: adjusters see their insurer's, coordinators their zones'; with freshly "
        "signed links (for the task's insurer) to the report's photos, renewing a webhook's expired ones",
        auth=(*_ASSESSORS, *staff("police", "admin")),
        tag="assessment",
        responses={200: TaskWithPhotos},
    ),
    Route(
        "POST",
        _TASK + "/accept",
        accept,
        "Accept an offered task with an ETA",
        auth=_ASSESSORS,
        tag="assessment",
        body=AcceptBody,
        responses={200: TaskRead},
        errors=(404, 409),
    ),
    Route(
        "POST",
        _TASK + "/decline",
        decline,
        "Decline a task: it goes to the next candidate or the queue",
        auth=_ASSESSORS,
        tag="assessment",
        body=DeclineBody,
        responses={200: TaskRead},
        errors=(404, 409),
    ),
    Route(
        "POST",
        _TASK + "/on-scene",
        on_scene,
        "Arrived on scene (stops the ETA timer)",
        auth=_ASSESSORS,
        tag="assessment",
        responses={200: TaskRead},
        errors=(404, 409),
    ),
    Route(
        "POST",
        _TASK + "/record",
        record,
        "Submit the on-scene record: photos, notes, damage items in fen",
        auth=_ASSESSORS,
        tag="assessment",
        multipart=_MULTIPART,
        responses={201: TaskRead},
        errors=(404, 409, 413),
    ),
    Route(
        "GET",
        "/v1/assessment/queue",
        queue,
        "Tasks nobody could take, and flagged open tasks",
        auth=staff("police", "admin"),
        tag="assessment",
        responses={200: AssessmentQueue},
    ),
]

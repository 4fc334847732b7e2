"""Steps of the driver-side tests: resumable uploads as a phone sends them, the worker delivering the texts,
reading the texts the development SMS sender wrote, the status summary, and a court callback signed as the court
platform signs it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from standardwebhooks import Webhook

from accident.notifications import TOPIC
from kuaichu.deliveries import handlers
from kuaichu.keys import SERVICES
from kuaichu.worker import Worker
from tests.api.evidence import phone_jpeg
from tests.api.flows import bearer, sms_messages
from tests.polling import poll_until

CHUNK = "application/offset+octet-stream"


def grainy_photo(shade: int = 7) -> bytes:
    """A phone photo of about half a megabyte (grainy, as a real scene is, so several chunks), with the EXIF time
    and GPS of tests.api.evidence.phone_jpeg."""
    exif = Image.open(io.BytesIO(phone_jpeg(shade=shade))).getexif()
    im = Image.merge("RGB", [Image.effect_noise((960, 720), 40 + shade + i) for i in range(3)])
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


async def declare(
    client: Any,
    rid: str,
    token: str,
    data: bytes,
    kind: str = "front_overview",
    sha256: str | None = None,
) -> Any:
    return await client.post(
        f"/v1/reports/{rid}/photos/uploads",
        headers=bearer(token),
        json={
            "kind": kind,
            "size_bytes": len(data),
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        },
    )


async def send(client: Any, location: str, token: str, offset: int, chunk: bytes) -> Any:
    return await client.patch(
        location,
        data=chunk,
        headers={**bearer(token), "Content-Type": CHUNK, "Upload-Offset": str(offset)},
    )


async def send_all(
    client: Any, location: str, token: str, data: bytes, size: int, start: int = 0
) -> Any:
    r = None
    for offset in range(start, len(data), size):
        r = await send(client, location, token, offset, data[offset : offset + size])
        assert r.status in (200, 204), await r.text()
    return r


async def _pending_texts(client: Any) -> int:
    return await client.server.app[SERVICES].pool.fetchval(
        "SELECT count(*) FROM outbox WHERE topic = $1 AND status = 'pending'", TOPIC
    )


async def deliver_texts(client: Any, *, limit_s: float = 15.0) -> None:
    """The real worker, notification texts only, until none is pending."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        Worker(client.server.app[SERVICES], handlers(), name="sms-test", topics=[TOPIC]).run(stop)
    )
    try:

        async def none_pending() -> bool:
            return not await _pending_texts(client)

        assert await poll_until(none_pending, limit_s=limit_s)
    finally:
        stop.set()
        await task


def texts_to(settings: Any, phone: str) -> list[str]:
    """The notification texts the development SMS sender wrote to a phone (login and signing codes left out)."""
    return [
        m["text"]
        for m in sms_messages(settings.var_dir)
        if m["to"] == phone and "【快处】" in m["text"] and "验证码" not in m["text"]
    ]


async def status_of(client: Any, report_id: str, token: str) -> dict[str, Any]:
    r = await client.get(f"/v1/reports/{report_id}/status", headers=bearer(token))
    assert r.status == 200, await r.text()
    return await r.json()


async def queued_texts(client: Any, report_id: str) -> Counter:
    """(event, party label) of every notification queued for the report."""
    rows = await client.server.app[SERVICES].pool.fetch(
        "SELECT payload FROM outbox WHERE topic = $1 AND report_id = $2::uuid", TOPIC, report_id
    )
    return Counter((r["payload"]["event"], r["payload"]["label"]) for r in rows)


async def court_callback(
    client: Any,
    settings: Any,
    *,
    package_id: str,
    type_: str,
    sequence: int,
    msg_id: str,
    case_number: str = "（2026）浙0102民诉前调1号",
    **data: Any,
) -> Any:
    """POST a callback as the court platform sends it: Standard Webhooks, signed with the inbound court secret."""
    body = {
        "type": type_,
        "package_id": package_id,
        "case_number": case_number,
        "sequence": sequence,
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": data,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    at = datetime.now(UTC).replace(microsecond=0)
    secret = settings.court_inbound_secret.get_secret_value()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw.decode()),
        "Content-Type": "application/json",
    }
    return await client.post("/v1/court/callbacks", data=raw, headers=headers)

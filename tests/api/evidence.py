"""Photos as a phone takes them, uploading them, and the real outbox worker run in-process (for tests)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from kernel.crypto import Keyring
from kuaichu.deliveries import handlers
from kuaichu.keys import SERVICES
from kuaichu.settings import Settings
from kuaichu.worker import Worker
from schemas.reports import REQUIRED_PHOTO_KINDS
from tests.api.flows import FIXTURE_ZONES, bearer
from tests.polling import poll_until

TAKEN = "2026:05:09 14:30:05"  # with offset +08:00
GPS_LAT = 30 + 17 / 60 + 44.7 / 3600
GPS_LON = 120 + 14 / 60 + 7.368 / 3600


def phone_jpeg(size: tuple[int, int] = (640, 480), *, shade: int = 0) -> bytes:
    """A JPEG as a phone writes it: EXIF capture time with offset, GPS, orientation and a camera model."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.Model] = "camera-of-the-driver"
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    ifd[ExifTags.Base.DateTimeOriginal] = TAKEN
    ifd[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", (IFDRational(30), IFDRational(17), IFDRational(447, 10))
    gps[3], gps[4] = "E", (IFDRational(120), IFDRational(14), IFDRational(7368, 1000))
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    if shade:
        im.paste((shade, 255 - shade, shade), (0, 0, 16, 16))  # different bytes for each shade
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def form(kind: str | None, data: bytes | None, *, filename: str = "photo.jpg") -> aiohttp.FormData:
    f = aiohttp.FormData(default_to_multipart=True)
    if kind is not None:
        f.add_field("kind", kind)
    if data is not None:
        f.add_field("file", data, filename=filename, content_type="image/jpeg")
    return f


async def upload(
    client: Any, report_id: str, token: str | None, kind: str | None, data: bytes | None
) -> aiohttp.ClientResponse:
    headers = bearer(token) if token else {}
    return await client.post(
        f"/v1/reports/{report_id}/photos", data=form(kind, data), headers=headers
    )


async def upload_required(client: Any, report_id: str, token: str) -> dict[str, dict[str, Any]]:
    """The three photos every report needs, each with its own bytes; returns the photos by kind."""
    photos = {}
    for shade, kind in enumerate(REQUIRED_PHOTO_KINDS, start=1):
        r = await upload(client, report_id, token, kind, phone_jpeg(shade=shade * 40))
        assert r.status == 201, await r.text()
        photos[kind] = await r.json()
    return photos


async def run_worker(
    client: Any, until: Callable[[], Awaitable[bool]], *, limit_s: float = 20.0
) -> None:
    """Run the real outbox worker on the app's own services until `until()` holds (or the time is up)."""
    services = client.server.app[SERVICES]
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(services, handlers(), name="test-worker").run(stop))
    try:
        await poll_until(until, limit_s=limit_s)
    finally:
        stop.set()
        await task


async def outbox_done(client: Any) -> bool:
    """Every queued message delivered (or parked): nothing left for a worker."""
    pool = client.server.app[SERVICES].pool
    return not await pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")


def keyring_of(settings: Settings) -> Keyring:
    secret, keys = settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    return Keyring.from_settings(secret, keys)


async def staff_token(settings: Settings, role: str, *, insurer: str | None = None) -> str:
    """A staff account made the way an operator makes one (`kuaichu staff create`); returns its token."""
    from kuaichu.commands.staff import create_staff
    from kuaichu.db import connect

    conn = await connect(settings.database_url)
    try:
        return await create_staff(
            conn,
            keyring_of(settings),
            username=f"{role}-{insurer or 'x'}",
            role=role,
            name=None,
            insurer=insurer,
            jurisdiction=FIXTURE_ZONES if role == "police" else None,
        )
    finally:
        await conn.close()

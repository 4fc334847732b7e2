"""Services: the resources a process builds once at start-up and hands to handlers and workers."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg

from kernel.crypto import Keyring
from kuaichu.settings import Settings

if TYPE_CHECKING:
    import aiohttp

    from accident.identity import OtpPolicy
    from accident.photo_uploads import UploadSpool
    from accident.service import Intake
    from accident.storage import PhotoStore
    from kernel.sms import SmsSender
    from kuaichu.zone_runtime import ZoneRuntime


@dataclass
class Services:
    settings: Settings
    pool: asyncpg.Pool
    keyring: Keyring
    http: aiohttp.ClientSession
    sms: SmsSender
    otp_policy: OtpPolicy
    zones: ZoneRuntime
    intake: Intake
    photos: PhotoStore
    # One thread for photo inspection: pillow's EXIF parsing holds the GIL, and with one such thread the
    # event loop never waits behind several of them (uploads stay responsive under load).
    image_executor: Executor
    uploads: UploadSpool  # spool files of resumable photo uploads
    extras: dict[str, Any] = field(default_factory=dict)

"""Services: the resources a process builds once at start-up and hands to handlers and workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg

from kernel.crypto import Keyring
from kuaichu.settings import Settings

if TYPE_CHECKING:
    import aiohttp

    from accident.identity import OtpPolicy
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
    extras: dict[str, Any] = field(default_factory=dict)

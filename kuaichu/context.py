"""Services: the resources a process builds once at start-up (kuaichu/features.py) and hands to handlers and
workers. Every field is typed; a new feature context is a new field here, built in `features.services_for`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from kernel.crypto import Keyring
from kuaichu.settings import Settings

if TYPE_CHECKING:
    import aiohttp

    from accident.fault import TemplateSet
    from accident.fault_flow import FaultFlow
    from accident.identity import OtpPolicy
    from accident.photo_uploads import UploadSpool
    from accident.service import Intake
    from accident.storage import PhotoStore
    from assessment.service import AssessmentContext
    from claims.delivery import EndpointCache
    from claims.service import ClaimsContext
    from court_bridge.delivery import CourtDelivery
    from court_bridge.service import CourtBridge
    from kernel.pipeline import PipelinedStatement
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
    # Feature contexts, each built once per process.
    fault_templates: Mapping[
        str, TemplateSet
    ]  # rule template sets by id, loaded (and installed) at start
    fault_flow: FaultFlow
    claims: ClaimsContext
    assessment: AssessmentContext
    court: CourtBridge
    # The worker's delivery state, shared by all its deliveries.
    court_delivery: CourtDelivery
    webhook_endpoints: EndpointCache  # insurers' webhook endpoints, cached briefly
    sharing_checks: (
        PipelinedStatement  # consent checks of messages leaving together share a round trip
    )
    derivative_slots: (
        asyncio.Semaphore
    )  # preview jobs at once: the bound is on the worker's memory as a whole

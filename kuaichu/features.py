"""Start-up of the in-process resources every process shares: HTTP client, SMS sender, zone index,
photo store, and the use-case dependencies built from them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import asyncpg

from accident.fault_repository import install_template_sets
from accident.identity import OtpPolicy
from accident.photo_uploads import UploadSpool
from accident.repository import creation_pipeline
from accident.service import Intake, IntakePolicy
from accident.storage import LocalPhotoStore
from kernel.crypto import Keyring
from kernel.sms import DevSmsSender, HttpSmsSender, SmsSender
from kuaichu.context import Services
from kuaichu.settings import Settings
from kuaichu.threads import background_executor
from kuaichu.zone_runtime import ZoneRuntime

FAULT_TEMPLATES = "fault.templates"  # Services.extras key: fault template sets by id, loaded once


def _sms(settings: Settings, http: aiohttp.ClientSession) -> SmsSender:
    if settings.sms_backend == "http":
        assert settings.sms_gateway_url
        token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        return HttpSmsSender(http, settings.sms_gateway_url, token, settings.http_timeout_s)
    return DevSmsSender(settings.sms_dir)


@asynccontextmanager
async def services_for(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Services]:
    """Everything a process needs around its pool; closed in reverse order on exit."""
    keyring = Keyring.from_settings(settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value())
    limits_on = not settings.bench_disable_rate_limits
    zones = ZoneRuntime()
    await zones.refresh(pool)
    fault_sets = await install_template_sets(pool)
    # File I/O and other to_thread work of this process also runs below the loop's priority.
    asyncio.get_running_loop().set_default_executor(background_executor(4, "io"))
    async with aiohttp.ClientSession() as http, contextlib.AsyncExitStack() as stack:
        services = Services(
            settings=settings, pool=pool, keyring=keyring, http=http, sms=_sms(settings, http),
            otp_policy=OtpPolicy(
                ttl_s=settings.otp_ttl_s, max_attempts=settings.otp_max_attempts,
                session_ttl_s=settings.party_session_ttl_s,
                login_codes_per_phone_per_minute=settings.otp_sends_per_phone_per_minute,
                login_codes_per_phone_per_hour=settings.otp_sends_per_phone_per_hour,
                login_codes_per_phone_per_day=settings.otp_sends_per_phone_per_day,
                login_codes_per_address_per_hour=settings.otp_sends_per_ip_per_hour,
                signing_codes_per_party_per_hour=settings.signing_codes_per_party_per_hour, rate_limits=limits_on,
            ),
            zones=zones,
            intake=Intake(
                pool=pool, keyring=keyring, locate=zones.locate,
                creations=creation_pipeline(pool, max_batch=settings.db_batch_max,
                                            max_in_flight=settings.db_batch_in_flight),
                policy=IntakePolicy(share_code_ttl_s=settings.share_code_ttl_s,
                                    share_code_max_attempts=settings.share_code_max_attempts,
                                    reports_per_phone_per_hour=settings.reports_per_phone_per_hour,
                                    invitations_per_phone_per_hour=settings.invitations_per_phone_per_hour,
                                    public_base_url=settings.public_base_url, rate_limits=limits_on),
            ),
            photos=LocalPhotoStore(settings.photo_dir),
            image_executor=stack.enter_context(background_executor(1, "image")),
            uploads=UploadSpool(settings.upload_dir),
        )
        services.extras[FAULT_TEMPLATES] = fault_sets
        watcher = asyncio.create_task(zones.watch(pool))
        try:
            yield services
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

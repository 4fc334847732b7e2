"""Start-up of the in-process resources every process shares: HTTP client, SMS sender, zone index,
photo store, and every feature context built from them, once, as typed fields of `Services`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import asyncpg

from accident.fault_flow import FaultFlow
from accident.fault_repository import install_template_sets
from accident.identity import OtpPolicy
from accident.photo_uploads import UploadSpool
from accident.repository import creation_pipeline, sharing_check_pipeline
from accident.service import Intake, IntakePolicy
from accident.storage import LocalPhotoStore
from assessment.service import AssessmentContext, AssessmentPolicy
from claims.delivery import EndpointCache
from claims.service import ClaimsContext
from court_bridge.client import CourtEndpoint
from court_bridge.delivery import CourtDelivery
from court_bridge.service import CourtBridge, CourtCases
from geo.zones import ZoneHit
from kernel import tracing
from kernel.crypto import Keyring
from kernel.sms import DevSmsSender, HttpSmsSender, SmsSender
from kuaichu.context import Services
from kuaichu.settings import Settings
from kuaichu.threads import background_executor
from kuaichu.zone_runtime import ZoneRuntime


def _sms(settings: Settings, http: aiohttp.ClientSession) -> SmsSender:
    if settings.sms_backend == "http":
        assert settings.sms_gateway_url
        token = (
            settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None
        )
        return HttpSmsSender(http, settings.sms_gateway_url, token, settings.http_timeout_s)
    return DevSmsSender(settings.sms_dir)


def _assessment(
    settings: Settings,
    pool: asyncpg.Pool,
    keyring: Keyring,
    zones: ZoneRuntime,
    photos: LocalPhotoStore,
) -> AssessmentContext:
    def locate(lat: float, lon: float) -> ZoneHit | None:  # the current reference version's index
        return zones.index.lookup(lat, lon) if zones.index is not None else None

    s = settings
    return AssessmentContext(
        pool=pool,
        keyring=keyring,
        photos=photos,
        locate=locate,
        policy=AssessmentPolicy(
            offer_sla_s=s.assessment_offer_sla_s, queue_retry_s=s.assessment_queue_retry_s
        ),
        public_base_url=s.public_base_url,
        photo_link_ttl_s=s.photo_link_ttl_s,
        max_pixels=s.max_image_pixels,
    )


@asynccontextmanager
async def services_for(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Services]:
    """Everything a process needs around its pool; closed in reverse order on exit."""
    keyring = Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )
    limits_on = not settings.bench_disable_rate_limits
    zones = ZoneRuntime()
    await zones.refresh(pool)
    fault_sets = await install_template_sets(pool)
    # File I/O and other to_thread work of this process also runs below the loop's priority.
    asyncio.get_running_loop().set_default_executor(background_executor(4, "io"))
    # Outbound requests carry the trace of what caused them (kernel/tracing.py).
    async with (
        aiohttp.ClientSession(trace_configs=[tracing.trace_config()]) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        sms = _sms(settings, http)
        otp_policy = OtpPolicy(
            ttl_s=settings.otp_ttl_s,
            max_attempts=settings.otp_max_attempts,
            session_ttl_s=settings.party_session_ttl_s,
            login_codes_per_phone_per_minute=settings.otp_sends_per_phone_per_minute,
            login_codes_per_phone_per_hour=settings.otp_sends_per_phone_per_hour,
            login_codes_per_phone_per_day=settings.otp_sends_per_phone_per_day,
            login_codes_per_address_per_hour=settings.otp_sends_per_ip_per_hour,
            signing_codes_per_party_per_hour=settings.signing_codes_per_party_per_hour,
            rate_limits=limits_on,
        )
        intake = Intake(
            pool=pool,
            keyring=keyring,
            locate=zones.locate,
            creations=creation_pipeline(
                pool, max_batch=settings.db_batch_max, max_in_flight=settings.db_batch_in_flight
            ),
            policy=IntakePolicy(
                share_code_ttl_s=settings.share_code_ttl_s,
                share_code_max_attempts=settings.share_code_max_attempts,
                reports_per_phone_per_hour=settings.reports_per_phone_per_hour,
                invitations_per_phone_per_hour=settings.invitations_per_phone_per_hour,
                public_base_url=settings.public_base_url,
                rate_limits=limits_on,
            ),
        )
        photos = LocalPhotoStore(settings.photo_dir)
        court = CourtBridge(keyring=keyring, public_base_url=settings.public_base_url)
        services = Services(
            settings=settings,
            pool=pool,
            keyring=keyring,
            http=http,
            sms=sms,
            otp_policy=otp_policy,
            zones=zones,
            intake=intake,
            photos=photos,
            image_executor=stack.enter_context(background_executor(1, "image")),
            uploads=UploadSpool(settings.upload_dir),
            fault_templates=fault_sets,
            fault_flow=FaultFlow(
                intake=intake,
                sets=fault_sets,
                sms=sms,
                otp=otp_policy,
                photos=photos,
                court=CourtCases(court),
            ),
            claims=ClaimsContext(
                pool=pool,
                keyring=keyring,
                public_base_url=settings.public_base_url,
                photo_link_ttl_s=settings.photo_link_ttl_s,
            ),
            assessment=_assessment(settings, pool, keyring, zones, photos),
            court=court,
            court_delivery=CourtDelivery(
                pool=pool,
                http=http,
                keyring=keyring,
                endpoint=CourtEndpoint(
                    settings.court_url,
                    settings.court_outbound_secret.get_secret_value(),
                    settings.court_timeout_s,
                ),
                conflict_max=settings.court_conflict_max_attempts,
            ),
            webhook_endpoints=EndpointCache(pool),
            sharing_checks=sharing_check_pipeline(pool),
            derivative_slots=asyncio.Semaphore(settings.image_job_slots),
        )
        watcher = asyncio.create_task(zones.watch(pool))
        try:
            yield services
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

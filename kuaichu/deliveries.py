"""What the worker does with each outbox topic."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from accident import notifications
from accident.anomalies import SimilarityPolicy
from accident.photo_service import DERIVATIVES_TOPIC, make_photo_derivatives
from assessment.service import on_report_settled as route_settled
from claims.delivery import WebhookRefused, WebhookRetry, deliver
from claims.receipts import record_deliveries
from claims.service import on_report_disputed, on_report_settled
from claims.webhooks import TOPIC as INSURER_WEBHOOK
from court_bridge import repository as court_repo
from court_bridge.client import CourtRefused, CourtRetry
from court_bridge.delivery import deliver_case, deliver_update
from court_bridge.service import CASE_TOPIC, UPDATE_TOPIC
from kernel.outbox import Message
from kernel.sms import SmsError
from kuaichu.consent_gate import with_sharing_consent
from kuaichu.context import Services
from kuaichu.worker import Deliver, Delivered, Park, Retry

log = logging.getLogger(__name__)


async def open_claims(services: Services, msg: Message) -> None:
    """One claim per vehicle, opened once however often the message comes; claim.opened to each insurer."""
    await on_report_settled(services.claims, payload=msg.payload)


async def route_assessments(services: Services, msg: Message) -> None:
    """One assessment task per vehicle, routed at once; a redelivery creates nothing."""
    await route_settled(services.assessment, payload=msg.payload)


# Who hears that a report's liability is settled (agreed or determined): assessment routing, claims, ...
# Each consumer must be idempotent (a message may be delivered again); add yours to this tuple.
SETTLED_CONSUMERS: tuple[Callable[[Services, Message], Awaitable[None]], ...] = (
    open_claims,
    route_assessments,
)


async def deliver_sms(services: Services, msg: Message) -> int | None:
    """Texts are stored encrypted (they hold phone numbers and share codes) and decrypted only to send."""
    k = services.keyring
    to = k.decrypt(base64.b64decode(msg.payload["to_enc"]))
    text = k.decrypt(base64.b64decode(msg.payload["text_enc"]))
    try:
        await services.sms.send(to=to, text=text, message_id=str(msg.id))
    except SmsError as exc:
        if exc.retryable:
            raise Retry(str(exc), status=exc.status, after_s=exc.retry_after_s) from exc
        raise Park(str(exc), status=exc.status) from exc
    return None


async def deliver_notification(services: Services, msg: Message) -> int | None:
    """A driver's notification: the text is written now from the event, the party's phone read now."""
    base_url = services.settings.public_base_url or ""
    async with services.pool.acquire() as conn:
        out = await notifications.compose(
            conn,
            services.keyring,
            public_base_url=base_url,
            report_id=msg.report_id,
            payload=msg.payload,
        )
    if out is None:
        raise Park("the party to notify no longer exists")
    try:
        await services.sms.send(to=out.to, text=out.text, message_id=str(msg.id))
    except SmsError as exc:
        if exc.retryable:
            raise Retry(str(exc), status=exc.status, after_s=exc.retry_after_s) from exc
        raise Park(str(exc), status=exc.status) from exc
    return None


async def deliver_photo_derivatives(services: Services, msg: Message) -> int | None:
    s = services.settings
    await make_photo_derivatives(
        services.intake,
        services.photos,
        sha256=msg.payload["sha256"],
        slots=services.derivative_slots,
        max_pixels=s.max_image_pixels,
        max_full_decode_pixels=s.max_full_decode_pixels,
        similarity=SimilarityPolicy(s.anomaly_phash_max_bits, s.anomaly_dhash_max_bits),
    )
    return None


async def deliver_insurer_webhook(services: Services, msg: Message) -> int | Delivered | None:
    """Signed afresh per attempt; same webhook-id and body bytes every time."""
    try:
        status = await deliver(
            cache=services.webhook_endpoints,
            http=services.http,
            message_id=msg.id,
            payload=msg.payload,
            timeout_s=services.settings.http_timeout_s,
            keyring=services.keyring,
        )
        line = msg.payload.get("receipt_of_line")
        if line is None:
            return status
        # claim.opened delivered: the line's receipt of the application (交强险条例 §28), recorded with the delivery
        return Delivered(status, record_deliveries, (line, datetime.now(UTC)))
    except WebhookRetry as exc:
        raise Retry(str(exc), after_s=exc.after_s, status=exc.status) from exc
    except WebhookRefused as exc:
        raise Park(str(exc), status=exc.status) from exc


async def deliver_report_settled(services: Services, msg: Message) -> int | None:
    """Hand report.settled to every consumer in SETTLED_CONSUMERS, in order; none configured is logged, not lost."""
    if not SETTLED_CONSUMERS:
        log.info("no consumer configured for report.settled", extra={"message_id": str(msg.id)})
    for consume in SETTLED_CONSUMERS:
        await consume(services, msg)
    return None


async def deliver_report_disputed(services: Services, msg: Message) -> int | None:
    """A dispute becomes a report.disputed webhook to each insurer of the report's parties."""
    await on_report_disputed(services.claims, payload=msg.payload, occurred_at=msg.created_at)
    return None


async def deliver_court(services: Services, msg: Message) -> Delivered:
    """A dispute package revision or a numbered update to the court platform (ordered by package id); the
    accepted outcome (case number, state) is recorded with the worker's batch of deliveries."""
    final = msg.attempts >= services.settings.outbox_max_attempts
    try:
        if msg.topic == CASE_TOPIC:
            status, outcome = await deliver_case(
                services.court_delivery, payload=msg.payload, final=final
            )
            return Delivered(status, court_repo.cases_delivered, outcome)
        status, outcome = await deliver_update(
            services.court_delivery, payload=msg.payload, final=final
        )
        return Delivered(status, court_repo.updates_delivered, outcome)
    except CourtRetry as exc:
        raise Retry(str(exc), after_s=exc.after_s, status=exc.status) from exc
    except CourtRefused as exc:
        raise Park(str(exc), status=exc.status) from exc


def handlers() -> dict[str, Deliver]:
    return {
        "sms": deliver_sms,
        notifications.TOPIC: deliver_notification,
        DERIVATIVES_TOPIC: deliver_photo_derivatives,
        INSURER_WEBHOOK: with_sharing_consent(deliver_insurer_webhook),
        "report.settled": deliver_report_settled,
        "report.disputed": deliver_report_disputed,
        CASE_TOPIC: with_sharing_consent(deliver_court),
        UPDATE_TOPIC: with_sharing_consent(deliver_court),
    }

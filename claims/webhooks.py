"""Insurer webhooks: events queued in the caller's transaction, signed per Standard Webhooks 1.0.

The body is serialised once, when the event is queued, and stored in the outbox row: every attempt sends
the same bytes under the same `webhook-id` (the outbox message id) with a fresh timestamp and signature.
Events of one claim (`claim.*`) and of one assessment task (`assessment.*`) reach each insurer in the order
they were caused: they share an outbox ordering key, so a later one waits while an earlier one retries or
is parked (until an operator replays or discards it); other claims and tasks are not held up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from standardwebhooks import Webhook

from claims import endpoints
from claims.endpoints import secret_valid
from kernel import outbox
from kernel.crypto import Keyring
from schemas.webhooks import EVENT_MODELS, WebhookEnvelope

TOPIC = endpoints.TOPIC
# Events whose data holds personal data (claim.opened: the policy number): their bodies are stored sealed.
PERSONAL_EVENTS = frozenset({"claim.opened"})


class UnknownEvent(ValueError):
    """An event type no schema describes."""


def event_body(*, event_type: str, data: Mapping[str, Any], occurred_at: datetime) -> str:
    """The envelope {type, timestamp, data{schema_version, ...}} as the exact JSON text to send."""
    model = EVENT_MODELS.get(event_type)
    if model is None:
        raise UnknownEvent(f"no webhook schema for {event_type!r}")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    checked = model.model_validate({"schema_version": 1, **data}).model_dump(mode="json")
    envelope = WebhookEnvelope(type=event_type, timestamp=occurred_at, data=checked)
    return json.dumps(envelope.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def ordering_key(*, insurer_code: str, event_type: str, data: Mapping[str, Any]) -> str | None:
    """The claim for `claim.*` events, the task for `assessment.*` events, per receiving insurer."""
    if event_type.startswith("claim."):
        subject = f"claim:{data['claim_id']}"
    elif event_type.startswith("assessment."):
        subject = f"task:{data['task_id']}"
    else:
        return None
    return f"{TOPIC}:{insurer_code}:{subject}"


async def enqueue_insurer_event(
    conn: asyncpg.Connection,
    *,
    insurer_code: str,
    event_type: str,
    data: Mapping[str, Any],
    occurred_at: datetime,
    report_id: UUID | None,
    dedupe_key: str,
    keyring: Keyring | None = None,
    receipt_of_line: UUID | None = None,
) -> UUID | None:
    """Queue one webhook to one insurer in the caller's transaction; None if this dedupe key was queued before.

    With a keyring the body is stored sealed ("sealed" instead of "body"); events in PERSONAL_EVENTS need one.
    `receipt_of_line`: delivering this message is that line's receipt of the claim application (交强险条例 §28;
    claims.receipts records it with the delivery).
    """
    body = event_body(event_type=event_type, data=data, occurred_at=occurred_at)
    payload: dict[str, Any] = {"insurer_code": insurer_code, "event_type": event_type}
    if receipt_of_line is not None:
        payload["receipt_of_line"] = str(receipt_of_line)
    if keyring is not None:
        payload["sealed"] = keyring.encrypt(body).decode("ascii")
    elif event_type in PERSONAL_EVENTS:
        raise ValueError(f"{event_type} holds personal data: queue it with a keyring")
    else:
        payload["body"] = body
    return await outbox.enqueue(
        conn,
        topic=TOPIC,
        dedupe_key=f"{TOPIC}:{insurer_code}:{event_type}:{dedupe_key}",
        payload=payload,
        report_id=report_id,
        ordering_key=ordering_key(insurer_code=insurer_code, event_type=event_type, data=data),
    )


def body_of(payload: Mapping[str, Any], keyring: Keyring) -> str:
    """The exact JSON text of a queued webhook, sealed or (events without personal data) plain."""
    return (
        keyring.decrypt(payload["sealed"].encode("ascii"))
        if "sealed" in payload
        else payload["body"]
    )


def webhook_id(message_id: UUID) -> str:
    """The receiver's deduplication key: stable across attempts and operator replays."""
    return f"msg_{message_id.hex}"


def signed_headers(
    *, secrets: Iterable[Mapping[str, Any]], msg_id: str, body: str, now: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for one attempt: one `v1,` signature per secret valid now, space-separated."""
    at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    signatures = [
        Webhook(s["secret"]).sign(msg_id, at, body) for s in secrets if secret_valid(s, at)
    ]
    if not signatures:
        raise ValueError("no webhook secret is valid now")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }

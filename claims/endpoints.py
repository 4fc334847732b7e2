"""Insurers' webhook endpoints: the current URL and dated secrets, disabling on 410 and re-enabling."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from kernel import outbox
from kernel.audit import AuditEvent, record

TOPIC = "insurer.webhook"


@dataclass(frozen=True, slots=True)
class Endpoint:
    code: str
    url: str | None
    secrets: tuple[dict[str, Any], ...]
    disabled_at: datetime | None
    disabled_reason: str | None


def _secrets(raw: Any) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(raw) if isinstance(raw, str) else raw or ())


async def endpoint(conn: asyncpg.Connection, *, code: str) -> Endpoint | None:
    row = await conn.fetchrow(
        """SELECT code, webhook_url, webhook_secrets, webhook_disabled_at, webhook_disabled_reason
           FROM insurers WHERE code = $1::text""",
        code,
    )
    if row is None:
        return None
    return Endpoint(row["code"], row["webhook_url"], _secrets(row["webhook_secrets"]), row["webhook_disabled_at"],
                    row["webhook_disabled_reason"])


async def disable(conn: asyncpg.Connection, *, code: str, reason: str) -> bool:
    """Stop sending to an endpoint that answered 410; audited; a no-op if already disabled."""
    done = await conn.fetchval(
        """UPDATE insurers SET webhook_disabled_at = now(), webhook_disabled_reason = $2::text
           WHERE code = $1::text AND webhook_disabled_at IS NULL RETURNING true""",
        code, reason[:500],
    )
    if done:
        await record(conn, AuditEvent("insurer", code, "webhook_disabled", ("system", "webhooks"), None,
                                      {"webhook_disabled_reason": {"before": None, "after": reason[:500]}}))
    return bool(done)


async def enable(conn: asyncpg.Connection, *, code: str, actor: tuple[str, str | None]) -> int | None:
    """Re-enable an endpoint and wake its waiting messages (and those parked by the 410); None if unknown."""
    before = await conn.fetchrow(
        "SELECT webhook_disabled_at FROM insurers WHERE code = $1::text FOR UPDATE", code)
    if before is None:
        return None
    await conn.execute(
        """UPDATE insurers SET webhook_disabled_at = NULL, webhook_disabled_reason = NULL WHERE code = $1::text""",
        code)
    woken = await outbox.wake(conn, topic=TOPIC, payload_has={"insurer_code": code}, parked_by_status=410)
    await record(conn, AuditEvent("insurer", code, "webhook_enabled", actor, None, {
        "webhook_disabled_at": {"before": str(before["webhook_disabled_at"]), "after": None},
        "messages_woken": {"before": None, "after": woken}}))
    return int(woken)


async def states(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every insurer's endpoint state with its queue counts, for operators (secrets never leave)."""
    rows = await conn.fetch(
        """SELECT i.code, i.name, i.webhook_url, i.webhook_disabled_at, i.webhook_disabled_reason,
                  jsonb_array_length(i.webhook_secrets) AS secrets,
                  count(o.id) FILTER (WHERE o.status = 'pending') AS pending,
                  count(o.id) FILTER (WHERE o.status = 'parked') AS parked,
                  max(o.delivered_at) AS last_delivered_at
           FROM insurers i
           LEFT JOIN outbox o ON o.topic = $1::text AND o.payload->>'insurer_code' = i.code
           GROUP BY i.code ORDER BY i.code""",
        TOPIC,
    )
    return [dict(r) for r in rows]

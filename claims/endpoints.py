"""Insurers' webhook endpoints: the current URL and dated secrets, disabling on 410 and re-enabling."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets as random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


def secret_valid(entry: Mapping[str, Any], now: datetime) -> bool:
    """A dated secret signs while now is in [not_before, not_after)."""
    nb, na = entry.get("not_before"), entry.get("not_after")
    return (nb is None or datetime.fromisoformat(nb) <= now) and (
        na is None or now < datetime.fromisoformat(na)
    )


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
    return Endpoint(
        row["code"],
        row["webhook_url"],
        _secrets(row["webhook_secrets"]),
        row["webhook_disabled_at"],
        row["webhook_disabled_reason"],
    )


async def disable(conn: asyncpg.Connection, *, code: str, reason: str) -> bool:
    """Stop sending to an endpoint that answered 410; audited; a no-op if already disabled."""
    done = await conn.fetchval(
        """UPDATE insurers SET webhook_disabled_at = now(), webhook_disabled_reason = $2::text
           WHERE code = $1::text AND webhook_disabled_at IS NULL RETURNING true""",
        code,
        reason[:500],
    )
    if done:
        await record(
            conn,
            AuditEvent(
                "insurer",
                code,
                "webhook_disabled",
                ("system", "webhooks"),
                None,
                {"webhook_disabled_reason": {"before": None, "after": reason[:500]}},
            ),
        )
    return bool(done)


async def enable(
    conn: asyncpg.Connection, *, code: str, actor: tuple[str, str | None]
) -> int | None:
    """Re-enable an endpoint and wake its waiting messages (and those parked by the 410); None if unknown."""
    before = await conn.fetchrow(
        "SELECT webhook_disabled_at FROM insurers WHERE code = $1::text FOR UPDATE", code
    )
    if before is None:
        return None
    await conn.execute(
        """UPDATE insurers SET webhook_disabled_at = NULL, webhook_disabled_reason = NULL WHERE code = $1::text""",
        code,
    )
    woken = await outbox.wake(
        conn, topic=TOPIC, payload_has={"insurer_code": code}, parked_by_status=410
    )
    await record(
        conn,
        AuditEvent(
            "insurer",
            code,
            "webhook_enabled",
            actor,
            None,
            {
                "webhook_disabled_at": {
                    "before": str(before["webhook_disabled_at"]),
                    "after": None,
                },
                "messages_woken": {"before": None, "after": woken},
            },
        ),
    )
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


def fingerprint(secret: str) -> str:
    """What operators see of a secret: the first 12 hex digits of its SHA-256 (enough to tell two apart)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def secret_views(
    entries: tuple[dict[str, Any], ...] | list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """The dated list as operators see it: dates, whether each signs now, a fingerprint; never the secret."""
    return [
        {
            "fingerprint": fingerprint(e["secret"]),
            "not_before": e.get("not_before"),
            "not_after": e.get("not_after"),
            "signing": secret_valid(e, now),
        }
        for e in entries
    ]


async def rotate_secret(
    conn: asyncpg.Connection,
    *,
    code: str,
    overlap: timedelta,
    actor: tuple[str, str | None],
    now: datetime | None = None,
) -> tuple[str, list[dict[str, Any]]] | None:
    """A new secret signing from now on; every secret still signing stops `overlap` from now (sooner if it was
    to stop sooner), so the receiver can take the new one while both sign. Returns the new secret (shown once)
    and the dated list; None for an unknown insurer. Audited with fingerprints only."""
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    raw = await conn.fetchval(
        "SELECT webhook_secrets FROM insurers WHERE code = $1::text FOR UPDATE", code
    )
    if raw is None:
        return None
    entries = [dict(e) for e in _secrets(raw)]
    ends = (at + overlap).isoformat()
    for e in entries:
        stops = e.get("not_after")
        if secret_valid(e, at) and (stops is None or datetime.fromisoformat(stops) > at + overlap):
            e["not_after"] = ends
    new = "whsec_" + base64.b64encode(random.token_bytes(32)).decode()
    entries.append({"secret": new, "not_before": at.isoformat()})
    await conn.execute(
        "UPDATE insurers SET webhook_secrets = $2::jsonb, updated_at = now() WHERE code = $1::text",
        code,
        entries,
    )
    await record(
        conn,
        AuditEvent(
            "insurer",
            code,
            "webhook_secret_rotated",
            actor,
            None,
            {
                "webhook_secret": {
                    "before": [fingerprint(e["secret"]) for e in entries[:-1]],
                    "after": fingerprint(new),
                },
                "overlap_s": {"before": None, "after": overlap.total_seconds()},
            },
        ),
    )
    return new, secret_views(entries, at)


async def secret_list(conn: asyncpg.Connection, *, code: str) -> list[dict[str, Any]] | None:
    raw = await conn.fetchval("SELECT webhook_secrets FROM insurers WHERE code = $1::text", code)
    return None if raw is None else secret_views(_secrets(raw), datetime.now(UTC))

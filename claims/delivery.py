"""Posting one queued webhook to its insurer's current endpoint and classifying the answer.

2xx delivered; timeouts, 408, 429 and 5xx retried (Retry-After honoured); 410 disables the endpoint until
an operator re-enables it (its messages wait meanwhile); any other answer is refused and parked with the
reason. Endpoints are cached briefly so a busy worker does not read the insurer row per message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg

from claims import endpoints
from claims.webhooks import body_of, signed_headers, webhook_id
from kernel.crypto import Keyring
from kernel.retry_after import retry_after_seconds

DISABLED_WAIT_S = (
    3600.0  # a disabled endpoint's messages look again hourly; re-enabling wakes them at once
)


class WebhookRetry(Exception):
    def __init__(
        self, reason: str, *, after_s: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.after_s = after_s
        self.status = status


class WebhookRefused(Exception):
    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class EndpointCache:
    """Insurer endpoints read at most every `ttl_s` seconds per insurer."""

    pool: asyncpg.Pool
    ttl_s: float = 2.0

    def __post_init__(self) -> None:
        self._rows: dict[str, tuple[float, endpoints.Endpoint | None]] = {}
        self._lock = asyncio.Lock()

    async def get(self, code: str) -> endpoints.Endpoint | None:
        hit = self._rows.get(code)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        async with self._lock:
            hit = self._rows.get(code)
            if hit is None or time.monotonic() - hit[0] >= self.ttl_s:
                async with self.pool.acquire() as conn:
                    hit = (time.monotonic(), await endpoints.endpoint(conn, code=code))
                self._rows[code] = hit
        return hit[1]

    def forget(self, code: str) -> None:
        self._rows.pop(code, None)


async def deliver(
    *,
    cache: EndpointCache,
    http: aiohttp.ClientSession,
    message_id: UUID,
    payload: dict[str, Any],
    timeout_s: float,
    keyring: Keyring,
) -> int:
    """Post once; return the 2xx status, or raise WebhookRetry / WebhookRefused."""
    code = payload["insurer_code"]
    ep = await cache.get(code)
    if ep is not None and ep.disabled_at is not None:
        cache.forget(code)  # re-read: an operator may just have re-enabled it
        ep = await cache.get(code)
    if ep is None or not ep.url:
        raise WebhookRefused(f"insurer {code} has no webhook endpoint configured")
    if ep.disabled_at is not None:
        raise WebhookRetry(
            f"endpoint of {code} disabled since {ep.disabled_at.isoformat()}: {ep.disabled_reason}",
            after_s=DISABLED_WAIT_S,
        )
    body = body_of(payload, keyring)
    try:
        headers = signed_headers(secrets=ep.secrets, msg_id=webhook_id(message_id), body=body)
    except ValueError as exc:
        raise WebhookRefused(f"insurer {code}: {exc}") from None
    try:
        async with http.post(
            ep.url,
            data=body.encode(),
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            status = resp.status
            text = (await resp.content.read(500)).decode(errors="replace")
            retry_after = resp.headers.get("Retry-After")
    except TimeoutError:
        raise WebhookRetry(f"no answer from {code} within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise WebhookRetry(f"{code} unreachable: {type(exc).__name__}: {exc}") from None
    if 200 <= status < 300:
        return status
    if status == 410:
        async with cache.pool.acquire() as conn, conn.transaction():
            await endpoints.disable(conn, code=code, reason=f"HTTP 410 from {ep.url}: {text[:200]}")
        cache.forget(code)
        raise WebhookRefused(
            f"HTTP 410: endpoint of {code} gone; disabled until an operator re-enables it",
            status=status,
        )
    if status in (408, 429) or status >= 500:
        raise WebhookRetry(
            f"HTTP {status} from {code}", after_s=retry_after_seconds(retry_after), status=status
        )
    raise WebhookRefused(f"HTTP {status} from {code}: {text[:300]}", status=status)

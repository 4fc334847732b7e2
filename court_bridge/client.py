"""The HTTP side of the court interface: Standard Webhooks signing and one POST, its answer classified.

201/200 accepted; 408, 429 (Retry-After honoured), 5xx, timeouts and dropped connections retried; 409 and
425 retried as conflicts (the caller caps them); any other answer refused for good, with the court's
problem detail kept. Back-off between attempts is the outbox worker's (tenacity's exponential jitter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from standardwebhooks import Webhook

from kernel.retry_after import retry_after_seconds


class CourtRetry(Exception):
    """Try again later; `conflict` for 409/425, which are retried a capped number of times."""

    def __init__(
        self,
        reason: str,
        *,
        after_s: float | None = None,
        status: int | None = None,
        conflict: bool = False,
    ) -> None:
        super().__init__(reason)
        self.after_s = after_s
        self.status = status
        self.conflict = conflict


class CourtRefused(Exception):
    """The court refused for good; `problem` is its problem detail (or what we know)."""

    def __init__(
        self, reason: str, *, status: int | None = None, problem: dict[str, Any] | None = None
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.problem = problem or {"detail": reason}


@dataclass(frozen=True, slots=True)
class CourtEndpoint:
    url: str
    secret: str  # whsec_...: the outbound court secret
    timeout_s: float
    signer: Webhook = field(
        init=False, repr=False, compare=False
    )  # the secret decoded once, not per attempt
    timeout: aiohttp.ClientTimeout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signer", Webhook(self.secret))
        object.__setattr__(self, "timeout", aiohttp.ClientTimeout(total=self.timeout_s))


def signed_headers(
    *, secret: str | Webhook, key: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """Headers of one attempt: the Idempotency-Key doubles as webhook-id; timestamp and signature are fresh."""
    at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    signer = secret if isinstance(secret, Webhook) else Webhook(secret)
    return {
        "Idempotency-Key": key,
        "webhook-id": key,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer.sign(key, at, body.decode()),
        "Content-Type": "application/json",
    }


def _problem(status: int, text: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return {"status": status, "detail": text.decode(errors="replace")[:1000]}


async def post(
    http: aiohttp.ClientSession, endpoint: CourtEndpoint, *, path: str, key: str, body: bytes
) -> tuple[int, dict[str, Any]]:
    """POST once; (status, JSON body) on 201/200, else raise CourtRetry or CourtRefused."""
    headers = signed_headers(secret=endpoint.signer, key=key, body=body)
    try:
        async with http.post(
            endpoint.url.rstrip("/") + path,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=endpoint.timeout,
        ) as resp:
            status = resp.status
            text = await resp.content.read(8000)
            retry_after = resp.headers.get("Retry-After")
    except TimeoutError:
        raise CourtRetry(f"no answer within {endpoint.timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise CourtRetry(f"court unreachable: {type(exc).__name__}: {exc}") from None
    if status in (200, 201):
        data = _problem(status, text)
        return status, data
    after = retry_after_seconds(retry_after)
    if status in (409, 425):
        raise CourtRetry(
            f"HTTP {status}: {text[:200].decode(errors='replace')}",
            after_s=after,
            status=status,
            conflict=True,
        )
    if status in (408, 429) or status >= 500:
        raise CourtRetry(f"HTTP {status}", after_s=after, status=status)
    problem = _problem(status, text)
    raise CourtRefused(
        f"HTTP {status}: {problem.get('title') or problem.get('detail') or ''}"[:300],
        status=status,
        problem=problem,
    )

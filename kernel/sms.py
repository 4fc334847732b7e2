"""Sending SMS is a port with two adapters: files a developer can read, or a real gateway over HTTP."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiohttp

from kernel.retry_after import retry_after_seconds


class SmsError(Exception):
    """The gateway did not take the message; `retryable` says whether trying again may help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.status = status
        self.retry_after_s = retry_after_s


class SmsSender(Protocol):
    async def send(self, *, to: str, text: str, message_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class DevSmsSender:
    """Appends each message as a JSON line to `<dir>/messages.jsonl` (development only: holds phones in clear)."""

    directory: Path

    async def send(self, *, to: str, text: str, message_id: str) -> None:
        line = json.dumps(
            {"id": message_id, "to": to, "text": text, "at": datetime.now(UTC).isoformat()},
            ensure_ascii=False,
        )
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "messages.jsonl").open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    def read(self) -> list[dict]:
        path = self.directory / "messages.jsonl"
        if not path.exists():
            return []
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@dataclass(frozen=True, slots=True)
class HttpSmsSender:
    """POSTs `{"id", "to", "text"}` as JSON with a bearer token; the id lets the gateway drop duplicates."""

    session: aiohttp.ClientSession
    url: str
    token: str | None
    timeout_s: float = 10.0

    async def send(self, *, to: str, text: str, message_id: str) -> None:
        headers = {"Idempotency-Key": message_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            async with self.session.post(
                self.url,
                json={"id": message_id, "to": to, "text": text},
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as resp:
                if resp.status < 300:
                    return
                retryable = resp.status in (408, 425, 429) or resp.status >= 500
                raise SmsError(
                    f"SMS gateway answered {resp.status}",
                    retryable=retryable,
                    status=resp.status,
                    retry_after_s=retry_after_seconds(resp.headers.get("Retry-After")),
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SmsError(
                f"SMS gateway unreachable: {type(exc).__name__}", retryable=True
            ) from exc

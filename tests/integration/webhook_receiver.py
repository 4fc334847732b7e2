"""An insurer's webhook receiver on loopback: verifies every message with the public standardwebhooks
library, records what arrived, and can be told to fail (500, timeout, 410, 429 with Retry-After, 400)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Arrival:
    webhook_id: str
    timestamp: str
    signatures: list[str]
    body: bytes
    event: dict
    traceparent: str | None = None


@dataclass
class Receiver:
    """`fail` maps a mode to how many more requests get it: 500, hang, 410, 429, 400."""

    secrets: list[str]
    fail: Counter = field(default_factory=Counter)
    retry_after: str = "1"
    delay_s: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        try:
            # Each configured secret alone must verify the message (rotation: either old or new one).
            events = [Webhook(s).verify(body, headers) for s in self.secrets]
        except WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return web.json_response({"error": str(exc)}, status=401)
        self.arrivals.append(
            Arrival(
                headers["webhook-id"],
                headers["webhook-timestamp"],
                headers["webhook-signature"].split(" "),
                body,
                events[0],
                request.headers.get("traceparent"),
            )
        )
        for mode in ("500", "hang", "410", "429", "400"):
            if self.fail[mode] > 0:
                self.fail[mode] -= 1
                if mode == "hang":
                    await asyncio.sleep(3600)
                headers_out = {"Retry-After": self.retry_after} if mode == "429" else {}
                return web.json_response(
                    {"error": f"told to answer {mode}"},
                    status=int(mode) if mode != "hang" else 500,
                    headers=headers_out,
                )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.json_response({"ok": True})

    def ids(self) -> Counter:
        return Counter(a.webhook_id for a in self.arrivals)

    def types(self) -> list[str]:
        return [json.loads(a.body)["type"] for a in self.arrivals]


async def start(aiohttp_server, secrets: list[str]) -> Receiver:
    rx = Receiver(secrets=secrets)
    app = web.Application()
    app.router.add_post("/hooks", rx.handle)
    server = await aiohttp_server(app)
    rx.url = str(server.make_url("/hooks"))
    return rx

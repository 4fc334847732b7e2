"""run a simulated court platform (packages, updates, faults, signed callbacks) for local use"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import web

from court_bridge.simulator import CourtSimulator, Faults, Reply
from kuaichu.settings import Settings

log = logging.getLogger("kuaichu.court_sim")
SIM: web.AppKey[CourtSimulator] = web.AppKey("court_sim", CourtSimulator)
TASKS: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("tasks")
DELAY: web.AppKey[float] = web.AppKey("callback_delay_s", float)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument(
        "--callback-url", help="the service's base URL for callbacks (none: no callbacks)"
    )
    p.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 503")
    p.add_argument(
        "--drop-rate", type=float, default=0.0, help="share processed, then the connection dropped"
    )
    p.add_argument(
        "--reject-rate", type=float, default=0.0, help="share of new cases refused with 422"
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    p.add_argument("--callback-delay-s", type=float, default=1.0)
    p.add_argument("--seed", type=int)


async def _answer(request: web.Request, reply: Reply, fault: str | None) -> web.StreamResponse:
    if reply.status in (200, 201) and reply.callbacks and request.app[SIM].callback_url:
        task = asyncio.create_task(_call_back(request.app, reply.callbacks))
        request.app[TASKS].add(task)
        task.add_done_callback(request.app[TASKS].discard)
    if fault == "drop" and request.transport is not None:
        request.transport.abort()  # processed and remembered; the sender never hears the answer
        raise asyncio.CancelledError
    ctype = "application/json" if reply.status < 400 else "application/problem+json"
    return web.json_response(reply.body, status=reply.status, content_type=ctype)


async def _receive(
    request: web.Request, *, new_case: bool
) -> tuple[bytes, str | None] | web.Response:
    sim = request.app[SIM]
    if sim.faults.latency_s:
        await asyncio.sleep(sim.faults.latency_s)
    fault = sim.fault(new_case=new_case)
    if fault == "error":
        return web.json_response({"title": "Service Unavailable", "status": 503}, status=503)
    return await request.read(), fault


async def cases(request: web.Request) -> web.StreamResponse:
    got = await _receive(request, new_case=True)
    if isinstance(got, web.Response):
        return got
    raw, fault = got
    reply = request.app[SIM].receive_case(
        headers=dict(request.headers), raw=raw, reject=fault == "reject"
    )
    log.info("case %s -> %s", request.headers.get("Idempotency-Key"), reply.status)
    return await _answer(request, reply, fault)


async def updates(request: web.Request) -> web.StreamResponse:
    got = await _receive(request, new_case=False)
    if isinstance(got, web.Response):
        return got
    raw, fault = got
    reply = request.app[SIM].receive_update(
        package_id=request.match_info["package_id"], headers=dict(request.headers), raw=raw
    )
    log.info("update %s -> %s", request.headers.get("Idempotency-Key"), reply.status)
    return await _answer(request, reply, fault)


async def state(request: web.Request) -> web.Response:
    sim = request.app[SIM]
    return web.json_response(
        {
            pid: {
                "case_number": c.case_number,
                "revision": c.revision,
                "last_sequence": c.last_sequence,
            }
            for pid, c in sim.cases.items()
        }
    )


async def _call_back(app: web.Application, events: tuple[dict, ...]) -> None:
    """Each callback in order, retried until the service answers 2xx (it deduplicates by webhook-id); a refusal
    other than 408/429 (e.g. 422 case-number-mismatch) is final, as for the service's own deliveries."""
    sim = app[SIM]
    url = f"{(sim.callback_url or '').rstrip('/')}/v1/court/callbacks"
    async with aiohttp.ClientSession() as http:
        for event in events:
            await asyncio.sleep(app[DELAY])
            for attempt in range(8):
                headers, body = sim.signed_callback(event)
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.post(
                        url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                    ) as resp:
                        if resp.status < 300:
                            break
                        log.warning("callback %s -> %s", event["type"], resp.status)
                        if 400 <= resp.status < 500 and resp.status not in (408, 429):
                            break
                await asyncio.sleep(min(30.0, 0.5 * 2**attempt))


def build_app(sim: CourtSimulator, *, callback_delay_s: float = 1.0) -> web.Application:
    """The simulator's web server; callbacks go to `sim.callback_url` (none: no callbacks)."""
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[SIM] = sim
    app[TASKS] = set()
    app[DELAY] = callback_delay_s
    app.router.add_post("/v1/cases", cases)
    app.router.add_post("/v1/cases/{package_id}/updates", updates)
    app.router.add_get("/v1/state", state)
    return app


def run(args: argparse.Namespace, settings: Settings) -> int:
    sim = CourtSimulator(
        outbound_secret=settings.court_outbound_secret.get_secret_value(),
        inbound_secret=settings.court_inbound_secret.get_secret_value(),
        faults=Faults(
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            reject_rate=args.reject_rate,
            latency_s=args.latency_ms / 1000,
        ),
        seed=args.seed,
        callback_url=args.callback_url,
    )
    print(
        f"court simulator on http://{args.host}:{args.port} (callbacks to {args.callback_url or 'nowhere'})",
        flush=True,
    )
    web.run_app(
        build_app(sim, callback_delay_s=args.callback_delay_s),
        host=args.host,
        port=args.port,
        print=None,
        access_log=None,
    )
    return 0

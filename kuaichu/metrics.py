"""Prometheus metrics, served on a listener of their own (KUAICHU_METRICS_HOST, default 127.0.0.1, and a port per
process), never on the public API's port.

The API process exposes request latency by route and its event-loop lag; the worker exposes deliveries and
failures by destination, its event-loop lag, and what the database says at scrape time: outbox depth and the age
of the oldest pending message per destination, parked messages, SLA breaches and the audit seal's backlog.
Each process keeps its own registry (never prometheus_client's global one), so several apps in one process
(tests) do not collide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from kernel import tracing
from kuaichu.looplag import LoopLag

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_TIMEOUT_S = 5.0

# Where a message goes: its topic, and for insurer webhooks the insurer (each is its own endpoint).
_DESTINATION = (
    "CASE WHEN topic = 'insurer.webhook' THEN topic || ':' || coalesce(payload->>'insurer_code', '?') "
    "ELSE topic END"
)
_OUTBOX = f"""
SELECT {_DESTINATION} AS destination, count(*) FILTER (WHERE status = 'pending') AS depth,
       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0) AS oldest_s,
       count(*) FILTER (WHERE status = 'parked') AS parked
FROM outbox WHERE status IN ('pending', 'parked') GROUP BY 1
"""  # noqa: S608 - constants only
_SLA = """
SELECT 'assessment_offer_expired' AS kind, count(*) AS n FROM assessment_offers WHERE outcome = 'expired'
UNION ALL
SELECT 'assessment_eta_missed', count(*) FROM assessment_offers WHERE outcome = 'eta_missed'
UNION ALL
SELECT 'assessment_overdue', count(*) FROM assessment_tasks
WHERE status IN ('queued', 'offered', 'accepted') AND due_at < now() - interval '1 minute'
"""
_FLAGS = "SELECT kind, count(*) AS n FROM anomaly_flags GROUP BY kind"
_SEAL = """
SELECT (SELECT count(*) FROM audit_unsealed) AS unsealed,
       coalesce(extract(epoch FROM now() - (SELECT max(anchored_at) FROM audit_anchors)), -1) AS anchor_age_s
"""


def destination(topic: str, payload: dict) -> str:
    return f"{topic}:{payload.get('insurer_code', '?')}" if topic == "insurer.webhook" else topic


@dataclass
class Metrics:
    """One process's metrics. `refresh` (the worker's) reads database gauges just before each scrape."""

    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )
    loop_lag: LoopLag | None = None
    refresh: Callable[[], Awaitable[None]] | None = None
    url: str | None = None  # where its listener serves /metrics, once started

    def __post_init__(self) -> None:
        r = self.registry
        self.request_seconds = Histogram(
            "kuaichu_http_request_duration_seconds",
            "HTTP request latency by route (the route's pattern)",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "kuaichu_outbox_deliveries",
            "Outbox delivery attempts by destination and outcome (delivered, retry, parked)",
            ["destination", "outcome"],
            registry=r,
        )
        self.loop_lag_seconds = Gauge(
            "kuaichu_event_loop_lag_seconds",
            "How late a 10 ms sleep wakes up over the last minute",
            ["quantile"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "kuaichu_outbox_depth",
            "Pending outbox messages by destination",
            ["destination"],
            registry=r,
        )
        self.outbox_oldest = Gauge(
            "kuaichu_outbox_oldest_age_seconds",
            "Age of the oldest pending outbox message by destination",
            ["destination"],
            registry=r,
        )
        self.outbox_parked = Gauge(
            "kuaichu_outbox_parked",
            "Parked outbox messages (an operator must look)",
            ["destination"],
            registry=r,
        )
        self.sla_breaches = Gauge(
            "kuaichu_sla_breaches",
            "SLA breaches recorded so far (offers expired, ETAs "
            "missed) and tasks past their timer now",
            ["kind"],
            registry=r,
        )
        self.anomaly_flags = Gauge(
            "kuaichu_anomaly_flags", "Anomaly signals raised so far, by kind", ["kind"], registry=r
        )
        self.audit_unsealed = Gauge(
            "kuaichu_audit_unsealed_events", "Committed audit events not yet sealed", registry=r
        )
        self.audit_anchor_age = Gauge(
            "kuaichu_audit_anchor_age_seconds",
            "Seconds since the audit seal was last anchored (-1: never)",
            registry=r,
        )

    def observe_delivery(self, topic: str, payload: dict, outcome: str) -> None:
        self.deliveries.labels(destination(topic, payload), outcome).inc()

    async def refresh_from(self, pool: asyncpg.Pool) -> None:
        """Database gauges, read in one connection; a destination with nothing pending reads 0."""
        async with pool.acquire() as conn:
            outbox = await conn.fetch(_OUTBOX)
            sla = await conn.fetch(_SLA)
            seal = await conn.fetchrow(_SEAL)
            flags = await conn.fetch(_FLAGS)
        for gauge in (self.outbox_depth, self.outbox_oldest, self.outbox_parked):
            gauge.clear()
        for row in outbox:
            self.outbox_depth.labels(row["destination"]).set(row["depth"])
            self.outbox_oldest.labels(row["destination"]).set(float(row["oldest_s"]))
            self.outbox_parked.labels(row["destination"]).set(row["parked"])
        for row in sla:
            self.sla_breaches.labels(row["kind"]).set(row["n"])
        self.anomaly_flags.labels("near_duplicate_photo").set(0)
        for row in flags:
            self.anomaly_flags.labels(row["kind"]).set(row["n"])
        self.audit_unsealed.set(seal["unsealed"])
        self.audit_anchor_age.set(float(seal["anchor_age_s"]))

    def exposition(self) -> bytes:
        if self.loop_lag is not None:
            stats = self.loop_lag.stats(window_s=60)
            for q, key in (("0.5", "p50_ms"), ("0.99", "p99_ms"), ("1", "max_ms")):
                self.loop_lag_seconds.labels(q).set(float(stats[key]) / 1000)
        return generate_latest(self.registry)


METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)


def route_of(request: web.Request) -> str:
    """The matched route's pattern (/v1/reports/{report_id}), never the raw path with its ids."""
    info = request.match_info
    resource = info.route.resource if info is not None and info.route is not None else None
    return resource.canonical if resource is not None else "unmatched"


def timing_middleware(metrics: Metrics) -> Callable:
    """Times every request by route, and enters its trace (a W3C traceparent header continues the caller's)."""

    @web.middleware
    async def timed(request: web.Request, handler: Callable) -> web.StreamResponse:
        started = time.perf_counter()
        tracing.begin(request.headers.get("traceparent"))
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.request_seconds.labels(request.method, route_of(request), str(status)).observe(
                time.perf_counter() - started
            )

    return timed


async def _scrape(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    if metrics.refresh is not None:
        try:
            await asyncio.wait_for(metrics.refresh(), SCRAPE_TIMEOUT_S)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            log.warning("metrics: the database gauges could not be read", exc_info=True)
    return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def metrics_app(metrics: Metrics) -> web.Application:
    app = web.Application()
    app[METRICS] = metrics
    app.router.add_get("/metrics", _scrape)
    return app


@contextlib.asynccontextmanager
async def serving(metrics: Metrics, host: str, port: int | None) -> AsyncIterator[int | None]:
    """Serve /metrics on host:port for the block's length; yields the bound port (None: disabled, or the port was
    taken, which is logged as an error: the process goes on serving, and Prometheus sees the target down)."""
    if port is None:
        yield None
        return
    runner = web.AppRunner(metrics_app(metrics), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        log.exception("metrics listener could not start", extra={"address": f"{host}:{port}"})
        await runner.cleanup()
        yield None
        return
    bound = runner.addresses[0][1] if runner.addresses else port
    metrics.url = f"http://{host}:{bound}/metrics"
    log.info("metrics listening", extra={"address": metrics.url})
    try:
        yield bound
    finally:
        metrics.url = None
        await runner.cleanup()

"""Prometheus metrics on their own listener, read back with prometheus_client's own parser, and the W3C trace
context of a request carried into the outbox message it causes and on to the receiver of its delivery."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from kernel import tracing
from kuaichu.db import connect, create_pool
from kuaichu.deliveries import handlers
from kuaichu.features import services_for
from kuaichu.keys import SERVICES
from kuaichu.metrics import METRICS, Metrics, serving
from kuaichu.worker import Worker
from tests.api.evidence import phone_jpeg, upload
from tests.api.flows import bearer, create_report
from tests.integration.delivery import all_in, enqueue_disputes, point_insurer
from tests.integration.webhook_receiver import new_secret, start

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE}-00f067aa0ba902b7-01"


async def _scrape(url: str) -> dict[str, list]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        assert r.status == 200 and r.content_type == "text/plain"
        text = await r.text()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _value(samples: list, name: str, **labels: str) -> float | None:
    hits = [
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(hits) if hits else None


async def test_the_api_serves_request_latency_by_route_and_loop_lag_on_a_listener_of_its_own(
    settings, aiohttp_client
):
    from kuaichu.app import create_app

    settings = settings.model_copy(
        update={"metrics_port": 0}
    )  # any free port, on 127.0.0.1 by default
    client = await aiohttp_client(create_app(settings))
    metrics = client.server.app[METRICS]
    assert metrics.url is not None and metrics.url.startswith("http://127.0.0.1:")
    a = await create_report(client, settings.var_dir)
    for _ in range(3):
        r = await client.get(f"/v1/reports/{uuid.uuid4()}", headers=bearer(a["party_token"]))
        assert r.status in (403, 404)
    assert (await client.get("/metrics")).status == 404  # never on the public API's port
    await asyncio.sleep(0.05)  # a few loop-lag samples

    families = await _scrape(metrics.url)
    latency = families["kuaichu_http_request_duration_seconds"]
    created = _value(
        latency,
        "kuaichu_http_request_duration_seconds_count",
        method="POST",
        route="/v1/reports",
        status="201",
    )
    assert created == 1
    by_id = [
        s
        for s in latency
        if s.name.endswith("_count") and s.labels["route"] == "/v1/reports/{report_id}"
    ]
    assert sum(s.value for s in by_id) == 3  # the route's pattern, not three paths with their ids
    assert not any(str(uuid.UUID(a["report"]["id"])) in s.labels.get("route", "") for s in latency)
    assert (
        _value(
            latency, "kuaichu_http_request_duration_seconds_bucket", route="/v1/reports", le="+Inf"
        )
        == 1
    )
    lag = families["kuaichu_event_loop_lag_seconds"]
    assert {s.labels["quantile"] for s in lag} == {"0.5", "0.99", "1"} and all(
        s.value >= 0 for s in lag
    )


async def test_the_worker_serves_deliveries_failures_outbox_depth_and_age_sla_breaches_and_the_seal_backlog(
    fast, aiohttp_server
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["500"] = 1
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    await enqueue_disputes(fast.database_url, 3)
    conn = await connect(fast.database_url)
    try:  # two messages that are not due yet: they stay pending, the oldest for a minute already
        await conn.execute(
            """INSERT INTO outbox (id, topic, dedupe_key, payload, next_attempt_at, created_at)
               VALUES ($1, 'court.case', 'later-1', '{}', now() + interval '1 hour', now() - interval '60 seconds'),
                      ($2, 'court.case', 'later-2', '{}', now() + interval '1 hour', now())""",
            uuid.uuid4(),
            uuid.uuid4(),
        )
    finally:
        await conn.close()
    pool = await create_pool(fast.database_url, min_size=1, max_size=4)
    metrics = Metrics()
    metrics.refresh = lambda: metrics.refresh_from(pool)
    stop = asyncio.Event()
    try:
        async with services_for(fast, pool) as services, serving(metrics, "127.0.0.1", 0):
            worker = asyncio.create_task(
                Worker(
                    services,
                    handlers(),
                    name="w",
                    observe=lambda m, o: metrics.observe_delivery(m.topic, m.payload, o),
                ).run(stop)
            )
            done = all_in(fast.database_url, "delivered", 3)
            for _ in range(400):
                if await done():
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await worker
            families = await _scrape(metrics.url)
    finally:
        await pool.close()
    deliveries = families["kuaichu_outbox_deliveries"]
    picc = "insurer.webhook:PICC"
    assert (
        _value(deliveries, "kuaichu_outbox_deliveries_total", destination=picc, outcome="delivered")
        == 3
    )
    assert (
        _value(deliveries, "kuaichu_outbox_deliveries_total", destination=picc, outcome="retry")
        == 1
    )
    assert (
        _value(families["kuaichu_outbox_depth"], "kuaichu_outbox_depth", destination="court.case")
        == 2
    )
    oldest = _value(
        families["kuaichu_outbox_oldest_age_seconds"],
        "kuaichu_outbox_oldest_age_seconds",
        destination="court.case",
    )
    assert oldest is not None and 60 <= oldest < 120
    assert (
        _value(families["kuaichu_outbox_depth"], "kuaichu_outbox_depth", destination=picc) is None
    )  # all sent
    sla = families["kuaichu_sla_breaches"]
    assert {s.labels["kind"] for s in sla} == {
        "assessment_offer_expired",
        "assessment_eta_missed",
        "assessment_overdue",
    }
    assert (
        _value(
            families["kuaichu_anomaly_flags"], "kuaichu_anomaly_flags", kind="near_duplicate_photo"
        )
        == 0
    )
    assert _value(families["kuaichu_audit_unsealed_events"], "kuaichu_audit_unsealed_events") > 0


async def test_a_requests_trace_reaches_the_outbox_message_it_causes(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    r = await client.post(
        f"/v1/reports/{rid}/photos",
        data=_photo_form(),
        headers={**bearer(a["party_token"]), "traceparent": CALLER},
    )
    assert r.status == 201, await r.text()
    untraced = await upload(client, rid, a["party_token"], "other", phone_jpeg(shade=9))
    assert untraced.status == 201
    pool = client.server.app[SERVICES].pool
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT traceparent FROM outbox WHERE topic = 'photo.derivatives' ORDER BY created_at"
        )
    assert len(rows) == 2
    traced, fresh = (tracing.parse(row["traceparent"]) for row in rows)
    assert (
        traced is not None and traced[0] == TRACE and traced[1] != "00f067aa0ba902b7"
    )  # our span, their trace
    assert fresh is not None and fresh[0] != TRACE  # no header: a trace of its own


def _photo_form() -> aiohttp.FormData:
    f = aiohttp.FormData(default_to_multipart=True)
    f.add_field("kind", "scene")
    f.add_field("file", phone_jpeg(shade=3), filename="photo.jpg", content_type="image/jpeg")
    return f


async def test_a_delivery_sends_the_trace_of_the_message_on_to_its_receiver(fast, aiohttp_server):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    await point_insurer(fast.database_url, rx.url, [{"secret": secret}])
    with tracing.within(CALLER):
        await enqueue_disputes(fast.database_url, 1)
    await enqueue_disputes(fast.database_url, 1)  # outside any trace
    pool = await create_pool(fast.database_url, min_size=1, max_size=4)
    stop = asyncio.Event()
    try:
        async with services_for(fast, pool) as services:
            worker = asyncio.create_task(Worker(services, handlers(), name="w").run(stop))
            done = all_in(fast.database_url, "delivered", 2)
            for _ in range(400):
                if await done():
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await worker
    finally:
        await pool.close()
    sent = sorted((a.traceparent for a in rx.arrivals), key=lambda t: t is None)
    assert len(sent) == 2
    carried = tracing.parse(sent[0])
    assert carried is not None and carried[0] == TRACE and carried[1] != "00f067aa0ba902b7"
    assert sent[1] is None  # nothing invented for a message no request caused

"""deliver outbox messages (SMS, photo derivatives, webhooks, court packages) until stopped"""

from __future__ import annotations

import argparse
import asyncio
import signal

from kuaichu.commands import require_db
from kuaichu.db import create_pool
from kuaichu.deliveries import handlers
from kuaichu.features import services_for
from kuaichu.housekeeping import assessment_timers, housekeeping
from kuaichu.looplag import LoopLag
from kuaichu.metrics import Metrics, serving
from kuaichu.sealer import sealer
from kuaichu.settings import Settings
from kuaichu.worker import Worker


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topic", action="append", help="only these topics (repeatable)")


async def serve_worker(
    settings: Settings, *, topics: list[str] | None = None, stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pool = await create_pool(require_db(settings), min_size=1, max_size=settings.db_pool_max)
    try:
        lag = LoopLag()
        metrics = Metrics(loop_lag=lag)
        metrics.refresh = lambda: metrics.refresh_from(pool)
        async with (
            services_for(settings, pool) as services,
            serving(metrics, settings.metrics_host, settings.worker_metrics_port),
        ):
            probe = asyncio.create_task(lag.probe())
            timers = asyncio.create_task(
                assessment_timers(services.assessment, stop, every_s=settings.assessment_sweep_s)
            )
            cleanup = asyncio.create_task(
                housekeeping(
                    pool,
                    stop,
                    photos=services.photos,
                    stale_part_s=settings.photo_part_stale_s,
                    uploads=services.uploads,
                )
            )
            seals = asyncio.create_task(
                sealer(pool, services.http, settings, stop)
            )  # audit seal and anchors
            await Worker(
                services,
                handlers(),
                topics=topics,
                observe=lambda m, outcome: metrics.observe_delivery(m.topic, m.payload, outcome),
            ).run(stop)
            await asyncio.gather(timers, cleanup, seals)
            probe.cancel()
    finally:
        await pool.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(serve_worker(settings, topics=args.topic))
    return 0

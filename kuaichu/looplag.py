"""Event-loop lag: a coroutine sleeping 10 ms in a loop records how late it wakes up.

Image work must never run on the loop; this probe is how an operator (and the photo benchmark) sees
whether it does. Samples of the last few minutes are kept in a ring buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator

from aiohttp import web

INTERVAL_S = 0.010
KEEP = 30_000  # five minutes at 100 wake-ups a second


class LoopLag:
    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(
            maxlen=KEEP
        )  # (monotonic time, overshoot ms)

    async def probe(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(INTERVAL_S)
            now = time.monotonic()
            self.samples.append((now, (now - start - INTERVAL_S) * 1000))

    def stats(self, *, window_s: float) -> dict[str, float | int]:
        since = time.monotonic() - window_s
        values = sorted(ms for t, ms in self.samples if t >= since)
        if not values:
            return {"samples": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
        return {
            "samples": len(values),
            "p50_ms": round(values[len(values) // 2], 3),
            "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))], 3),
            "max_ms": round(values[-1], 3),
        }


LOOP_LAG: web.AppKey[LoopLag] = web.AppKey("loop_lag", LoopLag)


async def loop_lag_ctx(app: web.Application) -> AsyncIterator[None]:
    lag = app[LOOP_LAG] = LoopLag()
    task = asyncio.create_task(lag.probe())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

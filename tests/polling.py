"""Waiting for something the service does in the background (the worker, housekeeping, another process): the
one polling loop of the suite."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def poll_until(
    check: Callable[[], Awaitable[object] | object], *, limit_s: float, every_s: float = 0.05
) -> bool:
    """Ask `check` (plain or async) every `every_s` seconds until it answers truthy (True) or `limit_s` has passed
    (False); the caller asserts what it waited for."""
    for _ in range(max(1, int(limit_s / every_s))):
        answer = check()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return True
        await asyncio.sleep(every_s)
    return False

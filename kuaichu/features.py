"""Start-up of each feature's in-process resources (photo store, zone index, templates, SMS sender ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from kuaichu.context import Services


@asynccontextmanager
async def start_features(services: Services) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        del stack  # features register here as they arrive
        yield

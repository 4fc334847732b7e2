"""The zone index of the current reference-data version, rebuilt when a new version is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from accident.service import Located
from geo import repository as geo_repository
from geo.service import build_zone_index
from geo.zones import ZoneIndex

log = logging.getLogger(__name__)


class ZoneRuntime:
    """Holds the index and the zone names; `locate` is what report intake calls (no I/O)."""

    def __init__(self, *, tolerance_m: float = 200.0) -> None:
        self.tolerance_m = tolerance_m
        self.index: ZoneIndex | None = None
        self.names: dict[str, str] = {}

    async def refresh(self, pool: asyncpg.Pool) -> bool:
        """Rebuild from the database if the reference version changed; True if it did."""
        async with pool.acquire() as conn:
            if self.index is not None:
                latest = await geo_repository.latest_version(conn)
                if (latest["version"] if latest else None) == self.index.version:
                    return False
            self.index, self.names = await build_zone_index(conn, tolerance_m=self.tolerance_m)
        log.info(
            "zone index built",
            extra={"reference_version": self.index.version, "zones": len(self.names)},
        )
        return True

    def locate(self, lat: float, lon: float) -> Located | None:
        if self.index is None:
            return None
        hit = self.index.lookup(lat, lon)
        if hit is None:
            return None
        return Located(
            zone_id=hit.zone_id,
            zone_name=self.names[hit.zone_id],
            kind=hit.kind,
            near_boundary=hit.near_boundary,
        )

    async def watch(self, pool: asyncpg.Pool, *, every_s: float = 30.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self.refresh(pool)

"""The zone index of the current reference-data version, rebuilt when a new version is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from accident.service import Located
from geo import repository as geo_repository
from geo.zones import ZoneIndex

log = logging.getLogger(__name__)


class ZoneRuntime:
    """Holds the index and the zone names; `locate` is what report intake calls (no I/O)."""

    def __init__(self, *, tolerance_m: float = 200.0) -> None:
        self.tolerance_m = tolerance_m
        self.index: ZoneIndex | None = None
        self.names: dict[str, str] = {}
        self.version: int | None = None

    async def refresh(self, pool: asyncpg.Pool) -> bool:
        """Rebuild from the database if the reference version changed; True if it did."""
        async with pool.acquire() as conn:
            latest = await geo_repository.latest_version(conn)
            version = latest["version"] if latest else None
            if version == self.version and self.index is not None:
                return False
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                zones = await geo_repository.load_zones(conn)
        index = await asyncio.to_thread(ZoneIndex.build, zones, tolerance_m=self.tolerance_m, version=version)
        self.index, self.names, self.version = index, {z.id: z.name for z in zones}, version
        log.info("zone index built", extra={"reference_version": version, "zones": len(zones)})
        return True

    def locate(self, lat: float, lon: float) -> Located | None:
        if self.index is None:
            return None
        hit = self.index.lookup(lat, lon)
        if hit is None:
            return None
        return Located(zone_id=hit.zone_id, zone_name=self.names[hit.zone_id], kind=hit.kind,
                       near_boundary=hit.near_boundary)

    async def watch(self, pool: asyncpg.Pool, *, every_s: float = 30.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self.refresh(pool)

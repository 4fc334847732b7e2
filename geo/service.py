"""Reference-data use cases: own the transaction, call the pure validation and the repository."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from geo import repository
from geo.reference import ReferenceSet
from geo.zones import ZoneIndex


async def apply_reference(
    conn: asyncpg.Connection, *, reference: ReferenceSet, source: str
) -> dict[str, Any]:
    """Upsert zones and insurers and record the version, all in one transaction; idempotent."""
    async with conn.transaction():
        await repository.lock_reference(conn)
        latest = await repository.latest_version(conn)
        zones = await repository.upsert_zones(conn, zones=reference.zones)
        insurers = await repository.upsert_insurers(conn, insurers=reference.insurers)
        summary: dict[str, Any] = {
            "source": source,
            "digest": reference.digest,
            "zones": _counts(zones, total=len(reference.zones)),
            "insurers": _counts(insurers, total=len(reference.insurers)),
        }
        # Absent rows are kept: open reports and claims still point at them; an operator retires them.
        if latest is not None and latest["digest"] == reference.digest:
            summary["version"] = latest["version"]
            summary["new_version"] = False
        else:
            summary["version"] = await repository.insert_version(
                conn, digest=reference.digest, source=source, summary=summary
            )
            summary["new_version"] = True
    return summary


def _counts(outcome: dict[str, list[str]], *, total: int) -> dict[str, Any]:
    changed = len(outcome["inserted"]) + len(outcome["updated"])
    return {
        "total": total,
        "inserted": outcome["inserted"],
        "updated": outcome["updated"],
        "unchanged": total - changed,
        "absent_kept": outcome["absent"],
    }


async def build_zone_index(conn: asyncpg.Connection, *, tolerance_m: float = 200.0) -> ZoneIndex:
    """The zone index of the current reference version; zones and version read from one snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        latest = await repository.latest_version(conn)
        zones = await repository.load_zones(conn)
    version = latest["version"] if latest else None
    # Building takes up to a second for a province: off the event loop.
    return await asyncio.to_thread(ZoneIndex.build, zones, tolerance_m=tolerance_m, version=version)

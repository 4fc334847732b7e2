"""Reference-data use cases: own the transaction, call the pure validation and the repository."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from geo import repository
from geo.errors import ReferenceFileError
from geo.reference import ReferenceSet
from geo.reference_staff import ADJUSTERS_FILE, COORDINATORS_FILE
from geo.zones import ZoneIndex


async def apply_reference(
    conn: asyncpg.Connection, *, reference: ReferenceSet, source: str
) -> dict[str, Any]:
    """Upsert zones, insurers, outlets, assessors and their staff accounts and record the version, all in one
    transaction; idempotent."""
    async with conn.transaction():
        await repository.lock_reference(conn)
        latest = await repository.latest_version(conn)
        zones = await repository.upsert_zones(conn, zones=reference.zones)
        insurers = await repository.upsert_insurers(conn, insurers=reference.insurers)
        await _check_staff_roles(conn, reference)
        outlets = await repository.upsert_outlets(conn, outlets=reference.outlets)
        assessors = await repository.upsert_assessors(
            conn, adjusters=reference.adjusters, coordinators=reference.coordinators
        )
        summary: dict[str, Any] = {
            "source": source,
            "digest": reference.digest,
            "zones": _counts(zones, total=len(reference.zones)),
            "insurers": _counts(insurers, total=len(reference.insurers)),
            "outlets": _counts(outlets, total=len(reference.outlets)),
            "assessors": _counts(
                assessors, total=len(reference.adjusters) + len(reference.coordinators)
            ),
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


async def _check_staff_roles(conn: asyncpg.Connection, reference: ReferenceSet) -> None:
    """A username that already belongs to another kind of staff (police, court, ...) refuses the whole load."""
    rows = [
        (ADJUSTERS_FILE, "adjuster", i, a.id, a.username) for i, a in enumerate(reference.adjusters)
    ]
    rows += [
        (COORDINATORS_FILE, "coordinator", i, c.id, c.username)
        for i, c in enumerate(reference.coordinators)
    ]
    roles = await repository.staff_roles(conn, usernames=[r[4] for r in rows])
    for file, role, i, rid, username in rows:
        if roles.get(username, role) != role:
            raise ReferenceFileError(
                file=file,
                problems=[
                    (
                        f"[{i}] (id={rid!r})",
                        f"用户名已属于其他角色 / username {username!r} is an existing {roles[username]} account",
                    )
                ],
            )


def _counts(outcome: dict[str, list[str]], *, total: int) -> dict[str, Any]:
    changed = len(outcome["inserted"]) + len(outcome["updated"])
    return {
        "total": total,
        "inserted": outcome["inserted"],
        "updated": outcome["updated"],
        "unchanged": total - changed,
        "absent_kept": outcome["absent"],
    }


async def build_zone_index(
    conn: asyncpg.Connection, *, tolerance_m: float = 200.0
) -> tuple[ZoneIndex, dict[str, str]]:
    """The zone index of the current reference version, and the zones' names by id; zones and version read from
    one snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        latest = await repository.latest_version(conn)
        zones = await repository.load_zones(conn)
    version = latest["version"] if latest else None
    # Building takes up to a second for a province: off the event loop.
    index = await asyncio.to_thread(
        ZoneIndex.build, zones, tolerance_m=tolerance_m, version=version
    )
    return index, {z.id: z.name for z in zones}

"""The counties an adjuster or coordinator serves, as GeoJSON small enough to draw a map without tiles.

Coordinators serve the zones listed in their reference row; adjusters work for their insurer in the urban zones
(the rural ones go to coordinators, see geo.routing). The zones of the caller's own open tasks are always
included. Geometry is simplified (Douglas-Peucker, topology kept) and rounded: a county outline for a phone
screen, not a survey.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from shapely.geometry import mapping, shape

from kernel.identity import StaffPrincipal

SIMPLIFY_DEG = 0.002  # about 200 m: the outline keeps its shape at county scale on any screen
DECIMALS = 5  # about 1 m


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(coords, DECIMALS)
    return [_rounded(c) for c in coords]


def simplified(geometry: dict[str, Any], tolerance: float = SIMPLIFY_DEG) -> dict[str, Any]:
    geo = shape(geometry).simplify(tolerance, preserve_topology=True)
    out = mapping(geo)
    return {"type": out["type"], "coordinates": _rounded(out["coordinates"])}


async def served_zones(conn: asyncpg.Connection, *, who: StaffPrincipal) -> dict[str, Any]:
    """A FeatureCollection of the caller's counties, each with the caller's open tasks there; empty for a staff
    account that is no assessor."""
    me = await conn.fetchrow(
        "SELECT id, kind, zones FROM assessors WHERE staff_id = $1::uuid", who.staff_id
    )
    if me is None:
        return {"type": "FeatureCollection", "bbox": None, "features": []}
    rows = await conn.fetch(
        """SELECT z.id, z.name, z.kind, z.court_exempt, z.geometry,
                  (SELECT count(*) FROM assessment_tasks t WHERE t.zone_id = z.id AND t.assignee_id = $1::text
                     AND t.status IN ('offered', 'accepted', 'on_scene')) AS open_tasks
           FROM zones z
           WHERE z.id = ANY($2::text[]) OR ($3::text = 'adjuster' AND z.kind = 'urban')
              OR EXISTS (SELECT 1 FROM assessment_tasks t WHERE t.zone_id = z.id AND t.assignee_id = $1::text
                           AND t.status IN ('offered', 'accepted', 'on_scene'))
           ORDER BY z.id""",
        me["id"],
        list(me["zones"] or []),
        me["kind"],
    )
    features, bounds = [], None
    for r in rows:
        geometry = simplified(r["geometry"])
        b = shape(geometry).bounds
        bounds = (
            b
            if bounds is None
            else (
                min(bounds[0], b[0]),
                min(bounds[1], b[1]),
                max(bounds[2], b[2]),
                max(bounds[3], b[3]),
            )
        )
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": geometry,
                "properties": {
                    "id": r["id"],
                    "name": r["name"],
                    "kind": r["kind"],
                    "court_exempt": r["court_exempt"],
                    "open_tasks": r["open_tasks"],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "bbox": [round(x, DECIMALS) for x in bounds] if bounds else None,
        "features": features,
    }

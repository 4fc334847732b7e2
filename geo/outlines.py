"""Zone outlines as SVG path data, for maps drawn from our own zone data (no tile server).

The reference GeoJSON is precise to metres and weighs megabytes for a province; a map on a page needs a few
hundred metres and a few tens of kilobytes. Each zone is simplified (topology kept), projected to a plane
(equirectangular, x scaled by the cosine of the middle latitude, so a county keeps its shape at Zhejiang's
latitudes) and written as path data in whole units of a box `width` wide (an absolute move, then relative
lines). The projection is returned too, so a page places a point (a task, a scene) with x = (lon − lon0)·kx,
y = (lat0 − lat)·ky.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, shape

# ~0.005° ≈ 500 m: a county stays recognisable on a page; the whole province stays under 100 KB of path data.
SIMPLIFY_DEG = 0.005


@dataclass(frozen=True, slots=True)
class ZoneShape:
    id: str
    name: str
    city: str | None
    kind: str
    geometry: Mapping[str, Any]


def outlines(zones: Iterable[ZoneShape], *, width: int = 1000, margin: int = 10) -> dict[str, Any]:
    """`{"view_box", "projection": {lon0, lat0, kx, ky}, "zones": [{id, name, city, kind, d, label_x, label_y}]}`
    for the given zones, fitted into a box `width` wide (the height follows the zones' shape)."""
    shapes = [(z, shape(z.geometry).simplify(SIMPLIFY_DEG, preserve_topology=True)) for z in zones]
    shapes = [(z, g) for z, g in shapes if not g.is_empty]
    if not shapes:
        return {"view_box": f"0 0 {width} {width // 2}", "projection": None, "zones": []}
    min_x = min(g.bounds[0] for _, g in shapes)
    min_y = min(g.bounds[1] for _, g in shapes)
    max_x = max(g.bounds[2] for _, g in shapes)
    max_y = max(g.bounds[3] for _, g in shapes)
    cos = math.cos(math.radians((min_y + max_y) / 2))
    span = max((max_x - min_x) * cos, (max_y - min_y), 1e-6)
    k = (width - 2 * margin) / span
    kx, ky = k * cos, k
    lon0, lat0 = min_x - margin / kx, max_y + margin / ky
    height = math.ceil((max_y - min_y) * ky + 2 * margin)

    def ring(coords: Iterable[tuple[float, ...]]) -> str:
        """One ring: an absolute move, then relative lines in whole units (a unit is a pixel of a 1000 px map;
        small relative numbers compress well)."""
        points: list[tuple[int, int]] = []
        for lon, lat, *_ in coords:
            p = (round((lon - lon0) * kx), round((lat0 - lat) * ky))
            if not points or p != points[-1]:
                points.append(p)
        if len(points) > 1 and points[-1] == points[0]:
            points.pop()
        if len(points) < 3:
            return ""
        steps = "".join(f"l{b[0] - a[0]} {b[1] - a[1]}" for a, b in itertools.pairwise(points))
        return f"M{points[0][0]} {points[0][1]}{steps}z"

    def polygons(g: Any) -> list[Polygon]:
        if isinstance(g, Polygon):
            return [g]
        if isinstance(g, MultiPolygon):
            return list(g.geoms)
        return [p for p in getattr(g, "geoms", []) if isinstance(p, Polygon)]

    out = []
    for z, g in shapes:
        d = "".join(
            ring(p.exterior.coords) + "".join(ring(i.coords) for i in p.interiors)
            for p in polygons(g)
        )
        label = g.representative_point()
        out.append(
            {
                "id": z.id,
                "name": z.name,
                "city": z.city,
                "kind": z.kind,
                "d": d,
                "label_x": round((label.x - lon0) * kx, 1),
                "label_y": round((lat0 - label.y) * ky, 1),
            }
        )
    return {
        "view_box": f"0 0 {width} {height}",
        "projection": {"lon0": lon0, "lat0": lat0, "kx": kx, "ky": ky},
        "zones": out,
    }

"""Which zone a WGS-84 point is in: an STRtree over prepared polygons, built once per reference version.

Routing rules (what `lookup` returns), with `tolerance_m` (default 200 m) and "boundary" meaning the
boundary of any zone:
1. Inside exactly one zone and farther than the tolerance from every boundary: that zone, not flagged.
2. Inside exactly one zone, within the tolerance of a boundary: that zone, flagged `near_boundary` (the
   GPS fix may belong on the other side; review and routing may want to know).
3. Inside several zones (neighbours overlap a little where boundaries were simplified, or the point lies
   exactly on a shared edge): the zone in whose interior the point lies deepest (farthest from that
   zone's boundary); ties go to the smallest zone id. Always flagged.
4. Inside no zone but within the tolerance of one (the small gaps between simplified neighbours, or just
   off the coast): the nearest zone, ties to the smallest id; flagged, `inside` false.
5. Farther than the tolerance from every zone: None (outside the service area).
`boundary_distance_m` is the distance to the nearest boundary when within the tolerance, else None.

Metres: see geo.boundaries (local equirectangular frame at the point's latitude; millimetre error).
Speed: each zone also has a "core", the polygon shrunk by a number of degrees that exceeds the tolerance
everywhere in the area. A point inside exactly one zone and inside its core is decided by rule 1 at once;
this assumes neighbours never overlap by more than the tolerance (true of real boundary data, where
overlaps come from simplification). Only the remaining few percent of points reach the exact step.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry import shape

from geo.boundaries import BoundarySegments
from geo.coords import METRES_PER_DEGREE, metres_per_degree
from geo.grid import EMPTY, MIXED, CellGrid


class ZoneLike(Protocol):
    id: str
    kind: str
    court_exempt: bool
    geometry: Any  # GeoJSON mapping or a shapely (Multi)Polygon, WGS-84 lon/lat


@dataclass(frozen=True, slots=True)
class ZoneHit:
    """The zone a point routes to, whether it is near a boundary, and whether it lies inside the zone."""

    zone_id: str
    kind: str
    court_exempt: bool
    near_boundary: bool
    boundary_distance_m: float | None
    inside: bool


class ZoneIndex:
    """Immutable point-in-zone index; build once per reference version and share it."""

    def __init__(
        self, zones: Sequence[ZoneLike], *, tolerance_m: float, version: int | None, grid_cells: int
    ) -> None:
        self.version = version
        self.tolerance_m = tolerance_m
        self._ids = [z.id for z in zones]
        self._kinds = [z.kind for z in zones]
        self._exempt = [bool(z.court_exempt) for z in zones]
        geoms = [
            z.geometry if isinstance(z.geometry, shapely.Geometry) else shape(z.geometry)
            for z in zones
        ]
        self._geoms = np.array(geoms, dtype=object)
        self._segments = BoundarySegments(self._geoms)
        ymin, ymax = shapely.total_bounds(self._geoms)[[1, 3]]
        # Longitude degrees are shortest at the highest latitude; 3 % covers the buffer's chords on arcs.
        coldest = math.cos(math.radians(max(abs(ymin), abs(ymax))))
        margin_deg = 1.03 * tolerance_m / (METRES_PER_DEGREE * coldest)
        self._cores = shapely.buffer(self._geoms, -margin_deg)
        # Halos: outside every halo a point is provably farther than the tolerance from every zone.
        self._halos = shapely.buffer(self._geoms, margin_deg)
        shapely.prepare(self._geoms)
        shapely.prepare(self._cores)
        shapely.prepare(self._halos)
        self._tree = shapely.STRtree(self._geoms)
        self._halo_tree = shapely.STRtree(self._halos)
        self._grid = CellGrid(self._halos, self._cores, cells=grid_cells)
        # Index len(zones) is "no zone": lets numpy pick hits for a whole batch at once.
        self._deep_hits = np.array(
            [self._hit(i, None, inside=True) for i in range(len(zones))] + [None]
        )

    @classmethod
    def build(
        cls,
        zones: Iterable[ZoneLike],
        *,
        tolerance_m: float = 200.0,
        version: int | None = None,
        grid_cells: int = 512,
    ) -> ZoneIndex:
        """Index `zones` (WGS-84); duplicate ids are refused because hits are reported by id."""
        zones = list(zones)
        if len({z.id for z in zones}) != len(zones):
            raise ValueError("duplicate zone ids")
        return cls(zones, tolerance_m=tolerance_m, version=version, grid_cells=grid_cells)

    def __len__(self) -> int:
        return len(self._ids)

    def lookup(self, lat: float, lon: float) -> ZoneHit | None:
        """Route one WGS-84 point by the rules in the module docstring."""
        code, candidates = self._grid.locate(lon, lat)
        if code >= 0:
            return self._deep_hits[code]
        if code == EMPTY:
            return None
        covering = candidates[shapely.intersects_xy(self._geoms[candidates], lon, lat)]
        if covering.size == 1 and shapely.contains_xy(self._cores[covering[0]], lon, lat):
            return self._deep_hits[int(covering[0])]
        if (
            covering.size == 0
            and not shapely.intersects_xy(self._halos[candidates], lon, lat).any()
        ):
            return None
        return self._decide(
            lat, lon, covering.tolist(), self._segments.near_one(lat, lon, self.tolerance_m)
        )

    def lookup_many(
        self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray
    ) -> list[ZoneHit | None]:
        """Route many points at once: the same answers as `lookup`, with the common case vectorised."""
        ys, xs = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        codes = self._grid.codes(xs, ys)
        out: list[ZoneHit | None] = self._deep_hits[
            np.where(codes >= 0, codes, len(self._ids))
        ].tolist()
        mixed = np.flatnonzero(codes == MIXED)
        for p, hit in zip(mixed.tolist(), self._geometric(ys[mixed], xs[mixed]), strict=True):
            out[p] = hit
        return out

    def _geometric(self, ys: np.ndarray, xs: np.ndarray) -> list[ZoneHit | None]:
        """The points the raster left open: containment and cores vectorised, then the exact rules."""
        n = xs.size
        pi, gi = self._tree.query(shapely.points(xs, ys))
        keep = shapely.intersects_xy(self._geoms[gi], xs[pi], ys[pi])
        pi, gi = pi[keep], gi[keep]
        count = np.bincount(pi, minlength=n)
        zone_of = np.full(n, -1)
        zone_of[pi] = gi
        single = np.flatnonzero(count == 1)
        deep = single[shapely.contains_xy(self._cores[zone_of[single]], xs[single], ys[single])]
        pick = np.full(n, len(self._ids))
        pick[deep] = zone_of[deep]
        out: list[ZoneHit | None] = self._deep_hits[pick].tolist()
        rest = count > 0
        rest[deep] = False
        outside = np.flatnonzero(count == 0)
        rest[outside[self._in_halo(ys[outside], xs[outside])]] = True
        band = np.flatnonzero(rest)
        covering: dict[int, list[int]] = defaultdict(list)
        local = np.full(n, -1)
        local[band] = np.arange(band.size)
        in_band = rest[pi]
        for p, g in zip(local[pi[in_band]].tolist(), gi[in_band].tolist(), strict=True):
            covering[p].append(g)
        for p, hit in zip(band.tolist(), self._exact(ys[band], xs[band], covering), strict=True):
            out[p] = hit
        return out

    def _in_halo(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Which points lie in some zone's halo (the only ones that can be within the tolerance)."""
        hp, hg = self._halo_tree.query(shapely.points(lons, lats))
        hit = np.zeros(lats.size, dtype=bool)
        hit[hp[shapely.intersects_xy(self._halos[hg], lons[hp], lats[hp])]] = True
        return hit

    def _exact(
        self, lats: np.ndarray, lons: np.ndarray, covering: dict[int, list[int]]
    ) -> list[ZoneHit | None]:
        """Rules 2–5 for points that are not deep inside one zone; `covering` maps point -> zones."""
        near: dict[int, dict[int, float]] = defaultdict(dict)
        for p, g, d in zip(
            *(a.tolist() for a in self._segments.near(lats, lons, self.tolerance_m)), strict=True
        ):
            near[p][g] = d
        out: list[ZoneHit | None] = [None] * lats.size
        for p in set(covering) | set(near):
            out[p] = self._decide(
                float(lats[p]), float(lons[p]), covering.get(p, []), near.get(p, {})
            )
        return out

    def _decide(
        self, lat: float, lon: float, covers: list[int], dists: dict[int, float]
    ) -> ZoneHit | None:
        """Rules 2–5 for one point, given the zones covering it and metres to each boundary within reach."""
        nearest = min(dists.values()) if dists else None
        if len(covers) == 1:
            return self._hit(covers[0], nearest, inside=True)
        if covers:
            depth = {g: dists[g] if g in dists else self._depth_m(g, lat, lon) for g in covers}
            best = min(covers, key=lambda g: (-depth[g], self._ids[g]))
            return self._hit(best, nearest, inside=True, overlap=True)
        if dists:
            best = min(dists, key=lambda g: (dists[g], self._ids[g]))
            return self._hit(best, nearest, inside=False)
        return None

    def _depth_m(self, i: int, lat: float, lon: float) -> float:
        """Rare: metres to a boundary beyond the tolerance (deep overlaps), over the whole boundary."""
        kx, ky = metres_per_degree(lat)
        local = shapely.transform(
            shapely.boundary(self._geoms[i]), lambda c: (c - (lon, lat)) * (kx, ky)
        )
        return float(shapely.distance(local, shapely.Point(0.0, 0.0)))

    def _hit(
        self, i: int, distance: float | None, *, inside: bool, overlap: bool = False
    ) -> ZoneHit:
        near = overlap or distance is not None
        # Millimetres: the frame is no more exact, and batch and single paths then agree bit for bit.
        metres = None if distance is None else round(distance, 3)
        return ZoneHit(self._ids[i], self._kinds[i], self._exempt[i], near, metres, inside)

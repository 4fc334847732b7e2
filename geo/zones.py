"""Which zone a WGS-84 point is in: an STRtree over prepared polygons, built once per reference version.

Routing rules (what `lookup` returns), with `tolerance_m` (default 200 m):
1. Inside exactly one zone and farther than the tolerance from its boundary: that zone, not flagged.
2. Inside exactly one zone, within the tolerance of its boundary: that zone, flagged `near_boundary`
   (the GPS fix may be on the other side; a reviewer or the routing step may want to know).
3. Inside several zones (neighbours overlap a little where boundaries were simplified, or a point lies
   exactly on a shared edge): the zone whose boundary is farthest, i.e. the point lies deepest in its
   interior; ties go to the smallest zone id. Always flagged.
4. Inside no zone but within the tolerance of one (the small gaps between simplified neighbours, or just
   off the coast): the nearest zone, flagged, `inside` false.
5. Farther than the tolerance from every zone: None (outside the service area).

Metres come from a local equirectangular projection at the point's latitude, applied to the part of the
boundary within the tolerance; over a few hundred metres its error is millimetres. Most points skip that
work: each zone carries a "core", the polygon shrunk by a conservative number of degrees, and a point in
its zone's core is provably farther than the tolerance from every boundary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry import shape

from geo.coords import METRES_PER_DEGREE, metres_per_degree


class ZoneLike(Protocol):
    id: str
    kind: str
    court_exempt: bool
    geometry: Any  # GeoJSON mapping or a shapely (Multi)Polygon, WGS-84 lon/lat


@dataclass(frozen=True, slots=True)
class ZoneHit:
    """The zone a point routes to; `boundary_distance_m` is None when farther than the tolerance."""

    zone_id: str
    kind: str
    court_exempt: bool
    near_boundary: bool
    boundary_distance_m: float | None
    inside: bool


class ZoneIndex:
    """Immutable point-in-zone index; build once per reference version and share it."""

    def __init__(self, zones: Sequence[ZoneLike], *, tolerance_m: float, version: int | None) -> None:
        self.version = version
        self.tolerance_m = tolerance_m
        self._ids = [z.id for z in zones]
        self._kinds = [z.kind for z in zones]
        self._exempt = [bool(z.court_exempt) for z in zones]
        geoms = [z.geometry if isinstance(z.geometry, shapely.Geometry) else shape(z.geometry) for z in zones]
        self._geoms = np.array(geoms, dtype=object)
        self._boundaries = shapely.boundary(self._geoms)
        ymin, ymax = shapely.total_bounds(self._geoms)[[1, 3]]
        # Degrees that surely exceed the tolerance everywhere in the area: longitude degrees are the
        # shortest at the highest latitude; 3 % margin covers the buffer's chord approximation of arcs.
        coldest = math.cos(math.radians(max(abs(ymin), abs(ymax))))
        self._tol_deg = 1.03 * tolerance_m / (METRES_PER_DEGREE * coldest)
        self._cores = shapely.buffer(self._geoms, -self._tol_deg)
        shapely.prepare(self._geoms)
        shapely.prepare(self._cores)
        self._tree = shapely.STRtree(self._geoms)
        self._deep_hits = [self._hit(i, near=False, distance=None, inside=True) for i in range(len(zones))]

    @classmethod
    def build(
        cls, zones: Iterable[ZoneLike], *, tolerance_m: float = 200.0, version: int | None = None
    ) -> ZoneIndex:
        """Index `zones` (WGS-84); duplicate ids are refused because hits are reported by id."""
        zones = list(zones)
        if len({z.id for z in zones}) != len(zones):
            raise ValueError("duplicate zone ids")
        return cls(zones, tolerance_m=tolerance_m, version=version)

    def __len__(self) -> int:
        return len(self._ids)

    def lookup(self, lat: float, lon: float) -> ZoneHit | None:
        """Route one WGS-84 point by the rules in the module docstring."""
        candidates = self._tree.query(shapely.points(lon, lat))
        covering = candidates[shapely.intersects_xy(self._geoms[candidates], lon, lat)]
        if covering.size == 1 and shapely.contains_xy(self._cores[covering[0]], lon, lat):
            return self._hit(int(covering[0]), near=False, distance=None, inside=True)
        return self._resolve(lat, lon, covering)

    def lookup_many(
        self, lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray
    ) -> list[ZoneHit | None]:
        """Route many points at once: the same answers as `lookup`, with the common case vectorised."""
        ys, xs = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        n = xs.size
        pi, gi = self._tree.query(shapely.points(xs, ys))
        keep = shapely.intersects_xy(self._geoms[gi], xs[pi], ys[pi])
        pi, gi = pi[keep], gi[keep]
        count = np.bincount(pi, minlength=n)
        zone_of = np.full(n, -1)
        zone_of[pi] = gi
        single = np.flatnonzero(count == 1)
        deep = single[shapely.contains_xy(self._cores[zone_of[single]], xs[single], ys[single])]
        out: list[ZoneHit | None] = [None] * n
        for p, g in zip(deep.tolist(), zone_of[deep].tolist(), strict=True):
            out[p] = self._deep_hits[g]
        rest = np.ones(n, dtype=bool)
        rest[deep] = False
        # Points in no zone: only those with some zone within the tolerance need the exact check.
        outside = np.flatnonzero(rest & (count == 0))
        near, _ = self._tree.query(
            shapely.points(xs[outside], ys[outside]), predicate="dwithin", distance=self._tol_deg
        )
        far = np.ones(outside.size, dtype=bool)
        far[near] = False
        rest[outside[far]] = False
        for p in np.flatnonzero(rest).tolist():
            out[p] = self.lookup(float(ys[p]), float(xs[p]))
        return out

    def _resolve(self, lat: float, lon: float, covering: np.ndarray) -> ZoneHit | None:
        if covering.size == 1:
            i = int(covering[0])
            d = self._boundary_m(i, lat, lon)
            near = d <= self.tolerance_m
            return self._hit(i, near=near, distance=d if near else None, inside=True)
        if covering.size > 1:
            # Rule 3: deepest wins; whole-boundary distances also rank overlaps deeper than the tolerance.
            depth = {int(i): self._boundary_m(int(i), lat, lon, limit=False) for i in covering}
            best = min(depth, key=lambda i: (-depth[i], self._ids[i]))
            d = depth[best]
            return self._hit(best, near=True, distance=d if d <= self.tolerance_m else None, inside=True)
        nearby = self._tree.query(shapely.points(lon, lat), predicate="dwithin", distance=self._tol_deg)
        dist = {int(i): self._boundary_m(int(i), lat, lon) for i in nearby}
        if not dist:
            return None
        best = min(dist, key=lambda i: (dist[i], self._ids[i]))
        if dist[best] > self.tolerance_m:
            return None
        return self._hit(best, near=True, distance=dist[best], inside=False)

    def _boundary_m(self, i: int, lat: float, lon: float, *, limit: bool = True) -> float:
        """Metres from the point to zone i's boundary; inf if beyond the tolerance (when `limit`)."""
        kx, ky = metres_per_degree(lat)
        line = self._boundaries[i]
        if limit:
            # A square of half-side `tolerance` around the point holds every boundary point within it.
            hx, hy = 1.001 * self.tolerance_m / kx, 1.001 * self.tolerance_m / ky
            line = shapely.clip_by_rect(line, lon - hx, lat - hy, lon + hx, lat + hy)
            if line.is_empty:
                return math.inf
        local = shapely.transform(line, lambda c: (c - (lon, lat)) * (kx, ky))
        d = float(shapely.distance(local, shapely.points(0.0, 0.0)))
        return d if not limit or d <= self.tolerance_m else math.inf

    def _hit(self, i: int, *, near: bool, distance: float | None, inside: bool) -> ZoneHit:
        return ZoneHit(self._ids[i], self._kinds[i], self._exempt[i], near, distance, inside)

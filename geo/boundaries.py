"""Metre distances from points to nearby zone boundaries, vectorised over points and boundary segments.

Every boundary is cut into its straight segments, indexed by an STRtree of their bounding boxes. For a
point, the segments whose boxes meet a square of half-side `radius_m` around it are projected into a local
equirectangular frame at the point's latitude (x = Δlon·cos φ·R, y = Δlat·R, with R in metres per radian)
and the point-to-segment distance is taken there. The projection is affine, so a segment that is straight
in lon/lat stays straight; within a few hundred metres its scale error is about 1e-5, i.e. millimetres.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from geo.coords import METRES_PER_DEGREE


class BoundarySegments:
    """The boundary segments of a list of polygons, and for query points the metres to each near zone."""

    def __init__(self, geoms: np.ndarray) -> None:
        # get_rings skips MultiPolygons: split them into their polygons first.
        parts, part_zone = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_zone = part_zone[ring_part]
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        same_ring = ring_of[1:] == ring_of[:-1]
        self._a = coords[:-1][same_ring]
        self._b = coords[1:][same_ring]
        self._zone = ring_zone[ring_of[:-1][same_ring]]
        lo, hi = np.minimum(self._a, self._b), np.maximum(self._a, self._b)
        self._tree = shapely.STRtree(shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]))
        self._zones = len(geoms)

    def near(
        self, lats: np.ndarray, lons: np.ndarray, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point index, zone index, metres) for every zone with a boundary within `radius_m` of a point."""
        kx = METRES_PER_DEGREE * np.cos(np.radians(lats))
        hx, hy = radius_m / kx, radius_m / METRES_PER_DEGREE
        boxes = shapely.box(lons - hx, lats - hy, lons + hx, lats + hy)
        pi, si = self._tree.query(boxes)
        if pi.size == 0:
            empty = np.empty(0, dtype=np.intp)
            return empty, empty, np.empty(0)
        origin = np.stack([lons[pi], lats[pi]], axis=1)
        scale = np.stack([kx[pi], np.full(pi.size, METRES_PER_DEGREE)], axis=1)
        a = (self._a[si] - origin) * scale
        ab = (self._b[si] - origin) * scale - a
        length2 = np.einsum("ij,ij->i", ab, ab)
        # Degenerate (zero-length) segments: t = 0 measures to the endpoint.
        t = np.clip(-np.einsum("ij,ij->i", a, ab) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        d = np.hypot(*(a + t[:, None] * ab).T)
        key = pi * self._zones + self._zone[si]
        order = np.argsort(key, kind="stable")
        keys, starts = np.unique(key[order], return_index=True)
        dmin = np.minimum.reduceat(d[order], starts)
        within = dmin <= radius_m
        keys, dmin = keys[within], dmin[within]
        return keys // self._zones, keys % self._zones, dmin

    def near_one(self, lat: float, lon: float, radius_m: float) -> dict[int, float]:
        """`near` for one point in plain Python: a handful of segments costs less than numpy's overhead."""
        kx = METRES_PER_DEGREE * math.cos(math.radians(lat))
        hx, hy = radius_m / kx, radius_m / METRES_PER_DEGREE
        found: dict[int, float] = {}
        for s in self._tree.query(shapely.box(lon - hx, lat - hy, lon + hx, lat + hy)).tolist():
            (ax, ay), (bx, by) = self._a[s].tolist(), self._b[s].tolist()
            ax, ay, bx, by = (
                (ax - lon) * kx,
                (ay - lat) * METRES_PER_DEGREE,
                (bx - lon) * kx,
                (by - lat) * METRES_PER_DEGREE,
            )
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = min(1.0, max(0.0, -(ax * dx + ay * dy) / length2)) if length2 > 0 else 0.0
            d = math.hypot(ax + t * dx, ay + t * dy)
            zone = int(self._zone[s])
            if d <= radius_m and d < found.get(zone, math.inf):
                found[zone] = d
        return found

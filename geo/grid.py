"""A raster over the zones that decides most points with one array lookup, before any geometry test.

Each cell is EMPTY (its box meets no zone's halo: every point in it is farther than the tolerance from
every zone), DEEP (its box meets exactly one halo and lies inside that zone's core: rule 1 holds for every
point in it), or MIXED (anything else: the caller runs the exact path). Classifying a cell by its whole
box keeps the raster conservative, so it changes speed, never answers.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

EMPTY = -2
MIXED = -1
MAX_CELLS = 1024


class CellGrid:
    """Cell codes: EMPTY, MIXED, or the index of the zone the whole cell is deep inside."""

    def __init__(self, halos: np.ndarray, cores: np.ndarray, *, cells: int) -> None:
        x0, y0, x1, y1 = shapely.total_bounds(halos)
        self._x0, self._y0 = float(x0), float(y0)
        extent = max(x1 - x0, y1 - y0)
        bounds = shapely.bounds(halos)
        typical = float(
            np.median(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]))
        )
        # `cells` along the longer side, finer where zones are small (about 8 cells across a typical
        # zone) so most cells can be DEEP, but never past MAX_CELLS a side (memory and build time).
        self._size = max(min(extent / cells, typical / 8), extent / MAX_CELLS)
        self._nx = max(1, math.ceil((x1 - x0) / self._size))
        self._ny = max(1, math.ceil((y1 - y0) / self._size))
        iy, ix = np.divmod(np.arange(self._nx * self._ny), self._nx)
        bx, by = self._x0 + ix * self._size, self._y0 + iy * self._size
        boxes = shapely.box(bx, by, bx + self._size, by + self._size)
        # Bounding-box candidates first, then the prepared zone geometry (fast for a box against it).
        ci, hi = shapely.STRtree(halos).query(boxes)
        touching = shapely.intersects(halos[hi], boxes[ci])
        ci, hi = ci[touching], hi[touching]
        count = np.bincount(ci, minlength=boxes.size)
        codes = np.where(count == 0, EMPTY, MIXED)
        only = np.zeros(boxes.size, dtype=np.intp)
        only[ci] = hi
        single = np.flatnonzero(count == 1)
        deep = single[shapely.contains(cores[only[single]], boxes[single])]
        codes[deep] = only[deep]
        self._codes = codes.reshape(self._ny, self._nx)
        # Per cell, the zones whose halos meet it (CSR layout): single lookups skip the STRtree.
        order = np.argsort(ci, kind="stable")
        self._zones = hi[order]
        self._starts = np.concatenate([[0], np.cumsum(count)])

    def codes(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """The cell code of every point; points beyond the raster are EMPTY (it spans every halo)."""
        ix = np.floor((xs - self._x0) / self._size).astype(np.intp)
        iy = np.floor((ys - self._y0) / self._size).astype(np.intp)
        inside = (ix >= 0) & (ix < self._nx) & (iy >= 0) & (iy < self._ny)
        out = np.full(xs.size, EMPTY, dtype=np.intp)
        out[inside] = self._codes[iy[inside], ix[inside]]
        return out

    def locate(self, x: float, y: float) -> tuple[int, np.ndarray]:
        """The cell code of one point and the zones whose halos meet its cell, without array overhead."""
        ix, iy = math.floor((x - self._x0) / self._size), math.floor((y - self._y0) / self._size)
        if not (0 <= ix < self._nx and 0 <= iy < self._ny):
            return EMPTY, self._zones[:0]
        cell = iy * self._nx + ix
        return int(self._codes[iy, ix]), self._zones[self._starts[cell] : self._starts[cell + 1]]

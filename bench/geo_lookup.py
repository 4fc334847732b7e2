"""Zone lookup: ZoneIndex against a naive loop of polygon.contains, on real and synthetic zones (BENCH.md)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape

from geo.zones import ZoneIndex

NAME = "geo_lookup"
SEED = 42
RUNS = 3
POINTS = 100_000
NAIVE_SAMPLE = 2_000  # synthetic zones only: the naive loop over 3,000 polygons is extrapolated
TARGET_RATIO = 15.0
REPO = Path(__file__).resolve().parents[1]
REAL_ZONES = REPO.parent / "shared" / "data" / "zhejiang-counties.geojson"
# The same 90 polygons, for clones without ../shared beside them.
FALLBACK_ZONES = REPO / "data" / "sample" / "zones.geojson"
# A 60 × 50 grid of cells (61 × 51 nodes) over 118–123°E, 27–31.5°N: 3,000 zones, 8 points per edge.
GRID = (60, 50, 118.0, 123.0, 27.0, 31.5, 8)


@dataclass(frozen=True, slots=True)
class BenchZone:
    id: str
    kind: str
    court_exempt: bool
    geometry: Any


def real_zones() -> list[BenchZone]:
    """The 90 Zhejiang counties in file order."""
    path = REAL_ZONES if REAL_ZONES.exists() else FALLBACK_ZONES
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return [
        BenchZone(f["properties"]["id"], f["properties"]["kind"], False, shape(f["geometry"]))
        for f in features
    ]


def synthetic_zones(rng: np.random.Generator) -> list[BenchZone]:
    """Jittered grid cells that share edges exactly (each edge is generated once), 32 vertices per cell."""
    nx, ny, x0, x1, y0, y1, per_edge = GRID
    dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
    gx, gy = np.meshgrid(np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1))
    nodes = np.stack([gx, gy], axis=-1) + rng.uniform(-0.25, 0.25, (ny + 1, nx + 1, 2)) * (dx, dy)
    t = np.linspace(0, 1, per_edge + 1)[1:-1, None]

    def edge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Interior points along a→b with a small sideways wiggle, so edges are not straight lines.
        normal = np.array([-(b - a)[1], (b - a)[0]])
        return a + t * (b - a) + rng.uniform(-0.04, 0.04, (per_edge - 1, 1)) * normal

    horizontal = {
        (j, i): edge(nodes[j, i], nodes[j, i + 1]) for j in range(ny + 1) for i in range(nx)
    }
    vertical = {
        (j, i): edge(nodes[j, i], nodes[j + 1, i]) for j in range(ny) for i in range(nx + 1)
    }
    zones = []
    for j in range(ny):
        for i in range(nx):
            ring = np.concatenate(
                [
                    nodes[j, i][None],
                    horizontal[j, i],
                    nodes[j, i + 1][None],
                    vertical[j, i + 1],
                    nodes[j + 1, i + 1][None],
                    horizontal[j + 1, i][::-1],
                    nodes[j + 1, i][None],
                    vertical[j, i][::-1],
                ]
            )
            kind = "urban" if (i + j) % 3 else "rural"
            zones.append(BenchZone(f"syn-{j:02d}-{i:02d}", kind, False, shapely.Polygon(ring)))
    assert all(len(z.geometry.exterior.coords) == 4 * per_edge + 1 for z in zones)
    assert all(z.geometry.is_valid for z in zones), "jitter produced an invalid cell"
    return zones


def uniform_points(
    zones: list[BenchZone], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """POINTS points uniform over the zones' bounding box: (lats, lons)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds([z.geometry for z in zones])
    return rng.uniform(ymin, ymax, POINTS), rng.uniform(xmin, xmax, POINTS)


def naive(zones: list[BenchZone], lats: np.ndarray, lons: np.ndarray) -> list[str | None]:
    """The obvious loop: every polygon in order, contains(Point), first hit wins."""
    polygons = [(z.id, z.geometry) for z in zones]
    out: list[str | None] = []
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        point = Point(lon, lat)
        out.append(next((zid for zid, poly in polygons if poly.contains(point)), None))
    return out


def ceiling(tree: shapely.STRtree, lats: np.ndarray, lons: np.ndarray) -> int:
    """A raw per-point STRtree query with the `within` predicate: containment only, no routing rules."""
    return sum(
        tree.query(Point(lon, lat), predicate="within").size
        for lat, lon in zip(lats, lons, strict=True)
    )


def timed(fn: Callable[[], object], points: int) -> float:
    """Points per second for one call of fn covering `points` points."""
    started = time.perf_counter()
    fn()
    return points / (time.perf_counter() - started)


def check_agreement(
    index: ZoneIndex, zones: list[BenchZone], lats: np.ndarray, lons: np.ndarray
) -> None:
    """Before timing: wherever the index does not flag a point, it must name the naive loop's zone."""
    expected = naive(zones, lats, lons)
    for hit, want in zip(index.lookup_many(lats, lons), expected, strict=True):
        if hit is None or not hit.near_boundary:
            assert (hit.zone_id if hit else None) == want, (hit, want)
        elif want is None:
            assert not hit.inside, hit


def measure(
    label: str, zones: list[BenchZone], rng: np.random.Generator, *, sample: int
) -> list[dict[str, Any]]:
    """Median of RUNS for the batch lookup, per-point lookup, the naive loop and the ceiling."""
    lats, lons = uniform_points(zones, rng)
    index = ZoneIndex.build(zones)
    check_agreement(index, zones, lats[:2_000], lons[:2_000])
    tree = shapely.STRtree([z.geometry for z in zones])
    base, batch, single, ceil = [], [], [], []
    for _ in range(RUNS):
        base.append(timed(lambda: naive(zones, lats[:sample], lons[:sample]), sample))
        batch.append(timed(lambda: index.lookup_many(lats, lons), POINTS))
        single.append(
            timed(
                lambda: [
                    index.lookup(a, b) for a, b in zip(lats.tolist(), lons.tolist(), strict=True)
                ],
                POINTS,
            )
        )
        ceil.append(timed(lambda: ceiling(tree, lats, lons), POINTS))
    naive_note = "" if sample == POINTS else f", naive on {sample:,} points extrapolated"
    unit = f"points/s ({len(zones):,} zones, {POINTS:,} points{naive_note})"
    return [
        _row(f"zone lookup, {label}: ZoneIndex.lookup_many", batch, base, unit, target=True),
        _row(
            f"zone lookup, {label}: ZoneIndex.lookup, one call per point",
            single,
            base,
            unit,
            target=False,
        ),
        _row(
            f"zone lookup, {label}: ceiling, raw STRtree.query(within) per point",
            ceil,
            base,
            unit,
            target=False,
        ),
    ]


def _row(
    measure: str, ours: list[float], base: list[float], unit: str, *, target: bool
) -> dict[str, Any]:
    value, baseline = statistics.median(ours), statistics.median(base)
    ratio = value / baseline
    return {
        "measure": measure,
        "value": round(value),
        "baseline": round(baseline),
        "ratio": round(ratio, 1),
        "target": f"≥ {TARGET_RATIO:g}× naive loop" if target else "— (reported, not a target)",
        "met": ratio >= TARGET_RATIO if target else None,
        "spread": f"{min(ours):,.0f}–{max(ours):,.0f} (baseline {min(base):,.0f}–{max(base):,.0f})",
        "unit": unit,
    }


def run() -> list[dict[str, Any]]:
    """Real zones (naive on all points) then synthetic zones (naive on a sample), each seeded 42."""
    rows = measure(
        "90 real Zhejiang counties", real_zones(), np.random.default_rng(SEED), sample=POINTS
    )
    synthetic = synthetic_zones(np.random.default_rng(SEED))
    rows += measure(
        "3,000 synthetic grid cells", synthetic, np.random.default_rng(SEED), sample=NAIVE_SAMPLE
    )
    return rows


def main() -> None:
    """Print the rows as the markdown table of BENCH.md."""
    if not REAL_ZONES.exists():
        print(
            f"note: {REAL_ZONES} not found; using {FALLBACK_ZONES} (the same 90 polygons)",
            file=sys.stderr,
        )
    print("| measure | value | baseline | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for row in run():
        met = "—" if row["met"] is None else ("yes" if row["met"] else "no")
        print(
            f"| {row['measure']} | {row['value']:,} {row['unit']} [{row['spread']}] | {row['baseline']:,} | "
            f"{row['ratio']}× | {row['target']} | {met} |"
        )
    print(
        "\nBaseline: a Python loop over the polygons in order, polygon.contains(Point(x, y)), first hit. "
        "ZoneIndex also applies the near-boundary rules (200 m, metre-accurate) that the baseline does not."
    )


if __name__ == "__main__":
    main()

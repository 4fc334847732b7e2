"""Zone lookup on the five fixture counties: the routing rules of geo.zones, table-driven and pure."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.coords import haversine_m, metres_per_degree
from geo.reference import read_reference_dir
from geo.zones import ZoneIndex

ZONES = read_reference_dir(Path(__file__).parents[1] / "fixtures" / "reference").zones
INDEX = ZoneIndex.build(ZONES)
SHAPES = {z.id: shape(z.geometry) for z in ZONES}
# A vertex the 上城区 and 拱墅区 polygons share exactly.
SHARED_VERTEX = (30.287745461491127, 120.17935741783273)


@pytest.mark.parametrize(
    ("lat", "lon", "zone_id", "kind", "exempt"),
    [
        (30.29575, 120.23538, "zj-330102", "urban", False),  # 上城区
        (30.33252, 120.14148, "zj-330105", "urban", False),  # 拱墅区
        (30.21968, 120.08150, "zj-330106", "urban", False),  # 西湖区
        (29.84066, 119.53585, "zj-330122", "rural", False),  # 桐庐县
        (30.66376, 122.56386, "zj-330922", "rural", True),  # 嵊泗县
    ],
)
def test_a_point_deep_inside_a_zone_routes_there_unflagged(
    lat: float, lon: float, zone_id: str, kind: str, exempt: bool
) -> None:
    hit = INDEX.lookup(lat, lon)
    assert hit is not None
    assert (hit.zone_id, hit.kind, hit.court_exempt, hit.near_boundary, hit.inside) == (
        zone_id,
        kind,
        exempt,
        False,
        True,
    )


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (31.2304, 121.4737),  # Shanghai
        (29.8683, 121.5440),  # Ningbo: in Zhejiang, not in the fixture set
        (30.669266, 122.541154),  # sea, ~340 m off 嵊泗: beyond the 200 m tolerance
        (0.0, 0.0),
    ],
)
def test_a_point_outside_the_service_area_routes_nowhere(lat: float, lon: float) -> None:
    assert INDEX.lookup(lat, lon) is None


@pytest.mark.parametrize(
    ("lat", "lon", "zone_id", "inside", "metres", "why"),
    [
        (30.319792, 120.201298, "zj-330102", True, 76.43, "inside 上城区, 76 m from 拱墅区's edge"),
        (30.315579, 120.196529, "zj-330102", True, 0.25, "in both polygons: deepest interior wins"),
        (
            *SHARED_VERTEX,
            "zj-330102",
            True,
            0.0,
            "on the shared edge: equal depth, smallest id wins",
        ),
        (30.260421, 120.164255, "zj-330105", False, 2.60, "in a simplification gap: nearest zone"),
        (30.678114, 122.561566, "zj-330922", False, 137.70, "138 m off 嵊泗's coast: nearest zone"),
    ],
)
def test_points_near_a_boundary_are_routed_deterministically_and_flagged(
    lat: float, lon: float, zone_id: str, inside: bool, metres: float, why: str
) -> None:
    hit = INDEX.lookup(lat, lon)
    assert hit is not None, why
    assert (hit.zone_id, hit.near_boundary, hit.inside) == (zone_id, True, inside), why
    assert hit.boundary_distance_m == pytest.approx(metres, abs=0.1), why


def test_the_overlap_and_shared_vertex_cases_really_are_covered_by_two_zones() -> None:
    for lat, lon in [(30.315579, 120.196529), SHARED_VERTEX]:
        covering = [zid for zid, g in SHAPES.items() if shapely.intersects_xy(g, lon, lat)]
        assert covering == ["zj-330102", "zj-330105"]


@pytest.mark.parametrize("tolerance_m", [50.0, 200.0, 500.0])
def test_the_tolerance_is_configurable(tolerance_m: float) -> None:
    hit = ZoneIndex.build(ZONES, tolerance_m=tolerance_m).lookup(30.319792, 120.201298)
    assert hit is not None and hit.near_boundary is (tolerance_m >= 76.43)


def test_reported_boundary_distances_agree_with_haversine_to_the_nearest_boundary_point() -> None:
    lat, lon = 30.319792, 120.201298
    kx, ky = metres_per_degree(lat)
    local = shapely.transform(SHAPES["zj-330105"].boundary, lambda c: (c - (lon, lat)) * (kx, ky))
    nearest = shapely.get_coordinates(shapely.shortest_line(shapely.points(0.0, 0.0), local))[1]
    by_haversine = haversine_m(lat, lon, lat + nearest[1] / ky, lon + nearest[0] / kx)
    hit = INDEX.lookup(lat, lon)
    assert hit is not None and hit.boundary_distance_m == pytest.approx(by_haversine, abs=0.05)


def _exact_near(lat: float, lon: float) -> bool:
    """Brute force: the whole boundary of every zone projected at the point's latitude."""
    kx, ky = metres_per_degree(lat)
    origin = shapely.points(0.0, 0.0)
    local = [
        shapely.transform(g.boundary, lambda c: (c - (lon, lat)) * (kx, ky))
        for g in SHAPES.values()
    ]
    return any(shapely.distance(line, origin) <= 200.0 for line in local)


def test_batch_lookup_agrees_with_single_lookup_and_with_brute_force_near_hangzhou_boundaries() -> (
    None
):
    rng = np.random.default_rng(42)
    lats, lons = rng.uniform(30.24, 30.40, 600), rng.uniform(120.10, 120.26, 600)
    batch = INDEX.lookup_many(lats, lons)
    assert batch == [INDEX.lookup(a, b) for a, b in zip(lats, lons, strict=True)]
    for hit, lat, lon in zip(batch, lats, lons, strict=True):
        assert (hit is not None and hit.near_boundary) == _exact_near(lat, lon)
    assert sum(h is not None and h.near_boundary for h in batch) > 20, (
        "the sample must exercise the band"
    )


def test_duplicate_zone_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        ZoneIndex.build([*ZONES, ZONES[0]])


def test_distances_are_finite_whenever_a_point_is_flagged() -> None:
    hits = INDEX.lookup_many([30.2877, 30.2600, 30.3198], [120.1794, 120.1643, 120.2013])
    assert all(
        h is not None and h.near_boundary and math.isfinite(h.boundary_distance_m or 0)
        for h in hits
    )


@pytest.mark.parametrize("grid_cells", [4, 64, 1024])
def test_the_raster_resolution_changes_speed_never_answers(grid_cells: int) -> None:
    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(29.7, 30.8, 3000), rng.uniform(119.4, 122.7, 3000)
    assert ZoneIndex.build(ZONES, grid_cells=grid_cells).lookup_many(
        lats, lons
    ) == INDEX.lookup_many(lats, lons)

"""Haversine distances and the WGS-84 <-> GCJ-02 conversion: table-driven, pure."""

from __future__ import annotations

import math

import pytest

from geo.coords import EARTH_RADIUS_M, gcj02_to_wgs84, haversine_m, wgs84_to_gcj02

QUARTER = math.pi * EARTH_RADIUS_M / 2


@pytest.mark.parametrize(
    ("a", "b", "metres", "tolerance"),
    [
        ((30.25, 120.17), (30.25, 120.17), 0.0, 1e-9),
        ((0.0, 0.0), (0.0, 1.0), QUARTER / 90, 1e-6),
        ((0.0, 0.0), (1.0, 0.0), QUARTER / 90, 1e-6),
        ((0.0, 0.0), (0.0, 180.0), 2 * QUARTER, 1e-6),
        ((90.0, 0.0), (0.0, 123.0), QUARTER, 1e-6),
        (
            (60.0, 10.0),
            (60.0, 11.0),
            QUARTER / 90 / 2,
            1.0,
        ),  # a degree of longitude at 60° is half as long
        (
            (39.9042, 116.4074),
            (31.2304, 121.4737),
            1_067_300,
            1_000,
        ),  # Beijing - Shanghai, ~1067 km
    ],
)
def test_haversine_matches_known_distances(
    a: tuple, b: tuple, metres: float, tolerance: float
) -> None:
    assert haversine_m(*a, *b) == pytest.approx(metres, abs=tolerance)
    assert haversine_m(*b, *a) == pytest.approx(metres, abs=tolerance)


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # Reference pairs published with the open-source eviltransform implementations.
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
        ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ],
)
def test_wgs84_to_gcj02_matches_published_reference_pairs(wgs: tuple, gcj: tuple) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize(
    "wgs",
    [
        (30.2741, 120.1551),  # Hangzhou
        (30.7100, 122.4500),  # Shengsi islands
        (39.9042, 116.4074),  # Beijing
        (43.8256, 87.6168),  # Urumqi
        (18.2528, 109.5119),  # Sanya
        (45.8038, 126.5350),  # Harbin
    ],
)
def test_gcj02_round_trip_in_china_is_within_one_metre(wgs: tuple) -> None:
    gcj = wgs84_to_gcj02(*wgs)
    assert 50 < haversine_m(*wgs, *gcj) < 1_000, (
        "inside China GCJ-02 moves points by hundreds of metres"
    )
    assert haversine_m(*wgs, *gcj02_to_wgs84(*gcj)) < 1.0


@pytest.mark.parametrize(
    "point", [(51.5074, -0.1278), (35.6762, 139.6503), (-33.8688, 151.2093), (0.0, 0.0)]
)
def test_outside_china_there_is_no_offset_either_way(point: tuple) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point

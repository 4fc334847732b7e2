"""The routing decision, table-driven: zone kind, insurer, capacity, activity, ties, exclusions, flags."""

from __future__ import annotations

import random
import time

import pytest

from geo.coords import haversine_m
from geo.routing import Candidate, CandidateIndex, decide
from geo.zones import ZoneHit

URBAN = ZoneHit("zj-330102", "urban", False, False, None, True)
RURAL = ZoneHit("zj-330122", "rural", False, False, None, True)
NEAR_EDGE = ZoneHit("zj-330102", "urban", False, True, 80.0, True)
OFF_COAST = ZoneHit("zj-330922", "rural", True, True, 150.0, False)
SCENE = (30.2800, 120.1700)


def adj(cid: str, lat: float, lon: float, insurer: str = "PICC", **kw) -> Candidate:
    return Candidate(cid, "adjuster", lat, lon, kw.pop("capacity", 2), insurer_code=insurer, **kw)


def coord(
    cid: str, lat: float, lon: float, zones: tuple[str, ...] = ("zj-330122",), **kw
) -> Candidate:
    return Candidate(
        cid, "coordinator", lat, lon, kw.pop("capacity", 2), zones=frozenset(zones), **kw
    )


CASES = [
    (
        "urban goes to the insurer's nearest adjuster",
        URBAN,
        "PICC",
        [
            adj("a-far", 30.30, 120.17),
            adj("a-near", 30.281, 120.17),
            adj("c-nearest", 30.2801, 120.17, "CPIC"),
        ],
        ["a-near", "a-far"],
    ),
    (
        "a full adjuster is skipped",
        URBAN,
        "PICC",
        [adj("a-full", 30.2801, 120.17, open_tasks=2), adj("a-free", 30.29, 120.17)],
        ["a-free"],
    ),
    (
        "an inactive adjuster is skipped",
        URBAN,
        "PICC",
        [adj("a-off", 30.2801, 120.17, active=False), adj("a-on", 30.29, 120.17)],
        ["a-on"],
    ),
    ("zero capacity means never", URBAN, "PICC", [adj("a-zero", 30.2801, 120.17, capacity=0)], []),
    (
        "equal distances go to the smallest id",
        URBAN,
        "PICC",
        [adj("a-2", 30.29, 120.17), adj("a-1", 30.27, 120.17), adj("a-3", 30.29, 120.17)],
        ["a-1", "a-2", "a-3"],
    ),
    (
        "rural goes to a coordinator serving the zone, never an adjuster",
        RURAL,
        "PICC",
        [
            adj("a-near", 30.2801, 120.17),
            coord("k-other", 30.2801, 120.17, ("zj-330922",)),
            coord("k-far", 29.9, 119.6),
        ],
        ["k-far"],
    ),
    (
        "rural with every coordinator busy is queued",
        RURAL,
        "PICC",
        [coord("k-busy", 29.9, 119.6, open_tasks=2), adj("a-free", 29.9, 119.6)],
        [],
    ),
    (
        "urban with no adjuster of the insurer is queued",
        URBAN,
        "PINGAN",
        [adj("a", 30.28, 120.17)],
        [],
    ),
]


@pytest.mark.parametrize(
    ("rule", "hit", "insurer", "candidates", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_the_routing_rule_picks_the_expected_assessors_nearest_first(
    rule, hit, insurer, candidates, expected
):
    d = decide(hit=hit, insurer_code=insurer, lat=SCENE[0], lon=SCENE[1], candidates=candidates)
    assert [r.id for r in d.ranked] == expected
    assert d.queued is (not expected)
    assert d.kind == ("adjuster" if hit.kind == "urban" else "coordinator")


def test_distances_are_great_circle_metres():
    c = adj("a", 30.30, 120.20)
    [r] = decide(hit=URBAN, insurer_code="PICC", lat=SCENE[0], lon=SCENE[1], candidates=[c]).ranked
    assert r.distance_m == pytest.approx(haversine_m(*SCENE, 30.30, 120.20), abs=0.001)


def test_declined_or_timed_out_assessors_are_excluded():
    cs = [adj("a-1", 30.2801, 120.17), adj("a-2", 30.29, 120.17)]
    d = decide(
        hit=URBAN, insurer_code="PICC", lat=SCENE[0], lon=SCENE[1], candidates=cs, excluded={"a-1"}
    )
    assert [r.id for r in d.ranked] == ["a-2"]


@pytest.mark.parametrize(
    ("hit", "flags"),
    [(URBAN, ()), (NEAR_EDGE, ("near_boundary",)), (OFF_COAST, ("near_boundary", "outside_zone"))],
)
def test_near_boundary_and_off_zone_points_are_flagged(hit, flags):
    d = decide(hit=hit, insurer_code="PICC", lat=SCENE[0], lon=SCENE[1], candidates=[])
    assert d.flags == flags and d.queued
    assert d.boundary_distance_m == hit.boundary_distance_m


def test_the_index_agrees_with_brute_force_and_decides_among_1000_in_well_under_2_ms():
    rng = random.Random(42)
    cs = [
        adj(
            f"a-{i:04d}",
            rng.uniform(29.9, 30.5),
            rng.uniform(119.9, 120.5),
            capacity=3,
            open_tasks=rng.randint(0, 3),
            active=rng.random() > 0.1,
        )
        for i in range(1000)
    ]
    index = CandidateIndex(cs)
    free = [c for c in cs if c.active and c.open_tasks < c.capacity]
    for _ in range(50):
        lat, lon = rng.uniform(29.9, 30.5), rng.uniform(119.9, 120.5)
        got = index.decide(hit=URBAN, insurer_code="PICC", lat=lat, lon=lon, limit=3)
        brute = sorted(free, key=lambda c: (round(haversine_m(lat, lon, c.lat, c.lon), 3), c.id))[
            :3
        ]
        assert [r.id for r in got.ranked] == [c.id for c in brute]
    start = time.perf_counter()
    for _ in range(200):
        index.decide(hit=URBAN, insurer_code="PICC", lat=30.2, lon=120.2)
    assert (time.perf_counter() - start) / 200 < 0.002

"""County outlines for the workbench's maps: every zone of the reference data as SVG path data, light enough
for a page, with the projection that places a scene on the right county."""

from __future__ import annotations

import re

from shapely.geometry import Point, Polygon

from tests.api.fault_steps import police
from tests.api.flows import FIXTURE_ZONES, SHANGCHENG, TONGLU


def _polygon(d: str) -> Polygon:
    """The first ring of path data written as `M x y` then relative `l dx dy` steps, closed by `z`."""
    first = d.split("z")[0].lstrip("M")
    start, *steps = first.split("l")
    x, y = map(float, start.split())
    points = [(x, y)]
    for step in steps:
        dx, dy = map(float, step.split())
        x, y = x + dx, y + dy
        points.append((x, y))
    return Polygon(points)


async def test_every_county_is_drawn_and_a_scene_lands_inside_its_own(client, settings):
    r = await client.get("/v1/zones/outlines", headers=await police(settings))
    assert r.status == 200, await r.text()
    data = await r.json()
    assert sorted(z["id"] for z in data["zones"]) == sorted(FIXTURE_ZONES)
    _, _, width, height = map(float, data["view_box"].split())
    proj = data["projection"]
    shapes = {z["id"]: _polygon(z["d"]) for z in data["zones"]}
    for zone, where in (("zj-330102", SHANGCHENG), ("zj-330122", TONGLU)):
        x, y = (
            (where["lon"] - proj["lon0"]) * proj["kx"],
            (proj["lat0"] - where["lat"]) * proj["ky"],
        )
        assert 0 <= x <= width and 0 <= y <= height
        assert shapes[zone].contains(Point(x, y)), zone
        assert not any(s.contains(Point(x, y)) for z, s in shapes.items() if z != zone)
    assert all(re.fullmatch(r"(M\d+ \d+(l-?\d+ -?\d+)+z)+", z["d"]) for z in data["zones"])
    assert (
        len(await r.read()) < 60_000
    )  # five counties at ~500 m: small enough for a page on a phone


async def test_a_chosen_set_of_counties_is_fitted_to_the_box_and_an_unknown_caller_is_refused(
    client, settings
):
    r = await client.get("/v1/zones/outlines?zones=zj-330122", headers=await police(settings))
    data = await r.json()
    assert [z["name"] for z in data["zones"]] == ["桐庐县"]
    xs = [x for x, _ in _polygon(data["zones"][0]["d"]).exterior.coords]
    assert (
        min(xs) >= 0 and max(xs) <= 1000 and max(xs) - min(xs) > 900
    )  # the one county fills the width
    r = await client.get("/v1/zones/outlines")
    assert r.status == 401

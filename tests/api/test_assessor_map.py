"""The counties an adjuster or coordinator serves, as GeoJSON for a map drawn without tiles."""

from __future__ import annotations

import json

from shapely.geometry import Point, shape

from kuaichu.keys import SERVICES
from tests.api.fault_steps import police
from tests.api.flows import SHANGCHENG, TONGLU
from tests.integration.assessment_setup import token_of


def _points(geometry: dict) -> int:
    return len(json.dumps(geometry["coordinates"]).split("],"))


async def test_a_coordinator_gets_the_outline_of_their_county_simplified(client, settings):
    coord = await token_of(client, settings, "coord.tonglu.1")
    r = await client.get("/v1/assessment/zones", headers=coord)
    assert r.status == 200, await r.text()
    fc = await r.json()
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == ["zj-330122"]
    tonglu = fc["features"][0]
    assert tonglu["properties"]["name"] == "桐庐县" and tonglu["properties"]["open_tasks"] == 0
    outline = shape(tonglu["geometry"])
    assert outline.is_valid and outline.contains(Point(TONGLU["lon"], TONGLU["lat"]))
    stored = await client.server.app[SERVICES].pool.fetchval(
        "SELECT geometry FROM zones WHERE id = 'zj-330122'"
    )
    assert _points(tonglu["geometry"]) < _points(
        stored
    )  # fewer vertices than the reference outline
    assert (
        abs(outline.area - shape(stored).area) / shape(stored).area < 0.02
    )  # the same county, drawn lighter
    west, south, east, north = fc["bbox"]
    assert west <= TONGLU["lon"] <= east and south <= TONGLU["lat"] <= north


async def test_an_adjuster_gets_the_urban_counties_and_others_are_refused(client, settings):
    adjuster = await token_of(client, settings, "adj.picc.1")
    r = await client.get("/v1/assessment/zones", headers=adjuster)
    fc = await r.json()
    kinds = {f["properties"]["kind"] for f in fc["features"]}
    assert kinds == {"urban"} and "zj-330102" in {f["id"] for f in fc["features"]}
    assert any(
        shape(f["geometry"]).contains(Point(SHANGCHENG["lon"], SHANGCHENG["lat"]))
        for f in fc["features"]
    )
    r = await client.get("/v1/assessment/zones", headers=await police(settings))
    assert r.status == 403

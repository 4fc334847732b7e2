"""GeoJSON of the counties a staff member serves (a map drawn without tiles)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.base import Out


class ZoneProperties(Out):
    id: str
    name: str
    kind: Literal["urban", "rural"]
    court_exempt: bool
    open_tasks: int = Field(
        description="The caller's offered, accepted and on-scene tasks in this county"
    )


class ZoneFeature(Out):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any] = Field(
        description="Polygon or MultiPolygon, WGS-84, simplified to about 200 m"
    )
    properties: ZoneProperties


class ZoneMap(Out):
    type: Literal["FeatureCollection"]
    bbox: list[float] | None = Field(description="[west, south, east, north] of all features")
    features: list[ZoneFeature]

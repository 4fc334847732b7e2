"""Zone outlines for maps drawn in the workbench (SVG path data from our own zone data)."""

from __future__ import annotations

from pydantic import Field

from schemas.base import Out, Strict


class OutlinesQuery(Strict):
    zones: str | None = Field(
        None, max_length=4000, description="Comma-separated zone ids; all zones when absent"
    )


class Projection(Out):
    lon0: float
    lat0: float
    kx: float
    ky: float


class ZoneOutline(Out):
    id: str
    name: str
    city: str | None
    kind: str
    d: str = Field(description="SVG path data in the units of view_box")
    label_x: float
    label_y: float


class ZoneOutlines(Out):
    reference_version: int | None
    view_box: str = Field(description="SVG viewBox the paths are drawn in (0 0 width height)")
    projection: Projection | None = Field(
        description="Where a point goes: x = (lon − lon0)·kx, y = (lat0 − lat)·ky (WGS-84 degrees)"
    )
    zones: list[ZoneOutline]

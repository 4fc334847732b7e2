"""Zone outlines for the workbench's maps: the counties from the current reference data as SVG path data."""

from __future__ import annotations

import json
from collections import OrderedDict

from aiohttp import web

from geo.outlines import ZoneShape, outlines
from geo.repository import latest_version
from kuaichu.api import Route, staff
from kuaichu.keys import SERVICES
from schemas.zone_outlines import OutlinesQuery, ZoneOutlines

# Reference data is not personal: every staff role may draw the map. Small, per process, keyed by the
# reference digest (a new load draws anew).
_DRAWN: OrderedDict[tuple[str, tuple[str, ...] | None], bytes] = OrderedDict()
_KEEP = 32


async def zone_outlines(request: web.Request) -> web.Response:
    q = OutlinesQuery.model_validate(dict(request.query))
    wanted = (
        tuple(sorted({z.strip() for z in q.zones.split(",") if z.strip()})) if q.zones else None
    )
    async with request.app[SERVICES].pool.acquire() as conn:
        version = await latest_version(conn)
        key = (version["digest"] if version else "", wanted)
        body = _DRAWN.get(key)
        if body is None:
            rows = await conn.fetch(
                """SELECT id, name, kind, properties->>'city' AS city, geometry FROM zones
                   WHERE $1::text[] IS NULL OR id = ANY($1::text[]) ORDER BY id""",
                list(wanted) if wanted is not None else None,
            )
            shapes = [
                ZoneShape(
                    r["id"],
                    r["name"],
                    r["city"],
                    r["kind"],
                    json.loads(r["geometry"]) if isinstance(r["geometry"], str) else r["geometry"],
                )
                for r in rows
            ]
            drawn = outlines(shapes)
            body = (
                ZoneOutlines(reference_version=version["version"] if version else None, **drawn)
                .model_dump_json()
                .encode()
            )
            _DRAWN[key] = body
            while len(_DRAWN) > _KEEP:
                _DRAWN.popitem(last=False)
    response = web.Response(
        body=body,
        content_type="application/json",
        headers={"Cache-Control": "private, max-age=300"},
    )
    response.enable_compression()
    return response


ROUTES = [
    Route(
        "GET",
        "/v1/zones/outlines",
        zone_outlines,
        "County outlines of the current reference data as SVG path data (simplified to ~500 m) with the "
        "projection that places a point on them: what the workbench's maps draw (no tile server)",
        auth=staff("police", "adjuster", "coordinator", "admin", "supervisor", "court"),
        tag="zones",
        query=OutlinesQuery,
        responses={200: ZoneOutlines},
    ),
]

"""Health and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from kuaichu.api import PUBLIC, Route, json_response
from kuaichu.keys import POOL
from kuaichu.migrate import load_migrations
from schemas.system import Health

OPENAPI: web.AppKey[dict] = web.AppKey("openapi", dict)


async def healthz(request: web.Request) -> web.Response:
    want = load_migrations()[-1].version
    try:
        async with request.app[POOL].acquire(timeout=2) as conn:
            have = await conn.fetchval("SELECT max(version) FROM schema_migrations")
    except (OSError, TimeoutError) as exc:  # database unreachable
        return json_response(
            {"status": "unavailable", "database": type(exc).__name__, "schema_version": 0}, 503
        )
    if have != want:
        return json_response(
            {"status": "migrating", "database": "ok", "schema_version": have or 0}, 503
        )
    return json_response(Health(status="ok", database="ok", schema_version=have))


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI])


ROUTES = [
    Route(
        "GET",
        "/healthz",
        healthz,
        "Liveness and readiness: database reachable, migrations applied",
        auth=(PUBLIC,),
        tag="system",
        responses={200: Health, 503: Health},
    ),
    Route(
        "GET",
        "/v1/openapi.json",
        openapi,
        "This document",
        auth=(PUBLIC,),
        tag="system",
        raw_response={200: "application/json"},
    ),
]

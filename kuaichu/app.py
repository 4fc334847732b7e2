"""create_app(settings): the composition root of the HTTP service."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from importlib.metadata import version

from aiohttp import web

from kuaichu import auth
from kuaichu.api import guarded
from kuaichu.compression import compression_middleware
from kuaichu.db import create_pool
from kuaichu.features import services_for
from kuaichu.handlers.system import OPENAPI
from kuaichu.keys import POOL, SERVICES, SETTINGS
from kuaichu.looplag import LOOP_LAG, loop_lag_ctx
from kuaichu.metrics import METRICS, Metrics, serving, timing_middleware
from kuaichu.openapi import build_openapi
from kuaichu.problems import problem_middleware
from kuaichu.routes import all_routes
from kuaichu.settings import Settings
from kuaichu.web_security import security_headers_middleware

log = logging.getLogger(__name__)


@functools.cache
def _openapi() -> dict:
    """The OpenAPI document, built once per process: the routes and models are fixed at import (building it
    takes a third of a second, which every app instance of the test suite paid)."""
    return build_openapi(all_routes(), version=version("kuaichu"))


def create_app(settings: Settings) -> web.Application:
    """Build the application; the pool and every feature's resources open in cleanup_ctx."""
    metrics = Metrics()
    app = web.Application(
        middlewares=[
            timing_middleware(metrics),
            security_headers_middleware,
            compression_middleware,
            problem_middleware,
        ],
        client_max_size=max(settings.max_photo_bytes + 64 * 1024, settings.max_json_bytes),
    )
    app[SETTINGS] = settings
    app[auth.TOKEN_CACHE] = auth.TokenCache(settings.auth_cache_ttl_s)
    routes = all_routes()
    app[OPENAPI] = _openapi()
    for r in routes:
        app.router.add_route(r.method, r.path, guarded(r, auth.authenticate))
    app.cleanup_ctx.append(_resources)
    app.cleanup_ctx.append(loop_lag_ctx)
    app[METRICS] = metrics
    app.cleanup_ctx.append(_metrics_listener)
    return app


async def _metrics_listener(app: web.Application) -> AsyncIterator[None]:
    """/metrics on its own address (KUAICHU_METRICS_HOST:KUAICHU_METRICS_PORT), not the API's."""
    settings, metrics = app[SETTINGS], app[METRICS]
    metrics.loop_lag = app[LOOP_LAG]
    async with serving(metrics, settings.metrics_host, settings.metrics_port):
        yield


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (use `kuaichu up` for an embedded PostgreSQL)")
    pool = await create_pool(
        settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
    )
    try:
        async with services_for(settings, pool) as services:
            app[POOL] = pool
            app[SERVICES] = services
            yield
    finally:
        await pool.close()

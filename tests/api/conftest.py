"""Fixtures of the API tests: the recording court platform (tests/api/court_setup.py) on loopback."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.api.court_setup import Court


@pytest.fixture
async def court(aiohttp_server) -> Court:
    c = Court()
    app = web.Application()
    app.router.add_post("/{tail:.*}", c.handle)
    server = await aiohttp_server(app)
    c.url = str(server.make_url("")).rstrip("/")
    return c

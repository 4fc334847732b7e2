"""Page tests in a real browser: Debian's Chromium driven by Playwright against the real service on loopback.

The service runs in the test's own event loop on a real TCP port (pages, API and a worker delivering its
outbox), on a fresh database cloned from the migrated template. Each test gets phone- or desk-sized browser
contexts; `shots` keeps a screenshot of every step under test-artifacts/ (kept after the run: look at them),
and `support.accessible` fails on any serious or critical axe-core violation.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, async_playwright

from kuaichu.app import create_app
from kuaichu.deliveries import handlers
from kuaichu.keys import SERVICES
from kuaichu.settings import Settings
from kuaichu.worker import Worker
from tests.browser.support import ARTIFACTS, CHROMIUM, DESK, PHONE, LiveService, Shots


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveService]:
    """The service on a real port with a worker delivering its outbox in the background."""
    port = _free_port()
    url = f"http://localhost:{port}"
    live_settings = settings.model_copy(
        update={"host": "127.0.0.1", "port": port, "public_base_url": url}
    )
    app = create_app(live_settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    worker = asyncio.create_task(Worker(app[SERVICES], handlers(), name="browser-tests").run(stop))
    try:
        yield LiveService(url=url, settings=live_settings, app=app)
    finally:
        stop.set()
        await worker
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"page tests need Chromium at {CHROMIUM}: `make test` installs Debian's package `chromium` "
            "(as root), or run `sudo apt-get install -y chromium`, or set KUAICHU_CHROMIUM"
        )
    async with async_playwright() as pw:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def new_context(browser: Browser, live: LiveService):
    """`await new_context("phone"|"desk", **options)`: a fresh profile (its own cookies) on the service."""
    opened: list[BrowserContext] = []

    async def make(kind: str = "phone", **options) -> BrowserContext:
        base = {
            **(PHONE if kind == "phone" else DESK),
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "base_url": live.url,
        }
        context = await browser.new_context(**{**base, **options})
        opened.append(context)
        return context

    yield make
    # closed by the browser fixture's teardown; nothing left to do here
    opened.clear()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    folder = ARTIFACTS / "screenshots" / re.sub(r"[^\w-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)

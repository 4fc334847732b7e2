"""What page tests share: the live service handle, numbered screenshots and the accessibility check."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiohttp import web
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from kuaichu.settings import Settings

CHROMIUM = os.environ.get("KUAICHU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("KUAICHU_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESK = {"viewport": {"width": 1280, "height": 860}}


@dataclass
class LiveService:
    """The running service: `url` is what a person types (localhost is a secure context for the browser)."""

    url: str
    settings: Settings
    app: web.Application

    @contextlib.asynccontextmanager
    async def app_pool(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection as the service's own login, to check what was stored."""
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            yield conn
        finally:
            await conn.close()

    @property
    def sms_dir(self) -> Path:
        return self.settings.sms_dir

    def texts_to(self, phone: str) -> list[str]:
        """SMS bodies the development sender wrote for a phone number, oldest first."""
        if not self.sms_dir.exists():
            return []
        found = []
        for path in sorted(self.sms_dir.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            text = path.read_text(encoding="utf-8")
            if phone in path.name or phone in text:
                found.append(text)
        return found


@dataclass
class Shots:
    """Numbered screenshots of one test, kept under test-artifacts/screenshots/<test>/."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    async def __call__(self, page: Page, step: str) -> Path:
        name = re.sub(r"[^\w-]+", "-", step).strip("-")
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


_AXE = Axe()


async def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now (WCAG 2.1 AA rules included)."""
    results = await _AXE.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, (
        "axe-core violations on "
        + page.url
        + ":\n"
        + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(
                n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                for n in v["nodes"][:5]
            )
            for v in bad
        )
    )

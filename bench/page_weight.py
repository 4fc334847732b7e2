"""The driver app on a weak phone network (WEB.md budgets): bytes transferred for the first page and for a later
page, and Largest Contentful Paint, in Debian's Chromium under DevTools' "Slow 4G" preset applied with CDP
`Network.emulateNetworkConditions` (no CPU throttling). Each figure is the median of 3 cold loads (a fresh
browser profile each). The budgets are absolute: the baseline column says "budget"."""

from __future__ import annotations

import asyncio
import os
import statistics
from typing import Any

from bench.common import RUNS, Row, bench_database, free_port, kuaichu_server

NAME = "page_weight"
CHROMIUM = os.environ.get("KUAICHU_CHROMIUM", "/usr/bin/chromium")
# DevTools' "Slow 4G" preset (Chromium's throttling presets): latency 562.5 ms, 180,000 B/s down, 84,375 B/s up.
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 180_000,
    "uploadThroughput": 84_375,
}
FIRST_BUDGET, LATER_BUDGET, LCP_BUDGET_MS = 150 * 1024, 50 * 1024, 2500
LCP_SCRIPT = """() => new Promise((resolve) => {
  let last = 0;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) last = e.startTime; })
    .observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => resolve(last), 1500);
})"""


async def _load(browser: Any, url: str, later: str | None) -> tuple[int, float, int]:
    """One cold load of `url` (bytes, LCP in ms), then `later` in the same profile (bytes)."""
    context = await browser.new_context(
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    received: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    await page.goto(url, wait_until="networkidle")
    lcp = float(await page.evaluate(LCP_SCRIPT))
    first = sum(received.values())
    received.clear()
    later_bytes = 0
    if later:
        await page.goto(later, wait_until="networkidle")
        later_bytes = sum(received.values())
    await context.close()
    return first, lcp, later_bytes


async def _measure(base: str) -> tuple[list[int], list[float], list[int]]:
    from playwright.async_api import async_playwright

    firsts, lcps, laters = [], [], []
    async with async_playwright() as pw:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            for _ in range(RUNS):
                first, lcp, later = await _load(browser, base + "/", base + "/join?code=ABCD-EFGH")
                firsts.append(first)
                lcps.append(lcp)
                laters.append(later)
        finally:
            await browser.close()
    return firsts, lcps, laters


def _row(measure: str, values: list[float], budget: float, unit: str, scale: float = 1.0) -> Row:
    med = statistics.median(values)
    spread = f"{min(values) / scale:,.1f}–{max(values) / scale:,.1f}"
    target = f"≤ {budget / scale:,.1f} {unit}"
    return Row(measure, med / scale, "budget", None, target, med <= budget, spread, unit)


def run() -> list[Row]:
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with bench_database() as dsn:
        port = free_port()
        with kuaichu_server(dsn, port) as url:
            base = url.replace(
                "127.0.0.1", "localhost"
            )  # a secure context for the browser, as on a phone over https
            firsts, lcps, laters = asyncio.run(_measure(base))
    profile = (
        f"Slow 4G via CDP: latency {SLOW_4G['latency']} ms, down {SLOW_4G['downloadThroughput']:,} B/s, "
        f"up {SLOW_4G['uploadThroughput']:,} B/s, no CPU throttling"
    )
    print(profile)
    return [
        _row("driver app: first page transferred (/, cold)", firsts, FIRST_BUDGET, "KB", 1024),
        _row(
            "driver app: later page transferred (/join after /)", laters, LATER_BUDGET, "KB", 1024
        ),
        _row(f"driver app: LCP of / ({profile})", lcps, LCP_BUDGET_MS, "ms"),
    ]

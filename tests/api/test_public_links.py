"""Links the service hands out (the joining page, photo links in insurers' webhooks) point at the address the
service is served on, whatever Host or X-Forwarded-* a request carried; the joining page opens with the code."""

from __future__ import annotations

import re
import socket

import aiohttp

from kuaichu.app import create_app
from kuaichu.settings import Settings
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond, sign
from tests.api.flows import create_report
from tests.integration.delivery import point_insurer, run_workers
from tests.integration.webhook_receiver import new_secret, start

FORGED = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "443",
    "Forwarded": "host=evil.example;proto=https",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_joining_link_opens_the_app_chinese_first_under_a_strict_policy(client, settings):
    created = await create_report(client, settings.var_dir)
    code = created["share_code"]["code"]
    r = await client.get(f"/join?code={code.lower()}")  # as typed from a phone keyboard
    page = await r.text()
    assert r.status == 200 and r.content_type == "text/html"
    assert '<html lang="zh-CN"' in page and "快处" in page
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["Referrer-Policy"] == "no-referrer"
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="module" src="/app/app.js">']  # no inline script
    assert "<style" not in page and " style=" not in page
    for asset, ctype in (("/app/app.js", "text/javascript"), ("/app/app.css", "text/css")):
        r = await client.get(asset)
        assert r.status == 200 and r.content_type == ctype
    r = await client.get("/join", params={"code": '"><script>alert(1)</script>'})
    page = await r.text()
    assert (
        r.status == 200 and "alert(1)" not in page
    )  # the code is read by the app, never written into the page


async def test_photo_links_in_insurers_webhooks_point_at_the_served_port_whatever_host_requests_named(
    settings, aiohttp_server, aiohttp_client
):
    port = _free_port()
    served = Settings(**{**settings.model_dump(exclude={"public_base_url"}), "port": port})
    server = await aiohttp_server(create_app(served), port=port)
    client = await aiohttp_client(
        server, headers=FORGED
    )  # every request of both drivers carries them
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    await point_insurer(settings.database_url, rx.url, [{"secret": secret}], code="PICC")

    case = await report_with_parties(client, served)
    version = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, version)).status == 200
    for label in ("A", "B"):
        assert (await sign(client, served, case, label, version)).status == 200

    def opened() -> list[dict]:
        return [a.event["data"] for a in rx.arrivals if a.event["type"] == "claim.opened"]

    async def arrived() -> bool:
        return bool(opened())

    await run_workers(served, arrived, limit_s=30)
    photos = [p for data in opened() for p in data["photos"]]
    assert len(photos) >= 3
    assert all(p["url"].startswith(f"http://127.0.0.1:{port}/v1/signed/") for p in photos), photos
    async with (
        aiohttp.ClientSession() as http,
        http.get(photos[0]["url"]) as r,
    ):  # as the insurer opens it
        assert r.status == 200 and r.content_type == "image/jpeg"

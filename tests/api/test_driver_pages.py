"""The driver app's files as the service serves them: compressed, cacheable by validator, nothing else served,
and the share code's QR code drawn on the server."""

from __future__ import annotations

import gzip

from kuaichu.handlers.pages import _qr_svg
from tests.api.flows import create_report


async def test_the_app_files_are_compressed_and_revalidated_and_nothing_else_is_served(client):
    r = await client.get("/app/app.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert r.status == 200 and r.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(await r.read())
    assert b"import" in body
    r2 = await client.get("/app/app.js", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status == 304
    for path in (
        "/app/__init__.py",
        "/app/staff_enrol.js",
        "/app/..%2Fhandlers%2Fpages.py",
        "/app/app.html",
    ):
        r = await client.get(path)
        assert r.status == 404, path
        assert (await r.json())["type"].endswith("/not-found")
    shell = await (await client.get("/")).text()
    assert (
        'data-photo-limit="30"' in shell
    )  # the remaining count the photo screen shows starts from this


async def test_the_share_code_qr_code_is_an_svg_of_the_joining_link(client, settings):
    created = await create_report(client, settings.var_dir)
    code = created["share_code"]["code"]
    r = await client.get("/app/share-qr.svg", params={"code": code.lower()})
    svg = await r.text()
    assert r.status == 200 and r.content_type == "image/svg+xml"
    assert svg.startswith("<svg") and "<title>" in svg and "<path" in svg and "script" not in svg
    assert r.headers["Referrer-Policy"] == "no-referrer"
    base = settings.public_base_url.rstrip("/")  # where the links in SMS point too
    assert svg.encode() == _qr_svg(
        f"{base}/join?code={code}"
    )  # the same modules as the joining link's QR code
    other = code[:-1] + ("Y" if code.endswith("X") else "X")  # a code one character off
    assert svg.encode() != _qr_svg(f"{base}/join?code={other}")
    r = await client.get("/app/share-qr.svg", params={"code": "<x>"})
    problem = await r.json()
    assert r.status == 422 and problem["errors"][0]["pointer"] == "/code"
    assert problem["zh"]["title"] and problem["en"]["title"]

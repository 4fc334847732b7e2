"""The driver's phone app, served by the service itself: one HTML shell at `/` (and at `/join?code=…`, party B's
entry from the invitation SMS or A's QR code), its same-origin modules, style sheet and example pictures under
`/app/`, and the share code's QR code drawn on the server as SVG. No inline script or style, nothing from
elsewhere, no framing, no referrer (the code in a /join link never leaves in a Referer)."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import segno
from aiohttp import web

from accident.service import SHARE_ALPHABET, normalise_share_code
from kernel.errors import InvalidInput, NotFound, field
from kuaichu.api import PUBLIC, Route
from kuaichu.keys import SETTINGS
from kuaichu.web_security import SECURITY_HEADERS

_CODE = re.compile(f"^[{SHARE_ALPHABET}]{{4}}-[{SHARE_ALPHABET}]{{4}}$")
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}
# Every file the app is made of; nothing else under kuaichu/pages is served.
ASSETS = (
    "app.js",
    "api.js",
    "i18n.js",
    "photos.js",
    "facts.js",
    "app.css",
    "shot-front_overview.svg",
    "shot-rear_overview.svg",
    "shot-impact_point.svg",
    "shot-plate.svg",
    "shot-scene.svg",
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def _asset(body: bytes, kind: str) -> Asset:
    return Asset(
        body,
        gzip.compress(body, 9, mtime=0),
        kind,
        '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
    )


@cache
def asset(name: str) -> Asset:
    return _asset(
        files("kuaichu.pages").joinpath(name).read_bytes(), _TYPES[name[name.rindex(".") :]]
    )


@cache
def shell(photo_limit: int) -> Asset:
    """The HTML shell, telling the app the per-report photo limit (the remaining count it shows)."""
    html = files("kuaichu.pages").joinpath("app.html").read_text(encoding="utf-8")
    return _asset(html.replace("{photo_limit}", str(photo_limit)).encode(), "text/html")


def _send(request: web.Request, item: Asset, cache_control: str) -> web.Response:
    headers = {
        **SECURITY_HEADERS,
        "Cache-Control": cache_control,
        "ETag": item.etag,
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("If-None-Match") == item.etag:
        return web.Response(status=304, headers=headers)
    body = item.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body, headers["Content-Encoding"] = item.gzipped, "gzip"
    return web.Response(
        body=body,
        headers={
            **headers,
            "Content-Type": f"{item.content_type}; charset=utf-8"
            if not item.content_type.startswith("image/")
            else item.content_type,
        },
    )


async def app_page(request: web.Request) -> web.Response:
    """The app's shell; the modules decide what to show from the session and the report's state."""
    return _send(request, shell(request.app[SETTINGS].max_photos_per_report), "no-cache")


async def app_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise NotFound("没有这个文件", "No such file")
    return _send(request, asset(name), "no-cache")


@cache
def _qr_svg(link: str) -> bytes:
    out = io.BytesIO()
    segno.make(link, error="m").save(
        out,
        kind="svg",
        scale=6,
        border=2,
        xmldecl=False,
        svgns=True,
        title="快处分享码二维码 Share code QR code",
        svgclass=None,
        lineclass=None,
    )
    return out.getvalue()


async def share_qr(request: web.Request) -> web.Response:
    """The QR code of the joining link for a share code: a phone camera opens `/join?code=…` with it. Drawing it
    reveals nothing the code itself does not: a well-formed code is drawn whether or not it exists."""
    code = normalise_share_code(request.query.get("code", ""))
    if not _CODE.match(code):
        raise InvalidInput(
            "分享码格式不对",
            "The share code is not well-formed",
            errors=[field("/code", "分享码应为 XXXX-XXXX", "A share code looks like XXXX-XXXX")],
        )
    base = request.app[SETTINGS].public_base_url or f"{request.scheme}://{request.host}"
    body = _qr_svg(f"{base.rstrip('/')}/join?code={code}")
    return web.Response(
        body=body,
        content_type="image/svg+xml",
        headers={**SECURITY_HEADERS, "Cache-Control": "private, max-age=86400"},
    )


_HTML = {200: "text/html"}
ROUTES = [
    Route(
        "GET",
        "/",
        app_page,
        "The driver's phone app (HTML shell; the same for every step)",
        auth=(PUBLIC,),
        tag="pages",
        raw_response=_HTML,
    ),
    Route(
        "GET",
        "/join",
        app_page,
        "Party B's entry from the invitation SMS or QR code: the app, with ?code= "
        "filling in the share code",
        auth=(PUBLIC,),
        tag="pages",
        raw_response=_HTML,
    ),
    Route(
        "GET",
        "/app/share-qr.svg",
        share_qr,
        "The QR code of the joining link of a share code (?code=XXXX-XXXX)",
        auth=(PUBLIC,),
        tag="pages",
        raw_response={200: "image/svg+xml"},
        errors=(422,),
    ),
    Route(
        "GET",
        "/app/{name}",
        app_asset,
        "The app's modules, style sheet and example pictures (same origin)",
        auth=(PUBLIC,),
        tag="pages",
        raw_response={200: "text/javascript"},
        errors=(404,),
    ),
]

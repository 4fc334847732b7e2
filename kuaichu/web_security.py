"""What browsers need from the service: credentials in HttpOnly cookies, the checks that keep another site from
using them (a matching Origin and an anti-forgery token on every state-changing call), and the headers every
page carries.

Cookies (all `__Host-`: Secure, Path=/, no Domain, so no other host or path can set or read them):

- `__Host-kuaichu-driver`: the driver signed in on this browser (a phone session, SameSite=Lax so that the
  link in an SMS opens the app signed in);
- `__Host-kuaichu-second-party`: the other party confirming on this same phone (their own phone session, proved
  by their own SMS code, tied to the driver's session of this browser; chosen per request with
  `X-Acting-As: second-party`);
- `__Host-kuaichu-staff`: a staff member signed in to the workbench (SameSite=Strict).

A request with `Authorization: Bearer …` uses that token and ignores cookies: API clients and system clients
are not browsers. A cookie-authenticated request whose method changes state must carry `Origin` of this
service and `X-CSRF-Token`, the token the session endpoints return for that cookie.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import web

from kernel.crypto import Keyring
from kernel.errors import DomainError

DRIVER_COOKIE = "__Host-kuaichu-driver"
SECOND_PARTY_COOKIE = "__Host-kuaichu-second-party"
STAFF_COOKIE = "__Host-kuaichu-staff"
ACTING_HEADER = "X-Acting-As"
CSRF_HEADER = "X-CSRF-Token"
ACTING: Mapping[str, str] = {
    "driver": DRIVER_COOKIE,
    "second-party": SECOND_PARTY_COOKIE,
    "staff": STAFF_COOKIE,
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Browsers treat these hosts as secure contexts over plain http (and accept Secure cookies from them).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# No inline script or style, nothing from elsewhere, no framing; a URL (e.g. /join?code=…) never leaves in a
# Referer. Every text/html answer gets these (security_headers_middleware); scripts and style sheets too.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: "
    "data:; font-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": PAGE_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_PAGE_TYPES = frozenset(
    {
        "text/html",
        "text/javascript",
        "application/javascript",
        "text/css",
        "application/manifest+json",
        "image/svg+xml",
    }
)


class CsrfTokenInvalid(DomainError):
    code = "csrf-token-invalid"
    kind = "forbidden"
    title_zh = "页面已过期或请求来源不明，请刷新页面后重试"
    title_en = (
        "The page is out of date or the request did not come from it; reload the page and try again"
    )


class OriginRefused(DomainError):
    code = "origin-refused"
    kind = "forbidden"
    title_zh = "请求不是从本服务的页面发出的"
    title_en = "The request did not come from this service's pages"


class InsecureTransport(DomainError):
    code = "insecure-transport"
    kind = "forbidden"
    title_zh = "请通过 HTTPS 打开本服务后再登录"
    title_en = "Open this service over https to sign in"


@dataclass(frozen=True, slots=True)
class Credential:
    """The token a request presented, and the cookie it came in (None: an Authorization header)."""

    token: str
    cookie: str | None = None


def chosen_cookie(request: web.Request, *, staff_first: bool) -> str | None:
    """Which cookie a request without a bearer token acts with: the one `X-Acting-As` names, else the staff
    session where the route is a staff route, else the driver's."""
    acting = request.headers.get(ACTING_HEADER, "").strip().lower()
    if acting:
        name = ACTING.get(acting)
        return name if name is not None and name in request.cookies else None
    order = (STAFF_COOKIE, DRIVER_COOKIE) if staff_first else (DRIVER_COOKIE, STAFF_COOKIE)
    return next((n for n in order if request.cookies.get(n)), None)


def check_origin(request: web.Request, public_base_url: str | None) -> None:
    """The request must come from a page of this service: Origin is this service's public origin or the host
    the browser addressed; a plain-http origin other than localhost is refused (the cookies are Secure)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        raise OriginRefused(
            "请求缺少来源（Origin），请从本服务的页面操作",
            "The request has no Origin header; act from this service's pages",
        )
    parts = urlsplit(origin)
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise InsecureTransport(
            f"此地址使用明文 HTTP（{origin}），登录凭证无法安全保存。请改用 https:// 地址，或在本机用 localhost 打开",
            f"{origin} is plain http, where the sign-in cookie cannot be kept safe: use the https:// address "
            f"(or localhost on this computer)",
        )
    own = urlsplit(public_base_url) if public_base_url else None
    if parts.scheme not in ("http", "https") or not (
        (
            own is not None
            and (parts.scheme, parts.netloc.lower()) == (own.scheme, own.netloc.lower())
        )
        or parts.netloc.lower() == request.host.lower()
    ):
        raise OriginRefused(
            f"来源 {origin} 不是本服务，请求被拒绝", f"Origin {origin} is not this service; refused"
        )


def check_csrf(
    request: web.Request, keyring: Keyring, credential: Credential, public_base_url: str | None
) -> None:
    """A state-changing request authenticated by a cookie: matching Origin and the cookie's anti-forgery token."""
    if credential.cookie is None or request.method in SAFE_METHODS:
        return
    check_origin(request, public_base_url)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(
        sent.encode(), keyring.csrf_token(credential.token).encode()
    ):
        raise CsrfTokenInvalid(
            "缺少或不正确的防伪令牌（X-CSRF-Token），请刷新页面后重试",
            "Missing or wrong anti-forgery token (X-CSRF-Token): reload the page and try again",
        )


def set_cookie(
    response: web.StreamResponse, name: str, token: str, *, expires_at: datetime, now: datetime
) -> None:
    """An HttpOnly, Secure cookie of this host only; Strict for staff, Lax for drivers (SMS links)."""
    response.set_cookie(
        name,
        token,
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict" if name == STAFF_COOKIE else "Lax",
        max_age=max(0, int((expires_at - now).total_seconds())),
    )
    response.headers["Cache-Control"] = "no-store"


def clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.set_cookie(
        name,
        "",
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict" if name == STAFF_COOKIE else "Lax",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"


def served_insecurely(request: web.Request, public_base_url: str | None) -> bool:
    """A page opened over plain http on a host other than localhost: no secure context, so the browser would
    neither keep the Secure cookies nor compute SHA-256 in the page. (Behind the https reverse proxy production
    needs, KUAICHU_PUBLIC_BASE_URL is https and the page is taken as served securely.)"""
    if request.secure or (public_base_url or "").startswith("https://"):
        return False
    return (request.url.host or "").strip("[]") not in LOOPBACK_HOSTS


def insecure_page(request: web.Request) -> web.Response:
    """What a page answers instead when `served_insecurely`: why, and what to open instead (both languages)."""
    body = f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>请使用 HTTPS · Use https — 快处 Kuaichu</title></head>
<body><main>
<h1>请通过 HTTPS 打开 <span lang="en">Open this over https</span></h1>
<p>此地址（{html.escape(request.host)}）使用明文 HTTP，登录信息无法安全保存，照片也无法在手机上校验。
请使用 https:// 地址，或在本机用 localhost 打开。</p>
<p lang="en">This address ({html.escape(request.host)}) is plain http: a sign-in cannot be kept safe here and photos
cannot be checked on the phone. Use the https:// address, or localhost on the computer running the service.</p>
</main></body>
</html>
"""
    return web.Response(
        status=403,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def page_headers(**overrides: str) -> dict[str, str]:
    """The security headers of a page, for a handler that sets them itself (e.g. with `Cache-Control`)."""
    return {**SECURITY_HEADERS, **overrides}


@web.middleware
async def security_headers_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Every page, script and style sheet the service serves gets the headers above (a handler's own values,
    e.g. a looser img-src, are kept); pages added later under / and /staff/ need do nothing."""
    response = await handler(request)
    if response.prepared:  # streamed by its handler: its headers are already sent
        return response
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type in _PAGE_TYPES:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response

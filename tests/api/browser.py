"""A browser on loopback: cookies kept as a browser keeps them (Secure cookies on http://127.0.0.1, a secure
context), Origin sent on every state-changing request, the anti-forgery token sent where the page would."""

from __future__ import annotations

from typing import Any

import aiohttp
from yarl import URL

from tests.api.flows import last_code


class Browser:
    def __init__(self, base: URL) -> None:
        self.base = base
        self.origin = str(base.origin())
        self.jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base.origin()])
        self.http = aiohttp.ClientSession(cookie_jar=self.jar)
        self.csrf: dict[
            str, str
        ] = {}  # acting ("driver", "second-party", "staff") -> anti-forgery token

    async def close(self) -> None:
        await self.http.close()

    def cookie(self, name: str) -> str | None:
        found = [c for c in self.jar if c.key == name]
        return found[0].value if found else None

    async def call(
        self,
        method: str,
        path: str,
        *,
        acting: str | None = None,
        csrf: str | None = None,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> aiohttp.ClientResponse:
        h = dict(headers or {})
        if method not in ("GET", "HEAD"):
            h.setdefault("Origin", origin or self.origin)
            default = "staff" if "driver" not in self.csrf else "driver"
            token = csrf if csrf is not None else self.csrf.get(acting or default)
            if token:
                h.setdefault("X-CSRF-Token", token)
        if acting:
            h["X-Acting-As"] = acting
        r = await self.http.request(method, self.base.join(URL(path)), headers=h, **kw)
        await r.read()
        return r

    async def sign_in_driver(self, var_dir: Any, phone: str) -> dict[str, Any]:
        r = await self.call("POST", "/v1/auth/otp", json={"phone": phone})
        assert r.status == 202, await r.text()
        r = await self.call(
            "POST",
            "/v1/auth/browser-session",
            json={"phone": phone, "code": last_code(var_dir, phone)},
        )
        assert r.status == 201, await r.text()
        data = await r.json()
        self.csrf["driver"] = data["csrf_token"]
        return data

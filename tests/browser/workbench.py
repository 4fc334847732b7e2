"""What the workbench's page tests share: staff members enrolled the way a person enrols (the one-time link's
API: a password and an authenticator code), signing in through the page, and cases made by the drivers' API
on the live service (the same steps as the API tests, over a real HTTP client)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pyotp
from playwright.async_api import BrowserContext, Page, expect

from kernel.crypto import Keyring
from kuaichu import staff_accounts
from kuaichu.commands.staff import create_person
from kuaichu.db import connect
from tests.browser.support import LiveService


@dataclass
class Member:
    username: str
    password: str
    totp_secret: str | None

    def code(self, steps_ahead: int = 1) -> str:
        """An authenticator code the service takes now: the next 30 s step's (it accepts one step either side,
        and only a step later than the last one used, which enrolment spent on the current step)."""
        assert self.totp_secret
        totp = pyotp.TOTP(self.totp_secret)
        return totp.at(time.time() + steps_ahead * totp.interval)


def _keyring(live: LiveService) -> Keyring:
    s = live.settings
    return Keyring.from_settings(s.secret_key.get_secret_value(), s.data_keys.get_secret_value())


async def _enrol(live: LiveService, token: str, username: str) -> Member:
    """What the person does with the link: read the secret, choose a password, confirm a code."""
    password = "wb-" + secrets.token_urlsafe(12)
    async with aiohttp.ClientSession(base_url=live.url) as http:
        r = await http.post("/v1/staff/enrolment/open", json={"token": token})
        assert r.status == 200, await r.text()
        info = await r.json()
        body: dict[str, Any] = {"token": token, "password": password}
        secret = info.get("totp_secret")
        if info.get("sets_totp"):
            body["totp_code"] = pyotp.TOTP(secret).at(
                time.time()
            )  # the sign-in then uses the next step's
        r = await http.post("/v1/staff/enrolment", json=body)
        assert r.status == 200, await r.text()
    return Member(username, password, secret if info.get("sets_totp") else None)


async def member(
    live: LiveService,
    role: str,
    *,
    jurisdiction: list[str] | None = None,
    insurer: str | None = None,
    username: str | None = None,
) -> Member:
    """A new person's account, as `kuaichu staff create` makes it, enrolled through its one-time link."""
    username = username or f"{role}-{secrets.token_hex(3)}"
    conn = await connect(live.settings.database_url)
    try:
        token, _ = await create_person(
            conn,
            _keyring(live),
            username=username,
            role=role,
            name=None,
            insurer=insurer,
            jurisdiction=jurisdiction,
            by="tests",
        )
    finally:
        await conn.close()
    return await _enrol(live, token, username)


async def enrol_existing(live: LiveService, username: str) -> Member:
    """An account the reference data made (an adjuster, a coordinator): reset by an operator, then enrolled."""
    conn = await connect(live.settings.database_url)
    try:
        done = await staff_accounts.reset(
            conn,
            _keyring(live),
            staff_accounts.policy_from(live.settings),
            username=username,
            password=True,
            totp=False,
            actor=("system", "tests"),
        )
    finally:
        await conn.close()
    return await _enrol(live, done["token"], username)


async def sign_in(page: Page, who: Member, *, then: str | None = None) -> None:
    """Through the sign-in page, as a person types it."""
    await page.goto("/staff/sign-in" + (f"?next={then}" if then else ""))
    await page.get_by_label("用户名").fill(who.username)
    await page.get_by_label("密码").fill(who.password)
    if who.totp_secret:
        await page.get_by_label("动态口令").fill(who.code())
    await page.get_by_role("button", name="登录").click()
    await expect(page).not_to_have_url(re.compile(r"/staff/sign-in"))


async def signed_in_page(
    new_context, live: LiveService, who: Member, kind: str = "desk", then: str | None = None
) -> tuple[BrowserContext, Page]:
    context = await new_context(kind)
    page = await context.new_page()
    await sign_in(page, who, then=then)
    return context, page


async def transferred(page: Page) -> int:
    """Bytes this page load brought over the network (the page, its scripts and styles, its API calls)."""
    return await page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource')).reduce((t, e) => t + (e.transferSize || 0), 0)""")


class Http:
    """The tests' API helpers take a client with get/post on paths and `server.app`: a session on the live URL."""

    def __init__(self, live: LiveService, session: aiohttp.ClientSession) -> None:
        self._s = session
        self.server = type("Server", (), {"app": live.app})()

    def get(self, path: str, **kw: Any):
        return self._s.get(path, **kw)

    def post(self, path: str, **kw: Any):
        return self._s.post(path, **kw)

    def put(self, path: str, **kw: Any):
        return self._s.put(path, **kw)

"""The page a staff member opens from the one-time enrolment link `kuaichu staff create` prints
(`/staff/enrol#token=…`): set a password and the authenticator app. Server-rendered, one same-origin script,
nothing inline (the security headers come from kuaichu.web_security)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from aiohttp import web

from kuaichu.api import PUBLIC, Route
from kuaichu.keys import SETTINGS
from kuaichu.web_security import insecure_page, served_insecurely

ENROL_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>设置工作台登录 · Set up your workbench sign-in — 快处 Kuaichu</title>
<link rel="stylesheet" href="/app/app.css">
<script src="/staff/enrol.js" defer></script>
</head>
<body>
<main>
<h1>设置工作台登录 <span lang="en">Set up your workbench sign-in</span></h1>
<noscript><p class="note">此页面需要启用 JavaScript。 <span lang="en">This page needs JavaScript.</span></p></noscript>
<form id="enrol" hidden>
<p>账号 <span lang="en">Account</span>: <strong id="who"></strong></p>
<fieldset id="password-part"><legend>密码 <span lang="en">Password</span></legend>
<label>新密码（至少12个字符） <span lang="en">New password (at least 12 characters)</span>
<input name="password" type="password" autocomplete="new-password" minlength="12" maxlength="1024"></label>
<label>再次输入 <span lang="en">Again</span>
<input name="password2" type="password" autocomplete="new-password" minlength="12" maxlength="1024"></label>
</fieldset>
<fieldset id="totp-part"><legend>身份验证器 <span lang="en">Authenticator app</span></legend>
<p>在身份验证器应用中添加此密钥，再输入应用显示的6位口令。 <span lang="en">Add this secret to your authenticator app,
then enter the 6-digit code it shows.</span></p>
<p>密钥 <span lang="en">Secret</span>: <code id="secret"></code></p>
<p class="note"><code id="uri"></code></p>
<label>动态口令 <span lang="en">Code</span>
<input name="totp_code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"></label>
</fieldset>
<button type="submit">保存 <span lang="en">Save</span></button>
</form>
<p id="result" role="status" aria-live="polite"></p>
</main>
</body>
</html>
"""


@cache
def _asset(name: str) -> bytes:
    return files("kuaichu.pages").joinpath(name).read_bytes()


async def enrol_page(request: web.Request) -> web.Response:
    if served_insecurely(request, request.app[SETTINGS].public_base_url):
        return insecure_page(request)
    return web.Response(
        text=ENROL_PAGE,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def enrol_script(request: web.Request) -> web.Response:
    return web.Response(
        body=_asset("staff_enrol.js"),
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


ROUTES = [
    Route(
        "GET",
        "/staff/enrol",
        enrol_page,
        "The enrolment page a staff member opens from the one-time link "
        "(HTML; the token is in the fragment, #token=…); over plain http on a host other than localhost, a 403 page "
        "saying to use https",
        auth=(PUBLIC,),
        tag="pages",
        raw_response={200: "text/html"},
    ),
    Route(
        "GET",
        "/staff/enrol.js",
        enrol_script,
        "The enrolment page's script",
        auth=(PUBLIC,),
        tag="pages",
        raw_response={200: "text/javascript"},
    ),
]

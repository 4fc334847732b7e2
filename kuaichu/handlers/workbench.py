"""The staff workbench under /staff/: server-rendered page shells, each with one same-origin script module and
style sheet (nothing inline, so the strict CSP holds). A page shows only what the signed-in member's role may
do: the server reads the staff session cookie, sends a signed-out browser to the sign-in page, answers a role
the page is not for with a page that says so, and draws the navigation of that role only. The data itself
comes from the API with the same cookie, so the API's own checks (jurisdiction, insurer, task) decide what
is shown; a refusal is shown as the API words it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from urllib.parse import quote

from aiohttp import web

from kernel.identity import StaffPrincipal
from kuaichu.api import PUBLIC, Route
from kuaichu.auth import authenticate
from kuaichu.web_security import STAFF_COOKIE, page_headers


@dataclass(frozen=True)
class Page:
    slug: str
    zh: str
    en: str
    roles: frozenset[str]
    script: str
    body: str
    nav: bool = True


def _bi(zh: str, en: str) -> str:
    return f'{zh} <span lang="en">{en}</span>'


_REVIEWS = f"""
<h1>{_bi("待审核案件", "Review queue")}</h1>
<p class="lead">{
    _bi(
        "本辖区等待交警认定的案件，最早的在前；超过时限的标红。",
        "Cases of your jurisdiction waiting for a determination, oldest first; overdue ones marked.",
    )
}</p>
<div id="queue" aria-live="polite"></div>
"""

_CASE = f"""
<p><a href="/staff/reviews">← {_bi("返回审核队列", "Back to the queue")}</a></p>
<h1 id="case-title">{_bi("案件", "Case")}</h1>
<div id="case" aria-live="polite"></div>
"""

_TASKS = f"""
<h1>{_bi("查勘任务", "Assessment tasks")}</h1>
<div class="split">
<section aria-labelledby="list-h"><h2 id="list-h">{_bi("任务列表", "Task list")}</h2>
<div id="tasks" aria-live="polite"></div></section>
<section aria-labelledby="map-h"><h2 id="map-h">{_bi("服务区域地图", "Map of your counties")}</h2>
<div id="map" class="map"></div></section>
</div>
"""

_TASK = f"""
<p><a href="/staff/tasks">← {_bi("返回任务列表", "Back to the tasks")}</a></p>
<h1 id="task-title">{_bi("查勘任务", "Assessment task")}</h1>
<div id="task" aria-live="polite"></div>
"""

_OPERATIONS = f"""
<h1>{_bi("运行状态", "Operations")}</h1>
<section aria-labelledby="health-h"><h2 id="health-h">{_bi("消息投递（按目的地）", "Outbox by destination")}</h2>
<div id="health"></div></section>
<section aria-labelledby="parked-h"><h2 id="parked-h">{_bi("已暂停的消息", "Parked messages")}</h2>
<div id="parked" aria-live="polite"></div></section>
<section aria-labelledby="runtime-h"><h2 id="runtime-h">{_bi("运行时", "Runtime")}</h2>
<div id="runtime"></div></section>
<section aria-labelledby="ref-h"><h2 id="ref-h">{_bi("参考数据版本", "Reference data versions")}</h2>
<div id="reference"></div></section>
"""

_WEBHOOKS = f"""
<h1>{_bi("保险公司回调地址与密钥", "Insurer webhook endpoints and secrets")}</h1>
<div id="webhooks" aria-live="polite"></div>
"""

_ACCOUNTS = f"""
<h1>{_bi("员工账号", "Staff accounts")}</h1>
<section aria-labelledby="new-h"><h2 id="new-h">{_bi("新建账号", "New account")}</h2>
<form id="new-account" class="form"></form>
<div id="new-result" role="status" aria-live="polite"></div></section>
<h2>{_bi("全部账号", "All accounts")}</h2>
<div id="accounts" aria-live="polite"></div>
"""

_SUPERVISION = f"""
<h1>{_bi("监督视图", "Supervision")}</h1>
<form id="period" class="form inline">
<label>{_bi("起", "From")} <input type="date" name="from" required></label>
<label>{_bi("止", "To")} <input type="date" name="to" required></label>
<button type="submit">{_bi("查看", "Show")}</button>
<a id="csv" class="button secondary" href="#" download>{_bi("下载 CSV", "Download CSV")}</a>
</form>
<div id="supervision" aria-live="polite"></div>
"""

_INQUIRIES = f"""
<h1>{_bi("咨询及投诉", "Inquiries and complaints")}</h1>
<p class="lead">{
    _bi(
        "本辖区驾驶人的咨询和投诉，答复时限在前；答复将以短信发送给驾驶人并显示在其案件页面。",
        "Questions and complaints of drivers in your jurisdiction, by answer deadline; the answer is "
        "texted to the driver and shown on their case page.",
    )
}</p>
<div id="inquiries" aria-live="polite"></div>
"""

_SIGN_IN = f"""
<h1>{_bi("工作台登录", "Workbench sign-in")}</h1>
<form id="sign-in" class="form narrow" novalidate>
<label for="username">{_bi("用户名", "Username")}</label>
<input id="username" name="username" autocomplete="username" required autocapitalize="none" spellcheck="false">
<label for="password">{_bi("密码", "Password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="totp">{_bi("动态口令（交警、监督和管理员账号）", "Authenticator code (police, supervisor, admin)")}</label>
<input id="totp" name="totp_code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}"
 maxlength="6" aria-describedby="totp-hint">
<p id="totp-hint" class="hint">{_bi("身份验证器应用显示的6位数字。", "The 6 digits your authenticator app shows.")}</p>
<button type="submit">{_bi("登录", "Sign in")}</button>
</form>
<div id="result" role="alert" aria-live="assertive"></div>
"""

_ALL = frozenset({"police", "adjuster", "coordinator", "admin", "supervisor", "court"})
PAGES: dict[str, Page] = {
    p.slug: p
    for p in (
        Page(
            "reviews", "审核队列", "Reviews", frozenset({"police", "admin"}), "reviews.js", _REVIEWS
        ),
        Page("case", "案件", "Case", frozenset({"police", "admin"}), "case.js", _CASE, nav=False),
        Page(
            "tasks", "查勘任务", "Tasks", frozenset({"adjuster", "coordinator"}), "tasks.js", _TASKS
        ),
        Page(
            "task",
            "任务",
            "Task",
            frozenset({"adjuster", "coordinator", "police", "admin"}),
            "task.js",
            _TASK,
            nav=False,
        ),
        Page(
            "inquiries",
            "咨询投诉",
            "Inquiries",
            frozenset({"police", "admin", "supervisor"}),
            "inquiries.js",
            _INQUIRIES,
        ),
        Page(
            "supervision",
            "监督",
            "Supervision",
            frozenset({"supervisor", "admin", "police"}),
            "supervision.js",
            _SUPERVISION,
        ),
        Page(
            "operations", "运行", "Operations", frozenset({"admin"}), "operations.js", _OPERATIONS
        ),
        Page("webhooks", "回调", "Webhooks", frozenset({"admin"}), "webhooks.js", _WEBHOOKS),
        Page("accounts", "账号", "Accounts", frozenset({"admin"}), "accounts.js", _ACCOUNTS),
    )
}
# Where each role starts (a role with no workbench page, e.g. the court's system client, gets none).
START = {
    "police": "reviews",
    "adjuster": "tasks",
    "coordinator": "tasks",
    "admin": "operations",
    "supervisor": "supervision",
}
ROLE_NAMES = {
    "police": ("交警", "police"),
    "adjuster": ("查勘员", "adjuster"),
    "coordinator": ("协理员", "coordinator"),
    "admin": ("管理员", "admin"),
    "supervisor": ("监督员", "supervisor"),
    "court": ("法院", "court"),
}
# img-src also allows blob: (photos taken on this device, shown before they are sent).
HEADERS = page_headers(**{"Cache-Control": "no-store"})
_ASSET = re.compile(r"^[a-z_-]+\.(js|css|svg)$")
_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}


def _shell(
    *,
    title_zh: str,
    title_en: str,
    body: str,
    script: str,
    who: StaffPrincipal | None,
    current: str | None = None,
    data: dict[str, str] | None = None,
) -> str:
    nav = ""
    if who is not None:
        here = ' aria-current="page"'
        links = "".join(
            f'<li><a href="/staff/{p.slug}"{here if p.slug == current else ""}>{_bi(p.zh, p.en)}</a></li>'
            for p in PAGES.values()
            if p.nav and who.role in p.roles
        )
        role = ROLE_NAMES.get(who.role, (who.role, who.role))
        nav = (
            f'<nav aria-label="工作台 Workbench"><ul>{links}</ul></nav>'
            f'<div class="who"><span>{html.escape(who.username)} · {_bi(*role)}</span>'
            f'<button type="button" id="sign-out" class="secondary">{_bi("退出", "Sign out")}</button></div>'
        )
    attrs = "".join(f' data-{k}="{html.escape(v, quote=True)}"' for k, v in (data or {}).items())
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title_zh)} · {html.escape(title_en)} — 快处工作台 Kuaichu workbench</title>
<link rel="stylesheet" href="/staff/assets/staff.css">
<script type="module" src="/staff/assets/{script}"></script>
</head>
<body{attrs}>
<a class="skip" href="#main">跳到正文 <span lang="en">Skip to content</span></a>
<header class="bar"><a class="brand" href="/staff/">快处工作台 <span lang="en">Kuaichu workbench</span></a>
{nav}</header>
<main id="main" tabindex="-1">
<noscript><p class="notice">此页面需要启用 JavaScript。 <span lang="en">This page needs JavaScript.</span></p>
</noscript>
{body}
<p class="timezone">时间均为北京时间。 <span lang="en">Times are Beijing time.</span></p>
</main>
</body>
</html>
"""


_NOT_YOURS_ZH = "您的账号角色不能使用此页面。请从上方菜单选择您的工作。"
_NOT_YOURS_EN = "Your role does not use this page. Choose your work from the menu above."


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
    )


def _not_yours(who: StaffPrincipal) -> web.Response:
    body = f"<h1>{_bi('无权查看此页面', 'You may not use this page')}</h1><p>{_bi(_NOT_YOURS_ZH, _NOT_YOURS_EN)}</p>"
    return _html(
        _shell(title_zh="无权查看", title_en="Not allowed", body=body, script="app.js", who=who),
        403,
    )


async def signed_in(request: web.Request) -> StaffPrincipal | None:
    """The staff member of this browser's session cookie, if it is a live staff session."""
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    who = await authenticate(request, token)
    if not isinstance(who, StaffPrincipal) or getattr(who, "session_id", None) is None:
        return None
    return who


def _to_sign_in(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(
        f"/staff/sign-in?next={quote(request.path_qs, safe='')}", headers=HEADERS
    )


async def _page(
    request: web.Request, slug: str, data: dict[str, str] | None = None
) -> web.Response:
    page = PAGES[slug]
    who = await signed_in(request)
    if who is None:
        raise _to_sign_in(request)
    if who.role not in page.roles:
        return _not_yours(who)
    return _html(
        _shell(
            title_zh=page.zh,
            title_en=page.en,
            body=page.body,
            script=page.script,
            who=who,
            current=slug,
            data={"role": who.role, **(data or {})},
        )
    )


async def home(request: web.Request) -> web.Response:
    who = await signed_in(request)
    if who is None:
        raise _to_sign_in(request)
    first = START.get(who.role)
    if first is None:
        return _not_yours(who)
    raise web.HTTPSeeOther(f"/staff/{first}", headers=HEADERS)


async def bare(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/staff/", headers=HEADERS)


async def sign_in(request: web.Request) -> web.Response:
    return _html(
        _shell(title_zh="登录", title_en="Sign in", body=_SIGN_IN, script="sign-in.js", who=None)
    )


def _named(slug: str):
    async def handler(request: web.Request) -> web.Response:
        return await _page(request, slug)

    return handler


_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


def _one(slug: str, key: str):
    async def handler(request: web.Request) -> web.Response:
        ident = request.match_info[key]
        if not _UUID.match(ident):
            raise web.HTTPNotFound()
        return await _page(request, slug, {"id": ident.lower()})

    return handler


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """The file and its ETag (a digest of its bytes: a page revalidates with one small request and gets 304)."""
    body = files("kuaichu.pages").joinpath("workbench", name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if not _ASSET.match(name):
        raise web.HTTPNotFound()
    try:
        body, etag = _asset(name)
    except (FileNotFoundError, IsADirectoryError):
        raise web.HTTPNotFound() from None
    headers = page_headers(**{"Cache-Control": "no-cache", "ETag": etag})
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    response = web.Response(
        body=body, content_type=_TYPES[name.rsplit(".", 1)[1]], charset="utf-8", headers=headers
    )
    response.enable_compression()
    return response


_PAGE = {"auth": (PUBLIC,), "tag": "pages", "raw_response": {200: "text/html"}}
ROUTES = [
    Route("GET", "/staff", bare, "The workbench (→ /staff/)", **_PAGE),
    Route(
        "GET",
        "/staff/",
        home,
        "The workbench: the first page of the signed-in member's role, or sign-in",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/sign-in",
        sign_in,
        "Workbench sign-in (username, password, authenticator code)",
        **_PAGE,
    ),
    Route("GET", "/staff/reviews", _named("reviews"), "Police review queue (page)", **_PAGE),
    Route(
        "GET",
        "/staff/reviews/{report_id}",
        _one("case", "report_id"),
        "A case under review with the determination form (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/tasks",
        _named("tasks"),
        "Assessment tasks as a list and a map (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/tasks/{task_id}",
        _one("task", "task_id"),
        "One assessment task: accept, decline, on scene, the record with photos (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/inquiries",
        _named("inquiries"),
        "Inquiries and complaints queue (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/supervision",
        _named("supervision"),
        "Supervision map and tables (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/operations",
        _named("operations"),
        "Outbox health, replay, runtime (page)",
        **_PAGE,
    ),
    Route(
        "GET",
        "/staff/webhooks",
        _named("webhooks"),
        "Insurer webhook endpoints and secrets (page)",
        **_PAGE,
    ),
    Route("GET", "/staff/accounts", _named("accounts"), "Staff accounts (page)", **_PAGE),
    Route(
        "GET",
        "/staff/assets/{name}",
        asset,
        "The workbench's scripts and style sheet",
        auth=(PUBLIC,),
        tag="pages",
        raw_response={200: "text/javascript"},
    ),
]

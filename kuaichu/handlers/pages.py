"""The joining page party B opens from the invitation SMS (`/join?code=…`): server-rendered HTML, Chinese first
with English, the share code already filled in; one same-origin script and style sheet, nothing inline."""

from __future__ import annotations

import html
import re
from functools import cache
from importlib.resources import files

from aiohttp import web

from accident.privacy import NOTICE_VERSION
from accident.service import SHARE_ALPHABET, normalise_share_code
from kuaichu.api import PUBLIC, Route
from kuaichu.web_security import SECURITY_HEADERS

_CODE = re.compile(f"^[{SHARE_ALPHABET}]{{4}}-[{SHARE_ALPHABET}]{{4}}$")

_YES_NO = (("case", "injuries", "有人受伤吗？", "Is anyone hurt?"),
           ("case", "vehicles_movable", "车辆还能开动、可以挪到路边吗？", "Can the vehicles be moved off the road?"),
           ("case", "public_facility_damage", "护栏、信号灯等公共设施损坏了吗？",
            "Is public property (barriers, signals) damaged?"),
           ("case", "intentional", "有人故意造成事故吗？", "Did anyone cause the crash on purpose?"),
           ("party", "licence_valid", "您的驾驶证有效吗？", "Is your driving licence valid?"),
           ("party", "compulsory_insurance", "您的车辆投保了交强险吗？", "Does your vehicle have 交强险 cover?"),
           ("party", "inspection_mark_valid", "您的车辆年检合格吗？", "Has your vehicle passed its inspection?"),
           ("party", "suspected_impairment", "您饮酒或服用了影响驾驶的药物吗？",
            "Have you had alcohol or drugs that affect driving?"),
           ("party", "has_plate", "您的车辆有号牌吗？", "Does your vehicle have a number plate?"),
           ("party", "fled", "有人驾车逃离现场吗？", "Did anyone drive away from the scene?"),
           ("party", "dangerous_goods", "您的车辆装载危险品吗？", "Does your vehicle carry dangerous goods?"),
           ("party", "overloaded_passenger", "您的车辆超员了吗？", "Is your vehicle carrying too many people?"))

_VEHICLES = (("small_passenger", "小型载客汽车", "car"), ("medium_passenger", "中型载客汽车", "minibus"),
             ("large_passenger", "大型载客汽车", "bus"), ("light_truck", "轻型货车", "light truck"),
             ("medium_truck", "中型货车", "medium truck"), ("heavy_truck", "重型货车", "heavy truck"),
             ("motorcycle", "摩托车", "motorcycle"), ("other", "其他", "other"))


def _question(name: str, zh: str, en: str) -> str:
    return (f'<fieldset><legend>{zh} <span lang="en">{en}</span></legend>'
            f'<label><input type="radio" name="{name}" value="yes" required> 是 <span lang="en">Yes</span></label>'
            f'<label><input type="radio" name="{name}" value="no"> 否 <span lang="en">No</span></label></fieldset>')


def render_join(code: str | None) -> str:
    """The page; `code` is shown only when it is a well-formed share code (anything else is dropped)."""
    value = html.escape(code or "", quote=True)
    vehicles = "".join(f'<option value="{v}">{zh} {en}</option>' for v, zh, en in _VEHICLES)
    questions = "".join(_question(name, zh, en) for _, name, zh, en in _YES_NO)
    filled = ("分享码已填好，无需输入。 <span lang=\"en\">The share code is filled in for you.</span>" if code else
              "请输入对方驾驶人告诉您的分享码。 <span lang=\"en\">Enter the share code the other driver gave you."
              "</span>")
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>加入事故处理 · Join the accident report — 快处 Kuaichu</title>
<link rel="stylesheet" href="/join.css">
<script src="/join.js" defer></script>
</head>
<body>
<main>
<h1>加入事故处理 <span lang="en">Join the accident report</span></h1>
<p>对方驾驶人邀请您一起在线处理这起轻微交通事故。加入只需三步： <span lang="en">The other driver invited you to
handle this minor accident online, in three steps:</span></p>
<ol>
<li>用手机号登录：填写手机号，点“获取验证码”，再填写短信中的验证码。 <span lang="en">Log in with your phone: enter
your number, tap “Send code”, then enter the code we text you.</span></li>
<li>回答几个问题，填写您的驾驶证、车辆和保险信息。 <span lang="en">Answer a few questions and give your licence,
vehicle and insurance details.</span></li>
<li>点“加入”。您将看到对方填写的内容，再补充您的陈述。 <span lang="en">Tap “Join”. You will see what the other
driver entered, then add your own account.</span></li>
</ol>
<p class="note">应用和集成方：先 <code>POST /v1/auth/otp</code>、<code>POST /v1/auth/session</code> 登录，再以分享码
<code>POST /v1/reports/join</code>。 <span lang="en">Apps and integrators: log in with
<code>POST /v1/auth/otp</code> and <code>POST /v1/auth/session</code>,
then <code>POST /v1/reports/join</code> with the share code.</span></p>
<noscript><p class="note">此页面需要启用 JavaScript。 <span lang="en">This page needs JavaScript.</span></p></noscript>
<form id="join" data-notice="{html.escape(NOTICE_VERSION, quote=True)}" autocomplete="on">
<fieldset><legend>分享码 <span lang="en">Share code</span></legend>
<p>{filled}</p>
<input name="share_code" value="{value}" required minlength="4" maxlength="16" autocapitalize="characters"
 aria-label="分享码 Share code">
</fieldset>
<fieldset><legend>手机号登录 <span lang="en">Log in with your phone</span></legend>
<label>手机号 <span lang="en">Phone</span> <input name="phone" type="tel" inputmode="numeric" autocomplete="tel"
 required></label>
<button type="button" id="send-code">获取验证码 <span lang="en">Send code</span></button>
<label>验证码 <span lang="en">Code</span> <input name="otp" inputmode="numeric" autocomplete="one-time-code"
 required></label>
</fieldset>
{questions}
<fieldset><legend>您的信息 <span lang="en">About you</span></legend>
<label>姓名 <span lang="en">Name</span> <input name="name" autocomplete="name" required></label>
<label>证件 <span lang="en">Document</span> <select name="id_kind"><option value="licence">驾驶证 Driving
 licence</option><option value="id_card">身份证 ID card</option></select></label>
<label>证件号码 <span lang="en">Number</span> <input name="id_number" required></label>
<label>车牌号 <span lang="en">Plate</span> <input name="plate" autocapitalize="characters" required></label>
<label>车辆类型 <span lang="en">Vehicle</span> <select name="vehicle_type">{vehicles}</select></label>
<label>保险公司代码 <span lang="en">Insurer code</span> <input name="insurer_code" autocapitalize="characters"
 required></label>
<label>交强险保单号 <span lang="en">Policy number</span> <input name="policy_number" required></label>
</fieldset>
<fieldset><legend>同意 <span lang="en">Consent</span></legend>
<label><input type="checkbox" name="consent_location" required> 同意处理事故地点信息（必需） <span lang="en">I agree to
the processing of the accident location (required)</span></label>
<label><input type="checkbox" name="consent_sharing"> 同意与保险公司、交警和法院共享本案 <span lang="en">I agree to
share the case with the insurers, the police and the court</span></label>
</fieldset>
<button type="submit">加入 <span lang="en">Join</span></button>
</form>
<p id="result" role="status" aria-live="polite"></p>
</main>
</body>
</html>
"""


@cache
def _asset(name: str) -> bytes:
    return files("kuaichu.pages").joinpath(name).read_bytes()


async def join_page(request: web.Request) -> web.Response:
    raw = request.query.get("code")
    code = normalise_share_code(raw) if raw else None
    page = render_join(code if code and _CODE.match(code) else None)
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


async def join_script(request: web.Request) -> web.Response:
    return web.Response(body=_asset("join.js"), content_type="text/javascript", charset="utf-8",
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


async def join_style(request: web.Request) -> web.Response:
    return web.Response(body=_asset("join.css"), content_type="text/css", charset="utf-8",
                        headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


ROUTES = [
    Route("GET", "/join", join_page, "The joining page party B opens from the invitation SMS (HTML; ?code= fills "
          "in the share code)", auth=(PUBLIC,), tag="pages", raw_response={200: "text/html"}),
    Route("GET", "/join.js", join_script, "The joining page's script", auth=(PUBLIC,), tag="pages",
          raw_response={200: "text/javascript"}),
    Route("GET", "/join.css", join_style, "The joining page's style sheet", auth=(PUBLIC,), tag="pages",
          raw_response={200: "text/css"}),
]

"""What a driver does in the app, step by step, as a person would: reading labels and tapping them."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from playwright.async_api import BrowserContext, Page, expect

from tests.api.flows import SHANGCHENG, id_number, last_code, new_phone
from tests.browser.support import LiveService, Shots, accessible

NO = (
    "有人受伤吗？",
    "护栏、信号灯等公共设施损坏了吗？",
    "有人故意造成事故吗？",
    "您喝酒了或服用了影响驾驶的药物吗？",
    "有人驾车离开了现场吗？",
    "您的车装着危险品吗？",
    "您的车超员了吗？",
)
YES = (
    "车辆还能开动、可以挪到路边吗？",
    "您的驾驶证有效吗？",
    "您的车买了交强险吗？",
    "您的车年检合格吗？",
    "您的车有号牌吗？",
)
SHOTS = {
    "front_overview": "侧前方全景（车头45°）",
    "rear_overview": "侧后方全景（车尾45°）",
    "impact_point": "碰撞部位近景",
}


def photo(shade: int, size: tuple[int, int] = (640, 480), quality: int = 85) -> bytes:
    """A camera-like JPEG of its own bytes (noise keeps it from compressing to nothing)."""
    import random

    rnd = random.Random(shade)
    img = Image.new("RGB", size, (shade % 256, 255 - shade % 256, 90))
    px = img.load()
    for _ in range(size[0] * size[1] // 6):
        px[rnd.randrange(size[0]), rnd.randrange(size[1])] = tuple(
            rnd.randrange(256) for _ in range(3)
        )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


async def phone_context(
    new_context: Any, where: dict[str, float] = SHANGCHENG, **options: Any
) -> BrowserContext:
    context = await new_context(
        "phone",
        permissions=["geolocation"],
        **options,
        geolocation={"latitude": where["lat"], "longitude": where["lon"], "accuracy": 12},
    )
    errors = PAGE_ERRORS.setdefault(id(context), [])
    context.on("weberror", lambda e: errors.append(str(e.error)))
    return context


PAGE_ERRORS: dict[int, list[str]] = {}


CHECKED: set[tuple[str, ...]] = (
    set()
)  # screens axe-core already passed in this run (each is checked once)


async def step(page: Page, shots: Shots, name: str, heading: str | None = None) -> None:
    """The screen shows its heading; a screenshot is kept, and axe-core finds nothing serious on each screen
    (a screen seen again in another language, mode or state of the tools bar is checked again)."""
    if heading:
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading, timeout=30000)
    await shots(page, name)
    screen = (
        heading or name,
        await page.locator("html").get_attribute("lang") or "",
        await page.locator("html").get_attribute("class") or "",
        await page.locator("header").inner_text(),
    )
    if screen not in CHECKED:
        await accessible(page)
        CHECKED.add(screen)


async def answer(page: Page, question: str, choice: str) -> None:
    await page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


async def eligibility(page: Page, shots: Shots, who: str, *, yes: tuple[str, ...] = ()) -> None:
    await step(page, shots, f"{who} eligibility", "先回答几个问题")
    for q in NO:
        await answer(page, q, "是" if q in yes else "否")
    for q in YES:
        await answer(page, q, "是")
    await page.get_by_role("button", name="下一步").click()


async def login(
    page: Page,
    live: LiveService,
    shots: Shots,
    who: str,
    phone: str,
    *,
    heading: str = "用手机号登录",
) -> None:
    await step(page, shots, f"{who} login", heading)
    await page.get_by_label("手机号").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await expect(page.get_by_text("验证码已发到")).to_be_visible()
    await page.get_by_label("短信验证码（6位）").fill(last_code(live.settings.var_dir, phone))
    await page.get_by_role("button", name="登录", exact=True).click()


async def take_required_photos(page: Page, shots: Shots, who: str, first_shade: int = 10) -> None:
    await step(page, shots, f"{who} photos", "拍照取证")
    for i, (kind, _title) in enumerate(SHOTS.items()):
        await page.locator(f"#file-{kind}").set_input_files(
            {"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": photo(first_shade + 40 * i)}
        )
        await expect(
            page.locator(".shot").nth(i).get_by_role("img", name=re.compile("您拍的"))
        ).to_be_visible()
    await expect(page.get_by_text("还可以再拍 27 张")).to_be_visible()
    await step(page, shots, f"{who} photos queued")
    await page.get_by_role("button", name="必拍照片已保存，下一步").click()


async def details(
    page: Page,
    shots: Shots,
    who: str,
    *,
    name: str,
    plate: str,
    insurer: str,
    invite: str | None = None,
) -> None:
    heading = "您的车辆和保险" if who == "A" else "加入：您的车辆和保险"
    await step(page, shots, f"{who} details", heading)
    await page.get_by_label("姓名", exact=True).fill(name)
    await page.get_by_label("证件号码").fill(id_number())
    await page.get_by_label("车牌号（如 浙A12345）").fill(plate)
    await page.get_by_label("保险公司", exact=True).select_option(insurer)
    await page.get_by_label("交强险保单号（保单或电子保单上）").fill("PDZA2026330100001")
    if invite:
        await page.get_by_label("对方手机号：我们会发短信邀请对方加入").fill(invite)
    await shots(page, f"{who} details filled")
    await page.get_by_role("button", name=re.compile("保存并生成分享码|加入事故处理")).click()


async def start_as_a(
    page: Page,
    live: LiveService,
    shots: Shots,
    *,
    address: str = "杭州市上城区解放东路，往东，市民中心旁",
) -> tuple[str, str]:
    """Party A from the home page to the share code; returns the share code shown and A's phone."""
    await page.goto("/")
    await step(page, shots, "A home", "轻微事故，线上快处")
    await page.get_by_role("button", name="我要报案（先开始的一方）").click()
    await eligibility(page, shots, "A")
    phone = new_phone()
    await login(page, live, shots, "A", phone)
    await step(page, shots, "A location", "事故地点")
    await page.get_by_role("button", name="用手机定位").click()
    await expect(page.get_by_text(re.compile("精度约 12 米"))).to_be_visible()
    await page.get_by_label("地点（道路、方向、附近标志物）").fill(address)
    await shots(page, "A location found")
    await page.get_by_role("button", name="下一步：拍照").click()
    await take_required_photos(page, shots, "A")
    await step(page, shots, "A may move the cars", "现在可以挪车了")
    await page.get_by_role("button", name="已挪车，继续填写信息").click()
    await details(page, shots, "A", name="张三", plate="浙A12345", insurer="PICC")
    await step(page, shots, "A share code", "请对方加入")
    code = (await page.locator(".code").inner_text()).strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    return code, phone


async def join_as_b(
    page: Page, live: LiveService, shots: Shots, code: str, *, yes: tuple[str, ...] = ()
) -> str:
    """Party B from the /join link (the QR code's target) to the review of what A entered."""
    await page.goto(f"/join?code={code}")
    await eligibility(page, shots, "B", yes=yes)
    phone = new_phone()
    await login(page, live, shots, "B", phone)
    await details(page, shots, "B", name="李四", plate="浙B54321", insurer="CPIC")
    return phone


async def facts(page: Page, shots: Shots, who: str, answers: dict[str, str]) -> None:
    await step(page, shots, f"{who} facts", "事故经过")
    for question, choice in answers.items():
        await answer(page, question, choice)
    await shots(page, f"{who} facts answered")
    await page.get_by_role("button", name="提交我的陈述").click()


OTHER_FROM = "对方的车从哪个方向来？（以您的行驶方向看）"
A_REAR_ENDS = {
    "事故发生在哪里？": "路段上（不在路口）",
    "两车是怎么碰的？": "追尾（一车撞上前车车尾）",
    "碰撞时，您的车在做什么？": "直行",
    "您的车哪个部位被撞？": "车头",
    OTHER_FROM: "前方",
}
B_WAS_STOPPED = {
    "事故发生在哪里？": "路段上（不在路口）",
    "两车是怎么碰的？": "追尾（一车撞上前车车尾）",
    "碰撞时，您的车在做什么？": "停车等候（如等红灯、排队）",
    "您的车哪个部位被撞？": "车尾",
    OTHER_FROM: "后方",
}


async def sign(page: Page, live: LiveService, shots: Shots, who: str, phone: str) -> None:
    """The review screen is read, a signing code texted to this party's own phone is entered."""
    await step(page, shots, f"{who} review before signing", "签署前请核对")
    await expect(page.get_by_text("不表示承认协议以外的任何事项")).to_be_visible()
    await page.get_by_role("button", name="获取签名验证码").click()
    await expect(page.get_by_text("验证码已发到")).to_be_visible()
    await page.get_by_label("签名验证码（6位）").fill(last_code(live.settings.var_dir, phone))
    await page.get_by_role("button", name="确认签名").click()

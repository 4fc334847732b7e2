"""Screens a driver meets outside the main road: a referral to 122, the elderly mode and the English switch."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from tests.api.flows import create_report
from tests.browser.driver import answer, eligibility, phone_context, step


async def test_a_failed_gate_sends_a_or_b_to_122_at_once_with_the_reason_and_a_call_button(
    new_context, live, shots
):
    page = await (await phone_context(new_context)).new_page()
    await page.goto("/")
    await page.get_by_role("button", name="我要报案（先开始的一方）").click()
    await eligibility(page, shots, "A", yes=("有人受伤吗？",))
    await step(page, shots, "A referral", "请拨打 122 报警")
    await expect(page.get_by_role("alert")).to_contain_text("受伤")
    call = page.get_by_role("link", name="立即拨打 122")
    await expect(call).to_have_attribute("href", "tel:122")
    await expect(page.get_by_text("请不要移动车辆")).to_be_visible()

    # Party B, from the invitation link: the gate runs again on B's own answers when joining.
    async with aiohttp.ClientSession(
        live.url
    ) as http:  # party A reported through the API, as any client may
        a = await create_report(http, live.settings.var_dir)
    page = await (await phone_context(new_context)).new_page()
    response = await page.goto(f"/join?code={a['share_code']['code']}")
    assert response is not None and response.headers["referrer-policy"] == "no-referrer"
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    await eligibility(page, shots, "B", yes=("您喝酒了或服用了影响驾驶的药物吗？",))
    await step(page, shots, "B referral", "请拨打 122 报警")
    await expect(page.get_by_role("alert")).to_contain_text("饮酒")


async def test_the_elderly_mode_has_large_text_and_large_targets_and_english_is_one_tap_away(
    new_context, shots
):
    page = await (await phone_context(new_context)).new_page()
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    received: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    await page.goto("/", wait_until="networkidle")
    first = sum(received.values())
    await step(page, shots, "home", "轻微事故，线上快处")
    assert first <= 150 * 1024, (
        first
    )  # WEB.md's budget for the first page, compressed, everything included
    received.clear()
    await page.reload(wait_until="networkidle")
    assert sum(received.values()) <= 50 * 1024, (
        received
    )  # and for a later page (the files are revalidated)
    await page.get_by_role("button", name="长辈版").click()
    await expect(page.get_by_role("button", name="长辈版")).to_have_attribute(
        "aria-pressed", "true"
    )
    await page.get_by_role("button", name="我要报案（先开始的一方）").click()
    await step(page, shots, "elderly eligibility", "先回答几个问题")
    body_px = await page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
    )
    assert body_px >= 24, body_px  # 18 pt
    small = await page.evaluate("""[...document.querySelectorAll(
        'button, a, label.choice, input:not([type=radio]), select')].filter(e => e.offsetParent)
        .map(e => e.getBoundingClientRect()).filter(r => r.width < 60 || r.height < 60).length""")
    assert small == 0
    await answer(page, "有人受伤吗？", "否")
    await page.reload()  # the choice stays, and so does the answer
    await expect(page.get_by_role("button", name="长辈版")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(page.locator("header")).not_to_contain_text(
        "null"
    )  # the tools bar says only what it offers
    await page.get_by_role("button", name="English").click()
    await step(page, shots, "elderly in English", "A few questions first")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.set_viewport_size({"width": 320, "height": 700})
    await shots(page, "320 px wide")
    assert await page.evaluate("document.documentElement.scrollWidth <= 320")

"""The whole roadside flow in the phone app, for two drivers on two phones (two browser contexts)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import expect

from tests.browser.driver import (
    A_REAR_ENDS,
    B_WAS_STOPPED,
    facts,
    join_as_b,
    phone_context,
    sign,
    start_as_a,
    step,
)


async def test_an_urban_rear_end_is_agreed_and_signed_on_two_phones(new_context, live, shots):
    a = await (await phone_context(new_context)).new_page()
    b = await (await phone_context(new_context)).new_page()
    code, phone_a = await start_as_a(a, live, shots)
    phone_b = await join_as_b(b, live, shots, code)
    await step(b, shots, "B reviews what A entered", "请先看对方填写的内容")
    await expect(b.get_by_text("浙A12345", exact=False)).to_be_visible()
    await b.get_by_role("button", name="我已看完，继续").click()
    await facts(b, shots, "B", B_WAS_STOPPED)
    await facts(a, shots, "A", A_REAR_ENDS)
    await step(a, shots, "A proposal", "责任建议")
    await expect(a.get_by_text("A 方：全部责任 (100%)")).to_be_visible()
    await a.get_by_role("button", name="同意", exact=True).click()
    await step(b, shots, "B proposal", "责任建议")
    await b.get_by_role("button", name="同意", exact=True).click()
    await sign(b, live, shots, "B", phone_b)
    await sign(a, live, shots, "A", phone_a)
    for who, page in (("A", a), ("B", b)):
        await step(page, shots, f"{who} agreement", "协议已签署")
        await expect(page.get_by_text("双方已签署《道路交通事故自行协商协议书》")).to_be_visible()
    # The status part lists the texts the service sent to this driver: A was told that B joined.
    await expect(a.get_by_role("region", name="已发给您的短信")).to_contain_text("加入")
    async with a.expect_download() as download:
        await a.get_by_role("link", name="下载协议书（PDF）").click()
    pdf = await (await download.value).path()
    assert pdf is not None and (await asyncio.to_thread(Path(pdf).read_bytes))[:5] == b"%PDF-"

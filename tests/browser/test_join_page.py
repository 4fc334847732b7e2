"""The join page as party B meets it from the invitation SMS: readable on a phone, accessible, and sent with
headers that keep the share code in the link from leaking."""

from __future__ import annotations

from tests.browser.support import accessible


async def test_the_join_page_opens_on_a_phone_and_passes_axe(new_context, live, shots):
    context = await new_context("phone")
    page = await context.new_page()
    response = await page.goto("/join?code=123456")
    assert response is not None and response.status == 200
    await shots(page, "join page")
    await accessible(page)
    assert await page.locator("html").get_attribute("lang") in ("zh-CN", "zh", "zh-Hans")

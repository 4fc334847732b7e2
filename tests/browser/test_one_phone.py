"""One phone for both drivers: B confirms on A's phone with B's own number and SMS code, and A's session cannot
act as B."""

from __future__ import annotations

from playwright.async_api import expect

from tests.api.flows import new_phone
from tests.browser.driver import (
    A_REAR_ENDS,
    B_WAS_STOPPED,
    details,
    eligibility,
    facts,
    login,
    phone_context,
    sign,
    start_as_a,
    step,
)


async def test_b_confirms_on_a_phone_with_their_own_code_and_a_cannot_act_as_b(
    new_context, live, shots
):
    page = await (await phone_context(new_context)).new_page()
    _code, phone_a = await start_as_a(page, live, shots)
    await page.get_by_role("button", name="对方在这台手机上确认").click()
    await expect(page.get_by_text("现在由另一方驾驶人在这台手机上操作。")).to_be_visible()
    await eligibility(page, shots, "B on A's phone")
    phone_b = new_phone()
    await step(page, shots, "B logs in on A's phone", "另一方：用您自己的手机号登录")
    await expect(page.get_by_text("验证码会发到您自己的手机上")).to_be_visible()
    await login(
        page, live, shots, "B on A's phone", phone_b, heading="另一方：用您自己的手机号登录"
    )
    await details(page, shots, "B", name="李四", plate="浙B54321", insurer="CPIC")
    await step(page, shots, "B reviews on A's phone", "请先看对方填写的内容")
    await page.get_by_role("button", name="我已看完，继续").click()
    await facts(page, shots, "B on A's phone", B_WAS_STOPPED)

    # A's own session, on the same phone, cannot give B's account: it holds no credential of B's.
    report_id = await page.evaluate("""async () => {
        const s = await (await fetch('/v1/auth/browser-session')).json();
        const mine = await (await fetch('/v1/me/reports')).json();
        const id = mine.reports[0].report_id;
        const r = await fetch(`/v1/reports/${id}/fault/accounts/B`, {method: 'PUT', headers: {
            'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token},
            body: JSON.stringify({context: {junction: 'none', collision: 'rear_end'}, movement: 'straight'})});
        return [id, r.status];
    }""")
    assert report_id[1] == 403, report_id

    await page.get_by_role("button", name="交回本机驾驶人").click()
    await facts(page, shots, "A", A_REAR_ENDS)
    await step(page, shots, "A proposal", "责任建议")
    await page.get_by_role("button", name="同意", exact=True).click()
    await page.get_by_role("button", name="换另一方操作").click()
    await step(page, shots, "B proposal on A's phone", "责任建议")
    await page.get_by_role("button", name="同意", exact=True).click()
    await sign(
        page, live, shots, "B on A's phone", phone_b
    )  # with the code texted to B's own phone
    await step(page, shots, "B waits for A", "请稍候")
    await page.get_by_role("button", name="交回本机驾驶人").click()
    await sign(page, live, shots, "A", phone_a)
    await step(page, shots, "agreement on the shared phone", "协议已签署")

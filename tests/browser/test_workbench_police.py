"""The police reviewer's workbench in a real browser: sign in with password and authenticator code, the queue
of the jurisdiction, a disputed case decided end to end from the keyboard alone, what a reviewer of another
jurisdiction sees of it (nothing), and forged requests with the reviewer's cookie refused."""

from __future__ import annotations

import re

import aiohttp
from playwright.async_api import expect

from tests.api.fault_steps import dispute_to_review, report_with_parties
from tests.api.flows import FIXTURE_ZONES, bearer
from tests.browser.support import accessible
from tests.browser.workbench import Http, member, signed_in_page


async def _disputed_case(live):
    async with aiohttp.ClientSession(base_url=live.url) as session:
        http = Http(live, session)
        case = await report_with_parties(http, live.settings)
        await dispute_to_review(http, case)
    return case


async def _tab_to(page, test: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies `test` (a JS expression over `el`)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!({test}); }})()"
        ):
            return
    raise AssertionError(f"Tab never reached {test}")


async def test_a_reviewer_decides_a_disputed_case_from_the_keyboard_and_the_parties_see_it(
    new_context, live, shots
):
    case = await _disputed_case(live)
    reviewer = await member(live, "police", jurisdiction=FIXTURE_ZONES)
    other = await member(
        live, "police", jurisdiction=["zj-330922"]
    )  # 嵊泗县 only; the case is in 上城区

    # A reviewer of another jurisdiction: an empty queue, and the case's own address shows nothing of it.
    _, page = await signed_in_page(new_context, live, other, then="/staff/reviews")
    await expect(page.get_by_role("table")).to_contain_text("暂无")
    await page.goto(f"/staff/reviews/{case.report_id}")
    await expect(page.locator("#case .problem")).to_be_visible()
    await shots(page, "another jurisdiction sees nothing")
    text = await page.locator("main").inner_text()
    assert "张三" not in text and "浙A12345" not in text and "对方急刹车" not in text
    assert await page.locator("#determination").count() == 0

    context = await new_context("desk")
    page = await context.new_page()
    await page.goto("/staff/reviews")
    await expect(page).to_have_url(re.compile(r"/staff/sign-in\?next=(%2F|/)staff(%2F|/)reviews$"))
    await shots(page, "sign-in")
    await accessible(page)
    await page.get_by_label("用户名").fill(reviewer.username)
    await page.get_by_label("密码").fill(reviewer.password)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "动态口令"
    )  # police need the second factor
    await page.get_by_label("密码").fill(reviewer.password)
    await page.get_by_label("动态口令").fill(reviewer.code())
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{live.url}/staff/reviews")

    row = page.get_by_role("row").filter(has_text=case.report_id[:8])
    await expect(row).to_contain_text("当事人有异议")
    await expect(row).to_contain_text("对方急刹车")
    await shots(page, "queue")
    await accessible(page)
    await row.get_by_role("link").click()

    await expect(page.get_by_role("heading", name="当事人 A")).to_be_visible()
    await expect(page.get_by_role("heading", name="当事人 B")).to_be_visible()
    await expect(page.locator(".side").nth(1)).to_contain_text("对建议有异议")
    await expect(page.locator(".photo img")).to_have_count(3)
    await expect(page.locator(".photo").first).to_contain_text("报案时间")
    await shots(page, "case")
    await accessible(page)
    await _forgeries_are_refused(live, context, page, case)

    # Keyboard only: A major (70 %), B minor (30 %), the first article, the reasons, Enter.
    await page.locator("body").focus()
    await _tab_to(page, "el.name === 'share-A'")
    await page.keyboard.press("ArrowDown")  # full → major
    await page.keyboard.press("Tab")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")  # full → major → equal → minor
    await _tab_to(page, "el.type === 'submit'")
    await page.keyboard.press(
        "Enter"
    )  # nothing chosen from the articles yet: said in words, focus there
    await expect(page.locator("#determination-result")).to_contain_text("请至少选择一条依据条款")
    assert await page.evaluate("document.activeElement.name") == "article"
    await page.keyboard.press("Space")
    await _tab_to(page, "el.id === 'reason'")
    await page.keyboard.type("A车未保持安全距离，B车无故急刹车。")
    await shots(page, "determination form filled")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#determination-result")).to_contain_text("认定已作出")
    await expect(page.locator(".done")).to_contain_text("A 70% / B 30%")
    await expect(page.locator("#determination")).to_have_count(0)  # no second determination offered
    await shots(page, "determined")

    async with aiohttp.ClientSession(base_url=live.url) as http:
        r = await http.get(f"/v1/reports/{case.report_id}/fault", headers=bearer(case.tokens["A"]))
        state = await r.json()
    assert state["status"] == "determined"
    assert [(s["party"], s["share_percent"]) for s in state["determination"]["shares"]] == [
        ("A", 70),
        ("B", 30),
    ]
    assert state["determination"]["reason"] == "A车未保持安全距离，B车无故急刹车。"


async def _forgeries_are_refused(live, context, page, case) -> None:
    """The reviewer's own session cookie without the page's anti-forgery token, or from another site: refused,
    and nothing is written."""
    body = {
        "shares": [{"party": "A", "liability": "full"}, {"party": "B", "liability": "none"}],
        "reason": "追尾",
        "articles": ["道路交通安全法第四十三条"],
    }
    forged = await page.evaluate(
        """async ([url, body]) => {
             const r = await fetch(url, {method: 'POST', credentials: 'same-origin',
               headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
             return [r.status, await r.json()];
           }""",
        [f"/v1/reports/{case.report_id}/fault/determinations", body],
    )
    assert forged[0] == 403 and forged[1]["type"].endswith("csrf-token-invalid"), forged
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    async with aiohttp.ClientSession(base_url=live.url, cookies=cookies) as http:
        session = await (await http.get("/v1/staff/session")).json()
        r = await http.post(
            f"/v1/reports/{case.report_id}/fault/determinations",
            json=body,
            headers={"X-CSRF-Token": session["csrf_token"], "Origin": "https://evil.example"},
        )
        assert r.status == 403 and (await r.json())["type"].endswith("origin-refused")
        r = await http.get(f"/v1/reports/{case.report_id}/fault", headers=bearer(case.tokens["A"]))
        assert (await r.json())["status"] == "in_review"

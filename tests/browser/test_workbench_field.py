"""Adjusters in the field, on a phone-sized screen: the task list and the map of their counties, accept with an
ETA, on scene, the record with photos taken on the phone."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from assessment.service import on_report_settled
from kuaichu.keys import SERVICES
from tests.api.evidence import phone_jpeg
from tests.browser.support import accessible
from tests.browser.workbench import Http, enrol_existing, sign_in, transferred
from tests.integration.assessment_setup import ctx_of, settled, two_vehicles


async def test_an_adjuster_accepts_arrives_and_records_with_photos_on_a_phone(
    new_context, live, shots
):
    async with aiohttp.ClientSession(base_url=live.url) as session:
        http = Http(live, session)
        report_id = await two_vehicles(http, live.settings)
        await on_report_settled(ctx_of(http), payload=settled(report_id))
    pool = live.app[SERVICES].pool
    task = await pool.fetchrow(
        """SELECT t.id, s.username FROM assessment_tasks t JOIN assessors a ON a.id = t.assignee_id
           JOIN staff s ON s.id = a.staff_id WHERE t.report_id = $1::uuid AND t.vehicle_label = 'A'""",
        report_id,
    )
    adjuster = await enrol_existing(live, task["username"])
    context = await new_context("phone")
    page = await context.new_page()
    await page.goto("/staff/sign-in")
    first = await transferred(page)
    await sign_in(page, adjuster)
    await expect(page).to_have_url(f"{live.url}/staff/tasks")
    card = page.locator(".card").filter(has_text="浙A12345")  # party A's car
    await expect(card).to_contain_text("已派单待接受")
    await expect(page.locator("#map svg path").first).to_be_visible()
    await expect(page.locator("#map svg a")).to_have_count(1)  # the open task, a link on the map
    await page.wait_for_load_state("networkidle")
    later = await transferred(page)
    assert first <= 150_000 and later <= 50_000, (
        first,
        later,
    )  # WEB.md's budgets: first page, later pages
    await shots(page, "tasks and map")
    await accessible(page)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"

    await card.get_by_role("link").click()
    await page.get_by_label("预计多少分钟到达").fill("20")
    await shots(page, "offered")
    await accessible(page)
    await page.get_by_role("button", name="接受任务").click()
    await expect(page.locator("#status")).to_contain_text("已接受")
    await expect(
        page.get_by_role("link", name="1380")
    ).to_be_visible()  # the driver's phone, now the task is ours
    await page.get_by_role("button", name="我已到达现场").click()
    await expect(page.locator("#status")).to_contain_text("已到达现场")

    await page.locator("#camera").set_input_files(
        [
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg(shade=30)},
            {"name": "rear.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg(shade=120)},
        ]
    )
    await expect(page.locator("#shots img")).to_have_count(2)
    await page.get_by_label("现场情况").fill("后保险杠凹陷，尾灯破裂")
    await page.get_by_label("部位").fill("后保险杠")
    await page.get_by_label("金额（元）").fill("850.50")
    await shots(page, "record before sending")
    await accessible(page)
    await page.get_by_role("button", name="提交现场查勘记录").click()
    await expect(page.locator(".done")).to_contain_text("850.50 元")
    await expect(page.locator("#status")).to_contain_text("已完成")
    await shots(page, "record sent")
    # A page of another role is not drawn for an adjuster (the API would refuse its data anyway).
    response = await page.goto("/staff/reviews")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="无权查看此页面")).to_be_visible()
    await expect(page.get_by_role("navigation")).not_to_contain_text("审核队列")
    record = await pool.fetchrow(
        "SELECT total_fen, cardinality(photo_ids) AS photos FROM onscene_records"
        " WHERE task_id = $1::uuid",
        task["id"],
    )
    assert (record["total_fen"], record["photos"]) == (85050, 2)

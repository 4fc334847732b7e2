"""The office side of the workbench on a desk: five failed sign-ins lock an account; an operator replays a
parked message and it is delivered; a driver's complaint is answered from the queue and reaches the driver (SMS
and the app); the supervision map draws every county of the province coloured by the cases of the period, with
the table behind it and its CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import aiohttp
from playwright.async_api import expect

from kuaichu.keys import SERVICES
from kuaichu.reference_loader import load_reference_dir
from tests.api.fault_steps import report_with_parties, upload_required
from tests.api.flows import FIXTURE_ZONES, TONGLU, bearer, create_report, sms_messages
from tests.browser.support import accessible
from tests.browser.workbench import Http, member, signed_in_page, transferred
from tests.integration.delivery import enqueue_disputes, point_insurer
from tests.integration.webhook_receiver import new_secret, start

COMPLAINT = {
    "kind": "complaint",
    "about_case": True,
    "subject": "assessor",
    "text": "查勘员说好20分钟到，一小时了还没来。",
}
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
ANSWER = "已联系保险公司，另派查勘员30分钟内到达。"


async def _until(check, limit_s: float = 15.0) -> None:
    for _ in range(int(limit_s / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the condition never held")


async def _submitted_report(http: Http, live, **overrides) -> str:
    a = await create_report(http, live.settings.var_dir, **overrides)
    await upload_required(http, a["report"]["id"], a["party_token"])
    r = await http.post(f"/v1/reports/{a['report']['id']}/submit", headers=bearer(a["party_token"]))
    assert r.status == 200, await r.text()
    return a["report"]["id"]


async def test_five_failed_sign_ins_lock_an_account_and_an_operator_replays_a_parked_message(
    new_context, live, shots, aiohttp_server
):
    await _five_failures_lock_the_account(new_context, live, shots)
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    rx.fail["400"] = 1
    await point_insurer(live.settings.database_url, rx.url, [{"secret": secret}])
    [msg] = await enqueue_disputes(live.settings.database_url, 1)
    pool = live.app[SERVICES].pool
    await _until(
        lambda: pool.fetchval("SELECT status = 'parked' FROM outbox WHERE id = $1::uuid", msg)
    )

    operator = await member(live, "admin")
    _, page = await signed_in_page(new_context, live, operator, then="/staff/operations")
    health = page.locator("#health tr").filter(has_text="PICC")
    await expect(health).to_contain_text("400")
    row = page.locator("#parked tr").filter(has_text=str(msg)[:8])
    await expect(row).to_contain_text("insurer.webhook")
    await shots(page, "parked")
    await accessible(page)
    await row.get_by_role("button", name="重新发送").click()
    await expect(page.locator("#replay-result")).to_contain_text("已重新排队发送")
    await _until(
        lambda: pool.fetchval("SELECT status = 'delivered' FROM outbox WHERE id = $1::uuid", msg)
    )
    assert (
        rx.ids()[f"msg_{msg.hex}"] == 2
    )  # refused once, delivered after the replay, under the same id
    await page.reload()
    await expect(page.locator("#parked")).to_contain_text("暂无")
    await shots(page, "after replay")

    # The insurer's endpoint and its secret: a rotation shows the new secret once, the old one keeps signing.
    await page.get_by_role("link", name="回调").click()
    picc = page.locator("section.card").filter(has_text="PICC")
    await picc.get_by_role("button", name="轮换 PICC 的密钥").click()
    await expect(picc.locator("code.secret")).to_contain_text("whsec_")
    await expect(picc.get_by_role("row")).to_have_count(3)  # header, the old secret, the new one
    await shots(page, "secret rotated")
    await accessible(page)

    # A new colleague: the account and the one-time link to hand over.
    await page.get_by_role("link", name="账号").click()
    await page.locator("#new-account").get_by_label("用户名").fill("officer-new")
    await page.get_by_label("角色").select_option("police")
    await page.locator("#new-account").get_by_label("辖区").fill("zj-330102")
    await page.get_by_role("button", name="创建账号").click()
    await expect(page.locator("#new-result code.secret")).to_contain_text("/staff/enrol#token=")
    await expect(page.get_by_role("row").filter(has_text="officer-new")).to_contain_text(
        "zj-330102"
    )
    await shots(page, "account created")
    await accessible(page)


async def test_a_complaint_is_answered_from_the_queue_and_the_supervision_map_counts_every_county(
    new_context, live, shots
):
    # The province's 90 counties (the bundled sample reference data, through the real loader).
    await load_reference_dir(live.settings.migrate_database_url, SAMPLE)
    async with aiohttp.ClientSession(base_url=live.url) as session:
        http = Http(live, session)
        case = await report_with_parties(http, live.settings)  # 上城区
        await _submitted_report(http, live)  # 上城区
        await _submitted_report(
            http, live, location=dict(TONGLU), address="桐庐县城南街道"
        )  # 桐庐县
        r = await http.post(
            f"/v1/reports/{case.report_id}/inquiries",
            json=COMPLAINT,
            headers=bearer(case.tokens["B"]),
        )
        assert r.status == 201, await r.text()

    admin = await member(live, "admin")
    _, page = await signed_in_page(new_context, live, admin, then="/staff/inquiries")
    item = page.locator(".card").filter(has_text=COMPLAINT["text"])
    await expect(item).to_contain_text("投诉")
    await expect(item).to_contain_text("查勘人员")
    await shots(page, "complaint in the queue")
    await accessible(page)
    await item.get_by_label("答复").fill(ANSWER)
    await item.get_by_role("button", name="发送答复").click()
    await expect(page.get_by_role("status").filter(has_text="已答复")).to_be_visible()
    await expect(page.locator(".card").filter(has_text=COMPLAINT["text"])).to_contain_text(ANSWER)
    await shots(page, "answered")

    # The driver is texted that the answer is there (a link into the app, not the answer), and the app shows it.
    phone = case.phones["B"]
    await _until(
        lambda: asyncio.sleep(
            0,
            any(
                m["to"] == phone and m["text"].startswith("【快处】您的咨询或投诉已有答复")
                for m in sms_messages(live.settings.var_dir)
            ),
        )
    )
    async with aiohttp.ClientSession(base_url=live.url) as http:
        r = await http.get(
            f"/v1/reports/{case.report_id}/inquiries", headers=bearer(case.tokens["B"])
        )
        [mine] = (await r.json())["inquiries"]
    assert mine["answer"] == ANSWER and mine["answered_at"]

    await page.get_by_role("link", name="监督").click()
    zones = [
        r["id"] for r in await live.app[SERVICES].pool.fetch("SELECT id FROM zones ORDER BY id")
    ]
    assert len(zones) == 90
    counts = {**dict.fromkeys(zones, 0), "zj-330102": 2, "zj-330122": 1}  # as seeded above
    shapes = page.locator("#county-map svg path[data-zone]")
    await expect(shapes).to_have_count(len(zones))
    names = dict(await live.app[SERVICES].pool.fetch("SELECT id, name FROM zones"))
    drawn = await shapes.evaluate_all(
        "ps => ps.map(p => [p.dataset.zone, p.querySelector('title').textContent])"
    )
    assert dict(drawn) == {z: f"{names[z]}：{n} 件 cases" for z, n in counts.items()}
    await expect(page.locator("#supervision table").first.locator("tbody tr")).to_have_count(
        2
    )  # counties with cases
    shanghai = page.get_by_role("row").filter(has_text="上城区")
    await expect(shanghai.locator("td").first).to_have_text("2")
    complaints = await shanghai.locator("td").nth(4).inner_text()
    assert complaints == "1"  # the complaint about the assessor, counted in its county
    colours = {
        z: await page.locator(f'#county-map path[data-zone="{z}"]').get_attribute("fill")
        for z in ("zj-330102", "zj-330122", "zj-330105", "zj-330106", "zj-330922")
    }
    assert colours["zj-330102"] != colours["zj-330122"] != colours["zj-330105"]
    assert (
        colours["zj-330105"] == colours["zj-330106"] == colours["zj-330922"]
    )  # no case: the lightest
    await page.wait_for_load_state("networkidle")
    assert (
        await transferred(page) <= 50_000
    )  # WEB.md's budget for a later page, the province's outlines included
    await shots(page, "supervision map")
    await accessible(page)
    async with page.expect_download() as download:
        await page.get_by_role("link", name="下载 CSV").click()
    path = await (await download.value).path()
    raw = await asyncio.to_thread(Path(path).read_bytes)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    by_zone = {r[header.index("zone_id")]: int(r[header.index("cases")]) for r in body}
    assert by_zone == {**counts, "total": sum(counts.values())}


async def _five_failures_lock_the_account(new_context, live, shots) -> None:
    """Five wrong passwords in a row, typed in the sign-in page, lock the account: then even the right password
    and code are refused, with the lock said in words."""
    who = await member(live, "supervisor", jurisdiction=FIXTURE_ZONES)
    context = await new_context("desk")
    page = await context.new_page()
    await page.goto("/staff/sign-in")
    for attempt in range(5):
        await page.get_by_label("用户名").fill(who.username)
        await page.get_by_label("密码").fill(f"wrong-{attempt}")
        await page.get_by_label("动态口令").fill(who.code())
        await page.get_by_role("button", name="登录").click()
        await expect(page.get_by_role("alert")).to_contain_text(
            "锁定" if attempt == 4 else "不正确"
        )
    await shots(page, "locked")
    await page.get_by_label("用户名").fill(who.username)
    await page.get_by_label("密码").fill(who.password)  # the right password now: still locked
    await page.get_by_label("动态口令").fill(who.code())
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_contain_text("锁定")
    assert page.url.endswith("/staff/sign-in")

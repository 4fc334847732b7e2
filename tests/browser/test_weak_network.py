"""A rural crash on a weak network: A's phone loses the connection in the middle of a photo and finds it again
(the photo arrives once, its hash checked), B reloads in the middle of the flow, B disputes the proposal and the
case waits in the police queue."""

from __future__ import annotations

import hashlib
import os
import re

import aiohttp
from playwright.async_api import expect

from tests.api.fault_steps import staff_token
from tests.api.flows import TONGLU, new_phone
from tests.browser.driver import (
    A_REAR_ENDS,
    B_WAS_STOPPED,
    answer,
    details,
    eligibility,
    facts,
    login,
    phone_context,
    photo,
    step,
)
from tests.browser.proxy import CuttingProxy


def big_photo() -> bytes:
    """A camera-sized JPEG (about 1.5 MB: three chunks) of incompressible noise."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.frombytes("RGB", (1100, 800), os.urandom(1100 * 800 * 3)).save(out, "JPEG", quality=92)
    return out.getvalue()


async def test_a_cut_upload_resumes_and_a_disputed_rural_case_reaches_the_police_queue(
    new_context, live, shots
):
    proxy = await CuttingProxy(live.settings.port).start()
    try:
        a_ctx = await phone_context(new_context, TONGLU, base_url=f"http://localhost:{proxy.port}")
        a = await a_ctx.new_page()
        b = await (await phone_context(new_context, TONGLU)).new_page()
        impact = big_photo()
        digest = hashlib.sha256(impact).hexdigest()

        await a.goto("/")
        await a.get_by_role("button", name="我要报案（先开始的一方）").click()
        await eligibility(a, shots, "A")
        phone_a = new_phone()
        await login(a, live, shots, "A", phone_a)
        await a.get_by_role("button", name="用手机定位").click()
        await expect(a.get_by_text(re.compile("精度约 12 米"))).to_be_visible()
        await a.get_by_label("地点（道路、方向、附近标志物）").fill(
            "桐庐县G320国道往杭州方向，加油站前"
        )
        await a.get_by_role("button", name="下一步：拍照").click()
        await step(a, shots, "A photos", "拍照取证")
        for kind, data in (
            ("front_overview", photo(11)),
            ("rear_overview", photo(12)),
            ("impact_point", impact),
        ):
            await a.locator(f"#file-{kind}").set_input_files(
                {"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": data}
            )
            await expect(
                a.locator(f"#file-{kind}")
                .locator("xpath=..")
                .get_by_role("img", name=re.compile("您拍的"))
            ).to_be_visible()
        await a.get_by_role("button", name="必拍照片已保存，下一步").click()
        await step(a, shots, "A may move the cars (photos only on the phone)", "现在可以挪车了")
        await a.get_by_role("button", name="已挪车，继续填写信息").click()
        # The network drops 500 KB into the photos: in the middle of the large one.
        proxy.cut_after(len(photo(11)) + len(photo(12)) + 600_000)
        await details(a, shots, "A", name="王五", plate="浙A77777", insurer="PICC")
        await proxy.cut_done.wait()
        stalled = re.compile("碰撞部位近景：网络中断，已传 \\d+%，恢复后自动继续")
        await expect(a.get_by_text(stalled)).to_be_visible(timeout=15000)
        await shots(a, "A connection lost mid-upload")
        async with live.app_pool() as conn:
            row = await conn.fetchrow(
                "SELECT received_bytes, size_bytes, status FROM photo_uploads WHERE sha256 = $1",
                digest,
            )
        assert (
            row is not None
            and row["status"] == "receiving"
            and 0 < row["received_bytes"] < row["size_bytes"]
        )

        proxy.restore()  # the network is back: the page resumes from the stored offset by itself
        await step(a, shots, "A share code after the network came back", "请对方加入")
        await expect(a.get_by_text("碰撞部位近景：已上传")).to_be_visible(timeout=30000)
        code = (await a.locator(".code").inner_text()).strip()
        async with live.app_pool() as conn:
            photos = await conn.fetch("SELECT id, report_id FROM photos WHERE sha256 = $1", digest)
        assert len(photos) == 1  # arrived once
        police = {"Authorization": "Bearer " + await staff_token(live.settings, "police")}
        async with aiohttp.ClientSession(live.url) as http:
            original = f"/v1/reports/{photos[0]['report_id']}/photos/{photos[0]['id']}/original"
            r = await http.get(original, headers=police)
            assert (
                r.status == 200 and hashlib.sha256(await r.read()).hexdigest() == digest
            )  # untouched

        # B joins from the link, and reloads the page in the middle of giving their account.
        await b.goto(f"/join?code={code}")
        await eligibility(b, shots, "B")
        await login(b, live, shots, "B", new_phone())
        await details(b, shots, "B", name="赵六", plate="浙B88888", insurer="CPIC")
        await step(b, shots, "B reviews", "请先看对方填写的内容")
        await b.get_by_role("button", name="我已看完，继续").click()
        await step(b, shots, "B facts", "事故经过")
        saved = await b.evaluate("document.documentElement.dataset.savedAt || ''")
        await answer(b, "事故发生在哪里？", "路段上（不在路口）")
        # the answer is kept on the phone as soon as it is given; reload once it is
        await b.wait_for_function(f"(document.documentElement.dataset.savedAt || '') !== {saved!r}")
        await b.reload()
        await step(b, shots, "B after reload", "事故经过")
        await expect(
            b.get_by_role("group", name="事故发生在哪里？").get_by_label("路段上（不在路口）")
        ).to_be_checked()
        await facts(b, shots, "B", B_WAS_STOPPED)
        await facts(a, shots, "A", A_REAR_ENDS)
        await step(b, shots, "B proposal", "责任建议")
        await b.get_by_role("button", name="不同意，交交警审核").click()
        await expect(b.get_by_text("不同意时请写明理由。")).to_be_visible()
        await shots(b, "B must give a reason")
        await b.get_by_label("不同意的理由").fill("我是被追尾的，但对方说我倒车，事实有争议")
        await b.get_by_role("button", name="不同意，交交警审核").click()
        for who, page in (("B", b), ("A", a)):
            await step(page, shots, f"{who} police review", "处理进度")
            await expect(page.get_by_text("交警正在审核本案")).to_be_visible()
        async with aiohttp.ClientSession(live.url) as http:
            queue = await (await http.get("/v1/police/reviews", headers=police)).json()
        assert [r["report_id"] for r in queue["reviews"]] == [str(photos[0]["report_id"])]
        assert queue["reviews"][0]["source"] == "dispute"
    finally:
        await proxy.close()

"""From both accounts to a signed 自行协商协议书 (程序规定 §21), through real HTTP on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json

import asyncpg
import pypdf
import pypdfium2
import pytest
from PIL import Image

from kuaichu.keys import SERVICES
from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    Case,
    give_accounts,
    police,
    report_with_parties,
    respond,
    sign,
)
from tests.api.flows import bearer, last_code, new_phone, party


def signature_png() -> str:
    im = Image.new("RGB", (120, 40), "white")
    im.paste((0, 0, 0), (10, 18, 110, 22))
    out = io.BytesIO()
    im.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_both_parties_accept_and_sign_and_get_the_agreement_as_json_and_pdf(client, settings):
    case = await report_with_parties(client, settings)
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    assert state["status"] == "proposed"
    proposal = state["proposal"]
    assert proposal["result"]["allocations"] == [
        {"party": "A", "liability": "full", "share_percent": 100},
        {"party": "B", "liability": "none", "share_percent": 0},
    ]
    assert proposal["template_set"]["id"] == "national-online"
    for label in ("A", "B"):
        r = await respond(client, case, label, proposal["version"], key=f"accept-{label}")
        assert r.status == 200, await r.text()
    image = signature_png()
    r = await sign(client, settings, case, "A", proposal["version"], mutual=True, image=image)
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "proposed"
    r = await sign(client, settings, case, "B", proposal["version"])
    state = await r.json()
    assert state["status"] == "agreed"
    assert [s["party"] for s in state["signatures"]] == ["A", "B"]

    r = await client.get(
        f"/v1/reports/{case.report_id}/agreement", headers=bearer(case.tokens["B"])
    )
    assert r.status == 200
    raw = await r.read()
    assert hashlib.sha256(raw).hexdigest() == state["agreement"]["json_sha256"]
    doc = json.loads(raw)
    assert doc["title"]["zh"] == "道路交通事故自行协商协议书"
    acc = doc["accident"]
    assert (
        acc["time_zh"]
        and acc["place"]["address"] == "杭州市上城区解放东路"
        and acc["weather"]["zh"] == "晴"
    )
    assert acc["collision"]["zh"] == "追尾碰撞"
    a, b = doc["parties"]
    assert (a["name"], a["vehicle"]["plate"], a["liability"]["zh"]) == (
        "张三",
        "浙A12345",
        "全部责任",
    )
    assert (b["name"], b["liability"]["share_percent"]) == ("李四", 0)
    for p in doc["parties"]:
        assert (
            p["id_number"]
            and p["phone"]
            and p["vehicle"]["type_zh"]
            and p["insurance"]["policy_number"]
        )
        assert p["insurance"]["insurer_name"] and p["impact"]["zh"] in ("车辆前部", "车辆后部")
    sig_a = doc["signatures"][0]
    assert sig_a["code_confirmed"] is True and sig_a["mutual_self_compensation"] is True
    assert sig_a["image_sha256"] == hashlib.sha256(base64.b64decode(image)).hexdigest()
    assert doc["signatures"][1]["image_sha256"] is None

    r = await client.get(
        f"/v1/reports/{case.report_id}/agreement.pdf", headers=await police(settings)
    )
    assert r.status == 200 and r.content_type == "application/pdf"
    pdf = await r.read()
    assert hashlib.sha256(pdf).hexdigest() == state["agreement"]["pdf_sha256"]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for needle in (
        "道路交通事故自行协商协议书",
        "张三",
        "李四",
        "浙A12345",
        "全部责任",
        "无责任",
        "追尾碰撞",
        "晴",
    ):
        assert needle in text, needle
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("L")
    assert page.getextrema()[0] < 100  # ink on the page, not a blank sheet


async def test_agreement_and_settled_message_are_written_with_the_last_signature(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        await respond(client, case, label, v)
    await sign(client, settings, case, "A", v)
    r = await client.get(
        f"/v1/reports/{case.report_id}/agreement", headers=bearer(case.tokens["A"])
    )
    assert r.status == 404
    await sign(client, settings, case, "B", v, mutual=True)
    row = await client.server.app[SERVICES].pool.fetchrow(
        "SELECT dedupe_key, payload FROM outbox WHERE topic = 'report.settled'"
    )
    assert row["dedupe_key"] == f"report.settled:{case.report_id}:{v}"
    payload = row["payload"]
    assert payload["outcome"] == "agreed"
    assert payload["parties"] == [
        {"label": "A", "liability": "full", "share_percent": 100},
        {"label": "B", "liability": "none", "share_percent": 0},
    ]
    assert payload["mutual_self_compensation"] == {"A": False, "B": True}


async def test_a_wrong_signing_code_is_refused_and_nothing_is_signed(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        await respond(client, case, label, v)
    r = await sign(client, settings, case, "A", v, code="000000")
    if r.status == 200:  # the texted code happened to be 000000
        return
    assert r.status == 422
    assert (await r.json())["type"] == "/problems/wrong-code"
    r = await client.get(case.url(), headers=bearer(case.tokens["A"]))
    assert (await r.json())["signatures"] == []


async def test_signing_before_both_accepted_is_an_illegal_transition(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    await respond(client, case, "A", v)
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    assert r.status == 409
    assert (await r.json())["type"] == "/problems/illegal-transition"


async def test_a_signing_retry_with_the_same_key_gets_the_first_answer_though_the_code_is_spent(
    client, settings
):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        await respond(client, case, label, v)
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    assert r.status == 202
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": last_code(settings.var_dir, case.phones["A"]),
    }
    headers = {**bearer(case.tokens["A"]), "Idempotency-Key": "sign-A"}
    first = await client.post(case.url("/signatures"), json=body, headers=headers)
    again = await client.post(case.url("/signatures"), json=body, headers=headers)
    assert first.status == again.status == 200
    assert await first.json() == await again.json()
    assert [s["party"] for s in (await first.json())["signatures"]] == ["A"]


async def agreed_case(
    client, settings, *, name: str = "张三", image: str | None = None
) -> tuple[Case, int]:
    """A case whose parties both accepted and whose party A signed; B's signature completes the agreement."""
    phone = new_phone()
    case = await report_with_parties(client, settings, phone=phone, party=party(phone, name=name))
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        r = await respond(client, case, label, v)
        assert r.status == 200, await r.text()
    r = await sign(client, settings, case, "A", v, image=image)
    assert r.status == 200, await r.text()
    return case, v


async def pdf_text(client, settings, case: Case) -> str:
    r = await client.get(
        f"/v1/reports/{case.report_id}/agreement.pdf", headers=await police(settings)
    )
    assert r.status == 200
    pdf = await r.read()
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


async def test_a_party_whose_name_looks_like_markup_signs_and_the_pdf_prints_the_name_as_typed(
    client, settings
):
    case, v = await agreed_case(client, settings, name="<b>王五")
    r = await sign(client, settings, case, "B", v)
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "agreed"
    assert "<b>王五" in await pdf_text(client, settings, case)


async def test_a_party_named_with_extension_a_and_b_characters_is_named_exactly_in_the_pdf(
    client, settings
):
    name = "张\u3400\U00020000"
    case, v = await agreed_case(client, settings, name=name)
    r = await sign(client, settings, case, "B", v)
    assert r.status == 200, await r.text()
    assert name in await pdf_text(client, settings, case)


async def test_the_drawn_signature_is_printed_in_the_agreement_pdf(client, settings):
    case, v = await agreed_case(client, settings, image=signature_png())
    r = await sign(client, settings, case, "B", v)
    assert r.status == 200, await r.text()
    r = await client.get(
        f"/v1/reports/{case.report_id}/agreement.pdf", headers=bearer(case.tokens["A"])
    )
    (page,) = pypdf.PdfReader(io.BytesIO(await r.read())).pages
    (printed,) = page.images
    assert printed.image.size == (120, 40) and printed.image.convert("L").getextrema() == (0, 255)


async def test_a_signature_image_that_does_not_decode_is_refused_before_the_code_is_spent(
    client, settings
):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        await respond(client, case, label, v)
    broken = base64.b64encode(
        base64.b64decode(signature_png())[:40] + b"\x00" * 20 + b"IEND\xaeB`\x82"
    ).decode()
    r = await sign(client, settings, case, "A", v, image=broken)
    assert r.status == 422
    assert (await r.json())["errors"][0]["pointer"] == "#/signature_png_base64"
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": last_code(settings.var_dir, case.phones["A"]),
    }
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 200, await r.text()


async def test_a_failure_after_the_code_is_checked_does_not_cost_the_driver_the_code(
    client, settings, owner_database_url
):
    case, v = await agreed_case(client, settings)
    conn = await asyncpg.connect(owner_database_url)
    try:  # the database refuses the agreement row for now: a real failure after the code was checked
        await conn.execute(
            "ALTER TABLE fault_agreements ADD CONSTRAINT refused_for_now CHECK (false) NOT VALID"
        )
        r = await sign(client, settings, case, "B", v)
        assert r.status == 500
        await conn.execute("ALTER TABLE fault_agreements DROP CONSTRAINT refused_for_now")
    finally:
        await conn.close()
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": last_code(settings.var_dir, case.phones["B"]),
    }  # the same code, no new one requested
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["B"]))
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "agreed"


@pytest.mark.timeout(300)  # forty cases are built through HTTP first
async def test_forty_agreements_completing_at_once_all_answer_200(aiohttp_client, settings):
    from kuaichu.app import create_app

    roomy = settings.model_copy(update={"otp_sends_per_ip_per_hour": 1000, "db_pool_max": 12})
    client = await aiohttp_client(create_app(roomy))
    cases = []
    for _ in range(5):
        cases += await asyncio.gather(*(agreed_case(client, roomy) for _ in range(8)))
    for case, _ in cases:  # codes first, so that the signatures themselves go out together
        r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["B"]))
        assert r.status == 202
    bodies = [
        {
            "proposal_version": v,
            "mutual_self_compensation": False,
            "code": last_code(roomy.var_dir, case.phones["B"]),
        }
        for case, v in cases
    ]
    answers = await asyncio.gather(
        *(
            client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["B"]))
            for (case, _), body in zip(cases, bodies, strict=True)
        )
    )
    assert [r.status for r in answers] == [200] * 40
    assert {(await r.json())["status"] for r in answers} == {"agreed"}

"""Documents on a line, as PRODUCT.md "Documents" and 交强险条例 §28–§29 say: the insurer lists them from the
closed list (§28, within 1 day of receipt); the claimant uploads each (image or PDF, checked, stored encrypted,
only that line's insurer reads it; ID card and bank account behind separate consent, 个人信息保护法 art. 29); they
are complete when every item is in, or the insurer says so, or none are needed, and §29's 5 days run from then
even if the insurer never declares it; a paper item counts once the insurer confirms receiving it. The driver
sees what is requested and by when."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import aiohttp
import pypdf
import pytest

from claims import repository as repo
from kuaichu.db import connect
from tests.api.claims_setup import opened_case, sql
from tests.api.evidence import phone_jpeg
from tests.api.flows import CONSENT

BEIJING = timezone(timedelta(hours=8))


def pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form(data: bytes, filename: str = "doc.bin") -> aiohttp.FormData:
    f = aiohttp.FormData()
    f.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return f


@pytest.fixture
async def case(client, settings):
    """A 100 % / B 0 %: B's loss is owed by A's insurer PICC on its line; B is the claimant."""
    report_id, auth, claims, drivers = await opened_case(client, settings, {"A": 100, "B": 0})
    url = f"/v1/insurer/claims/{claims['B']}"
    assert (await client.get(url, headers=auth["PICC"])).status == 200  # received: §28 runs
    return {
        "report_id": str(report_id),
        "auth": auth,
        "claims": claims,
        "drivers": drivers,
        "url": url,
        "mine": f"/v1/reports/{report_id}/claims",
    }


async def request_documents(client, case, ref: str, *items: dict) -> dict:
    r = await client.post(
        f"{case['url']}/documents",
        headers=case["auth"]["PICC"],
        json={"reference": ref, "stage": "requested", "items": list(items)},
    )
    assert r.status == 200, await r.text()
    return await r.json()


async def driver_line(client, case, label: str = "B") -> dict:
    r = await client.get(case["mine"], headers=case["drivers"][label])
    assert r.status == 200, await r.text()
    [claim] = (await r.json())["claims"]
    [line] = claim["lines"]
    return line


def items_by_kind(line: dict) -> dict[str, dict]:
    return {i["kind"]: i for i in line["documents"]}


async def test_the_driver_sees_what_is_requested_by_whom_and_by_when(client, settings, case):
    await request_documents(
        client,
        case,
        "q1",
        {"kind": "vehicle_licence"},
        {"kind": "repair_invoice"},
        {"kind": "other", "description": "修理厂出具的维修清单"},
    )
    r = await client.get(case["mine"], headers=case["drivers"]["B"])
    [claim] = (await r.json())["claims"]
    assert claim["id"] == case["claims"]["B"] and claim["label"] == "B"
    assert "仲裁" in claim["remedies"]["zh"] and "arbitration" in claim["remedies"]["en"]
    [line] = claim["lines"]
    assert (line["insurer_code"], line["insurer_name"]) == ("PICC", "中国人民财产保险股份有限公司")
    assert line["status"] == "documents_requested" and line["status_zh"] == "已告知需提供的材料"
    docs = line["documents"]
    assert [(d["kind"], d["name_zh"], d["received"]) for d in docs] == [
        ("vehicle_licence", "行驶证", False),
        ("repair_invoice", "维修发票", False),
        ("other", "其他材料", False),
    ]
    assert docs[2]["description"] == "修理厂出具的维修清单"
    [listed] = line["deadlines"]  # §28 met; §29 waits for complete documents
    assert (listed["duty"], listed["state"]) == ("documents_listed", "met")
    assert "flags" not in line  # review signals are for staff and insurers
    # A, the other driver, sees only A's own claim and its line (B's insurer, the no-fault limit)
    r = await client.get(case["mine"], headers=case["drivers"]["A"])
    assert [
        (c["label"], [ln["insurer_code"] for ln in c["lines"]]) for c in (await r.json())["claims"]
    ] == [("A", ["CPIC"])]
    assert (await client.get(case["mine"])).status == 401


async def test_a_provisional_deadline_says_so_to_the_driver(client, settings, case):
    await sql(
        settings,
        "UPDATE claim_lines SET received_at = $1::timestamptz WHERE claim_id = $2::uuid",
        datetime(2035, 9, 28, 15, tzinfo=BEIJING),
        case["claims"]["B"],
    )
    [listed] = (await driver_line(client, case))["deadlines"]
    assert (
        listed["provisional"] is True and "暂定" in listed["zh"] and "Provisional" in listed["en"]
    )


async def test_documents_uploaded_are_complete_and_the_decision_clock_runs_without_a_declaration(
    client, settings, case
):
    requested = await request_documents(
        client, case, "q1", {"kind": "vehicle_licence"}, {"kind": "repair_invoice"}
    )
    ids = {d["kind"]: d["id"] for d in requested["documents"]}
    base = f"{case['mine']}/{case['claims']['B']}/documents"
    r = await client.post(
        f"{base}/{ids['vehicle_licence']}", data=form(phone_jpeg()), headers=case["drivers"]["B"]
    )
    assert r.status == 201, await r.text()
    assert (await r.json())["documents_complete"] is False
    r = await client.post(
        f"{base}/{ids['repair_invoice']}", data=form(pdf()), headers=case["drivers"]["B"]
    )
    assert r.status == 201, await r.text()
    body = await r.json()
    assert body["documents_complete"] is True and body["media_type"] == "application/pdf"
    view = await (await client.get(case["url"], headers=case["auth"]["PICC"])).json()
    line = view["line"]
    assert (
        line["status"] == "documents_complete" and line["documents_complete_how"] == "all_received"
    )
    complete_at = datetime.fromisoformat(line["documents_complete_at"])
    decision = next(d for d in line["deadlines"] if d["duty"] == "decision")
    conn = await connect(settings.database_url)
    try:
        calendar = await repo.holiday_calendar(conn)
    finally:
        await conn.close()
    assert (
        datetime.fromisoformat(decision["due_at"]) == calendar.due(complete_at, 5).at
    )  # §29: 5 days from then
    assert [d["state"] for d in line["deadlines"]] == ["met", "open"]
    # the same file again answers the stored upload
    r = await client.post(
        f"{base}/{ids['repair_invoice']}", data=form(pdf()), headers=case["drivers"]["B"]
    )
    assert r.status == 200 and (await r.json())["id"] == body["id"]
    assert len(await sql(settings, "SELECT 1 FROM claim_documents")) == 2
    assert [d["state"] for d in (await driver_line(client, case))["deadlines"]] == ["met", "open"]


async def test_only_the_lines_insurer_reads_a_document_and_it_is_stored_encrypted(
    client, settings, case
):
    requested = await request_documents(client, case, "q1", {"kind": "driving_licence"})
    [item] = requested["documents"]
    jpeg = phone_jpeg(shade=40)
    r = await client.post(
        f"{case['mine']}/{case['claims']['B']}/documents/{item['id']}",
        data=form(jpeg),
        headers=case["drivers"]["B"],
    )
    assert r.status == 201, await r.text()
    doc_id = (await r.json())["id"]
    view = await (await client.get(case["url"], headers=case["auth"]["PICC"])).json()
    url = view["line"]["documents"][0]["document"]["url"]
    r = await client.get(url, headers=case["auth"]["PICC"])
    assert r.status == 200 and await r.read() == jpeg and r.headers["Content-Type"] == "image/jpeg"
    assert "no-store" in r.headers["Cache-Control"]
    for other in (
        "CPIC",
        "PINGAN",
    ):  # B's own insurer has no line on B's claim; PINGAN nothing at all
        r = await client.get(url, headers=case["auth"][other])
        assert r.status == 404 and (await r.json())["type"].endswith("claim-document-not-found")
    r = await client.get(
        f"/v1/insurer/claims/{case['claims']['A']}/documents/{doc_id}", headers=case["auth"]["CPIC"]
    )
    assert r.status == 404  # not under another claim either
    assert (await client.get(url)).status == 401
    # the claimant withdraws sharing the case (PIPL art. 23): the insurer reads it no more; consenting again restores
    r = await client.post(
        f"/v1/reports/{case['report_id']}/consent",
        json={**CONSENT, "sharing": False},
        headers=case["drivers"]["B"],
    )
    assert r.status == 200, await r.text()
    r = await client.get(url, headers=case["auth"]["PICC"])
    assert r.status == 403 and "第二十三条" in (await r.json())["zh"]["detail"]
    await client.post(
        f"/v1/reports/{case['report_id']}/consent", json=CONSENT, headers=case["drivers"]["B"]
    )
    assert (await client.get(url, headers=case["auth"]["PICC"])).status == 200
    told = await sql(
        settings,
        "SELECT payload->>'insurer_code' AS code FROM outbox "
        "WHERE payload->>'event_type' = 'claim.document_uploaded'",
    )
    assert [r["code"] for r in told] == ["PICC"]  # the line's insurer hears of it, nobody else
    [row] = await sql(settings, "SELECT sealed FROM claim_documents")
    assert jpeg[:64] not in bytes(row["sealed"]) and jpeg[-64:] not in bytes(row["sealed"])
    # the other driver cannot upload to B's claim
    r = await client.post(
        f"{case['mine']}/{case['claims']['B']}/documents/{item['id']}",
        data=form(jpeg),
        headers=case["drivers"]["A"],
    )
    assert r.status == 404


async def test_id_card_and_bank_documents_need_separate_consent_first(client, settings, case):
    requested = await request_documents(
        client, case, "q1", {"kind": "id_card"}, {"kind": "bank_account"}
    )
    ids = {d["kind"]: d["id"] for d in requested["documents"]}
    assert all(d["consent_required"] and d["consent_given"] is None for d in requested["documents"])
    base = f"{case['mine']}/{case['claims']['B']}"
    r = await client.post(
        f"{base}/documents/{ids['id_card']}", data=form(phone_jpeg()), headers=case["drivers"]["B"]
    )
    assert r.status == 403
    problem = await r.json()
    assert (
        problem["type"].endswith("document-consent-required")
        and "第二十九条" in problem["zh"]["detail"]
    )
    assert await sql(settings, "SELECT 1 FROM claim_documents") == []  # nothing stored
    line_id = (await driver_line(client, case))["id"]
    r = await client.post(
        f"{base}/document-consents",
        json={"line_id": line_id, "kind": "id_card", "given": True},
        headers=case["drivers"]["B"],
    )
    assert r.status == 201, await r.text()
    r = await client.post(
        f"{base}/document-consents",
        json={"line_id": line_id, "kind": "id_card", "given": True},
        headers=case["drivers"]["A"],
    )
    assert r.status == 404  # not A's claim
    r = await client.post(
        f"{base}/documents/{ids['id_card']}", data=form(phone_jpeg()), headers=case["drivers"]["B"]
    )
    assert r.status == 201, await r.text()
    # consent for the ID card is not consent for the bank account
    r = await client.post(
        f"{base}/documents/{ids['bank_account']}", data=form(pdf()), headers=case["drivers"]["B"]
    )
    assert r.status == 403
    line = await driver_line(client, case)
    assert {k: (v["consent_given"], v["received"]) for k, v in items_by_kind(line).items()} == {
        "id_card": (True, True),
        "bank_account": (None, False),
    }
    # withdrawn, the insurer can no longer read the ID card
    view = await (await client.get(case["url"], headers=case["auth"]["PICC"])).json()
    url = items_by_kind(view["line"])["id_card"]["document"]["url"]
    assert (await client.get(url, headers=case["auth"]["PICC"])).status == 200
    r = await client.post(
        f"{base}/document-consents",
        json={"line_id": line_id, "kind": "id_card", "given": False},
        headers=case["drivers"]["B"],
    )
    assert r.status == 201
    r = await client.get(url, headers=case["auth"]["PICC"])
    assert r.status == 403 and (await r.json())["type"].endswith("document-consent-required")


async def test_a_paper_item_counts_once_the_insurer_confirms_it(client, settings, case):
    requested = await request_documents(
        client,
        case,
        "q1",
        {"kind": "repair_invoice", "on_paper": True},
        {"kind": "vehicle_licence"},
    )
    ids = {d["kind"]: d["id"] for d in requested["documents"]}
    base = f"{case['mine']}/{case['claims']['B']}/documents"
    r = await client.post(
        f"{base}/{ids['repair_invoice']}", data=form(pdf()), headers=case["drivers"]["B"]
    )
    assert r.status == 409 and "纸质" in (await r.json())["zh"]["detail"]
    r = await client.post(
        f"{base}/{ids['vehicle_licence']}", data=form(phone_jpeg()), headers=case["drivers"]["B"]
    )
    assert (await r.json())["documents_complete"] is False  # the paper invoice is still awaited
    r = await client.post(
        f"{case['url']}/documents",
        headers=case["auth"]["PICC"],
        json={"reference": "p1", "stage": "paper_received", "item_ids": [ids["repair_invoice"]]},
    )
    assert r.status == 200, await r.text()
    line = (await r.json())["line"]
    assert (
        line["status"] == "documents_complete" and line["documents_complete_how"] == "all_received"
    )
    assert items_by_kind(line)["repair_invoice"]["paper_received_at"] is not None


async def test_none_needed_or_declared_complete_start_the_decision_clock(client, settings, case):
    r = await client.post(
        f"{case['url']}/documents",
        headers=case["auth"]["PICC"],
        json={"reference": "n1", "stage": "none_needed"},
    )
    line = (await r.json())["line"]
    assert (line["status"], line["documents_complete_how"]) == ("documents_complete", "none_needed")
    assert [(d["duty"], d["state"]) for d in line["deadlines"]] == [
        ("documents_listed", "met"),
        ("decision", "open"),
    ]
    # CPIC, on A's claim: asks for one item, then declares complete without it
    url = f"/v1/insurer/claims/{case['claims']['A']}"
    await client.post(
        f"{url}/documents",
        headers=case["auth"]["CPIC"],
        json={"reference": "c1", "stage": "requested", "items": [{"kind": "repair_invoice"}]},
    )
    r = await client.post(
        f"{url}/documents",
        headers=case["auth"]["CPIC"],
        json={"reference": "c2", "stage": "complete"},
    )
    assert (await r.json())["line"]["documents_complete_how"] == "declared"


@pytest.mark.parametrize(
    ("data", "status", "problem"),
    [
        (b"just some text, not a document", 415, "not-a-document"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF", 415, "not-a-document"),
        (phone_jpeg()[:2000], 422, "truncated-image"),
    ],
)
async def test_a_bad_upload_is_refused_precisely_and_nothing_is_stored(
    client, settings, case, data, status, problem
):
    requested = await request_documents(client, case, "q1", {"kind": "repair_invoice"})
    r = await client.post(
        f"{case['mine']}/{case['claims']['B']}/documents/{requested['documents'][0]['id']}",
        data=form(data),
        headers=case["drivers"]["B"],
    )
    assert r.status == status, await r.text()
    assert (await r.json())["type"].endswith(problem)
    assert await sql(settings, "SELECT 1 FROM claim_documents") == []


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (
            {"reference": "v1", "stage": "requested", "items": [{"kind": "passport"}]},
            "#/items/0/kind",
        ),
        ({"reference": "v2", "stage": "requested", "items": [{"kind": "other"}]}, "#/items/0"),
        ({"reference": "v3", "stage": "requested", "items": []}, "#"),
        ({"reference": "v4", "stage": "requested", "items": ["行驶证"]}, "#/items/0"),
    ],
)
async def test_requests_come_from_the_closed_list(client, settings, case, body, pointer):
    r = await client.post(f"{case['url']}/documents", headers=case["auth"]["PICC"], json=body)
    assert r.status == 422
    assert pointer in [e["pointer"] for e in (await r.json())["errors"]]
    assert await sql(settings, "SELECT 1 FROM claim_document_requests") == []


async def test_a_claim_holds_documents_within_the_photo_limits(aiohttp_client, settings):
    from kuaichu.app import create_app

    client = await aiohttp_client(
        create_app(settings.model_copy(update={"max_photos_per_report": 2}))
    )
    report_id, auth, claims, drivers = await opened_case(client, settings, {"A": 100, "B": 0})
    case = {"auth": auth, "url": f"/v1/insurer/claims/{claims['B']}"}
    requested = await request_documents(
        client,
        case,
        "q1",
        {"kind": "vehicle_licence"},
        {"kind": "driving_licence"},
        {"kind": "repair_invoice"},
    )
    base = f"/v1/reports/{report_id}/claims/{claims['B']}/documents"
    statuses = []
    for shade, item in enumerate(requested["documents"]):
        r = await client.post(
            f"{base}/{item['id']}", data=form(phone_jpeg(shade=shade * 30)), headers=drivers["B"]
        )
        statuses.append(r.status)
    assert statuses == [201, 201, 409]
    assert (await r.json())["type"].endswith("document-quota-exceeded")
    assert len(await sql(settings, "SELECT 1 FROM claim_documents")) == 2

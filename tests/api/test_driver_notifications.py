"""A driver is texted when something needs them: each event queued once through the outbox in the change's own
transaction, delivered once by the real worker with the development SMS sender (whose file is read here), in
Chinese with a link into the app, and listed on the party's status page. Real HTTP, real PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter

from tests.api.claims_setup import settle, settled, sql, tokens
from tests.api.court_setup import court_case, package_row, settings_with_court
from tests.api.driver_steps import court_callback, deliver_texts, queued_texts, status_of, texts_to
from tests.api.fault_steps import determine, dispute_to_review, police, report_with_parties
from tests.api.flows import create_report, join, sms_messages

settings = settings_with_court


async def test_party_a_is_texted_once_when_b_joins_with_a_link_into_the_app(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    status, _, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    assert await queued_texts(client, rid) == Counter({("party_joined", "A"): 1})
    await deliver_texts(client)
    await deliver_texts(client)  # a second worker pass sends nothing again
    [text] = texts_to(settings, a["phone"])
    assert "对方驾驶人（B方）已加入" in text and f"{settings.public_base_url}/r/{rid}" in text
    listed = (await status_of(client, rid, a["party_token"]))["notifications"]
    assert [(n["event"], n["state"]) for n in listed] == [("party_joined", "sent")]
    assert listed[0]["zh"] == "对方驾驶人已加入" and listed[0]["sent_at"] is not None


async def test_a_referral_to_122_when_b_joins_is_texted_to_a_with_what_to_do(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    status, _, _ = await join(
        client, settings.var_dir, a["share_code"]["code"], answers={"licence_valid": False}
    )
    assert status == 200
    assert await queued_texts(client, rid) == Counter({("referred_to_122", "A"): 1})
    await deliver_texts(client)
    [text] = texts_to(settings, a["phone"])
    assert "已转交警处理" in text and "122" in text and f"/r/{rid}" in text
    assert "驾驶证" not in text  # B's reasons are B's own
    summary = await status_of(client, rid, a["party_token"])
    assert summary["next"]["action"] == "call_122" and summary["phase"] == "referred_to_122"
    assert [n["event"] for n in summary["notifications"]] == ["referred_to_122"]


async def test_both_drivers_are_texted_once_when_the_police_issue_a_determination(client, settings):
    case = await report_with_parties(client, settings)
    await dispute_to_review(client, case)
    officer = await police(settings)
    r = await determine(client, case, officer, {"A": "major", "B": "minor"})
    assert r.status == 201, await r.text()
    assert await queued_texts(client, case.report_id) == Counter(
        {
            ("party_joined", "A"): 1,
            ("police_determination", "A"): 1,
            ("police_determination", "B"): 1,
        }
    )
    await deliver_texts(client)
    for label in ("A", "B"):
        texts = texts_to(settings, case.phones[label])
        assert sum("交警已对您的事故出具责任认定" in t for t in texts) == 1
        summary = await status_of(client, case.report_id, case.tokens[label])
        assert "police_determination" in [n["event"] for n in summary["notifications"]]
        assert summary["police_review"]["state"] == "determined"
        assert summary["next"]["action"] == "answer_determination"


async def test_the_claimant_is_texted_when_documents_are_requested_and_the_payout_agreed_and_paid(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    assert (await join(client, settings.var_dir, a["share_code"]["code"]))[0] == 201
    auth = await tokens(settings)
    await settle(settings, settled(uuid.UUID(rid), {"A": 100, "B": 0}))
    claims = {r["label"]: str(r["id"]) for r in await sql(settings, "SELECT id, label FROM claims")}
    url = f"/v1/insurer/claims/{claims['A']}"
    h = auth["CPIC"]  # A's loss is owed by B's insurer (the no-fault limit)
    asked = {
        "reference": "s1",
        "stage": "requested",
        "items": [
            {"kind": "vehicle_licence", "on_paper": False},
            {"kind": "driving_licence", "on_paper": False},
        ],
    }
    steps = [
        ("documents", asked),
        ("documents", asked),  # the insurer retries its callback
        ("documents", {"reference": "s2", "stage": "complete"}),
        ("decision", {"reference": "s3", "covered": True}),
        ("payout-agreement", {"reference": "s4", "amount_fen": 123_456}),
        ("payment", {"reference": "s5", "amount_fen": 123_456}),
    ]
    summaries = []
    for path, body in steps:
        r = await client.post(f"{url}/{path}", json=body, headers=h)
        assert r.status == 200, await r.text()
        summaries.append(await status_of(client, rid, a["party_token"]))
    assert await queued_texts(client, rid) == Counter(
        {
            ("party_joined", "A"): 1,
            ("documents_requested", "A"): 1,
            ("payout_agreed", "A"): 1,
            ("payout_paid", "A"): 1,
        }
    )
    # While the documents are awaited the page lists what to send.
    [line] = next(c for c in summaries[0]["claims"] if c["yours"])["lines"]
    assert line["insurer_code"] == "CPIC" and len(line["documents_to_send"]) == 2
    await deliver_texts(client)
    summary = await status_of(client, rid, a["party_token"])
    assert [n["event"] for n in summary["notifications"]] == [
        "party_joined",
        "documents_requested",
        "payout_agreed",
        "payout_paid",
    ]
    assert all(n["state"] == "sent" for n in summary["notifications"])
    texts = [m["text"] for m in sms_messages(settings.var_dir) if "保险公司" in m["text"]]
    assert len(texts) == 3
    assert any("1234.56元" in t and "确定赔偿金额" in t for t in texts)
    assert any("已向您支付赔款1234.56元" in t for t in texts)
    mine = next(c for c in summary["claims"] if c["yours"])
    assert mine["lines"][0]["paid_fen"] == 123_456 and mine["lines"][0]["documents_to_send"] == []
    assert [c["yours"] for c in summary["claims"]] == [True, False]


async def test_both_drivers_are_texted_once_when_the_court_schedules_mediation(client, settings):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    calls = [
        ("cb-1", "accepted", 1, {}),
        ("cb-2", "mediation_scheduled", 2, {"scheduled_at": "2026-12-08T09:30:00Z"}),
        ("cb-2", "mediation_scheduled", 2, {"scheduled_at": "2026-12-08T09:30:00Z"}),
    ]  # the court retries
    for msg_id, type_, sequence, data in calls:
        r = await court_callback(
            client, settings, package_id=pkg, type_=type_, sequence=sequence, msg_id=msg_id, **data
        )
        assert r.status == 200, await r.text()
    counts = await queued_texts(client, case.report_id)
    assert counts[("mediation_scheduled", "A")] == 1 and counts[("mediation_scheduled", "B")] == 1
    await deliver_texts(client)
    for label in ("A", "B"):
        assert sum("法院已安排调解" in t for t in texts_to(settings, case.phones[label])) == 1
        summary = await status_of(client, case.report_id, case.tokens[label])
        assert summary["phase"] == "court" and summary["next"]["action"] == "follow_court"
        assert summary["notifications"][-1]["event"] == "mediation_scheduled"
        assert summary["court"]["sent_to_court"] is True

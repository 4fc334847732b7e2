"""Inquiries and complaints: a driver's complaint lands in the queue of the case's jurisdiction, is answered
there, and the answer reaches the driver by SMS once and in the app."""

from __future__ import annotations

from datetime import datetime

from claims.calendar import calendar_with
from tests.api.evidence import outbox_done, run_worker, staff_token
from tests.api.fault_steps import police, report_with_parties
from tests.api.flows import bearer, sms_messages
from tests.api.workbench_steps import as_owner, officer_of

COMPLAINT = {
    "kind": "complaint",
    "about_case": True,
    "subject": "insurer",
    "text": "保险公司超过期限仍未联系我定损。\n请尽快处理。",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_complaint_is_answered_from_the_queue_and_the_answer_reaches_the_driver_once(
    client, settings
):
    case = await report_with_parties(client, settings)
    url = f"/v1/reports/{case.report_id}/inquiries"
    headers = bearer(case.tokens["B"]) | {"Idempotency-Key": "complaint-1"}
    r = await client.post(url, json=COMPLAINT, headers=headers)
    assert r.status == 201, await r.text()
    sent = await r.json()
    assert (sent["party"], sent["kind"], sent["subject"], sent["answer"]) == (
        "B",
        "complaint",
        "insurer",
        None,
    )
    expected_due = calendar_with(()).due(_at(sent["created_at"]), 1).at
    assert _at(sent["due_at"]) == expected_due and sent["breached"] is False
    again = await client.post(url, json=COMPLAINT, headers=headers)
    assert (
        again.status == 201 and (await again.json())["id"] == sent["id"]
    )  # a retry sends nothing new
    [stored] = await as_owner(settings, "SELECT text_enc FROM inquiries")
    assert "保险公司".encode() not in bytes(stored["text_enc"])  # encrypted at rest

    outsider = await officer_of(settings, "shengsi-9", ["zj-330922"])
    r = await client.get("/v1/inquiries", headers=outsider)
    assert (await r.json())["inquiries"] == []
    r = await client.post(
        f"/v1/inquiries/{sent['id']}/answer", json={"text": "已转交"}, headers=outsider
    )
    assert r.status == 404

    officer = await police(settings)
    r = await client.get("/v1/inquiries", headers=officer)
    [queued] = (await r.json())["inquiries"]
    assert (
        queued["id"] == sent["id"]
        and queued["text"] == COMPLAINT["text"]
        and queued["zone"]["id"] == "zj-330102"
    )

    reply = "已督促保险公司今日联系您安排定损。"
    admin = bearer(await staff_token(settings, "admin"))
    r = await client.post(f"/v1/inquiries/{sent['id']}/answer", json={"text": reply}, headers=admin)
    assert r.status == 200, await r.text()
    answered = await r.json()
    assert (
        answered["answer"] == reply
        and answered["answered_by"] == "admin-x"
        and answered["breached"] is False
    )
    r = await client.post(
        f"/v1/inquiries/{sent['id']}/answer", json={"text": "再答一次"}, headers=officer
    )
    assert r.status == 409

    await run_worker(client, lambda: outbox_done(client))
    await run_worker(
        client, lambda: outbox_done(client), limit_s=0.3
    )  # a second worker pass sends nothing again
    texts = [
        m["text"]
        for m in sms_messages(settings.var_dir)
        if m["to"] == case.phones["B"] and "答复" in m["text"]
    ]
    assert len(texts) == 1 and texts[0].startswith("【快处】您的咨询或投诉已有答复")
    assert (
        reply not in texts[0] and f"/r/{case.report_id}" in texts[0]
    )  # the app shows the answer itself

    r = await client.get(url, headers=bearer(case.tokens["B"]))
    [mine] = (await r.json())["inquiries"]
    assert mine["answer"] == reply and mine["answered_at"] is not None
    r = await client.get(f"/v1/reports/{case.report_id}/status", headers=bearer(case.tokens["B"]))
    assert r.status == 200, await r.text()
    assert [
        n["state"] for n in (await r.json())["notifications"] if n["event"] == "inquiry_answered"
    ] == ["sent"]
    r = await client.get(url, headers=bearer(case.tokens["A"]))
    assert (await r.json())["inquiries"] == []  # each party sees its own
    r = await client.get(f"/v1/reports/{case.report_id}/audit", headers=admin)
    events = [(e["entity"], e["action"]) for e in (await r.json())["events"]]
    assert ("inquiry", "received") in events and ("inquiry", "answered") in events
    assert reply not in str(await r.json()) and "保险公司超过期限" not in str(await r.json())
    r = await client.get("/v1/inquiries?state=open", headers=officer)
    assert (await r.json())["inquiries"] == []
    r = await client.get("/v1/inquiries?state=answered", headers=officer)
    assert [x["id"] for x in (await r.json())["inquiries"]] == [sent["id"]]


async def test_the_queue_is_oldest_first_and_flags_late_answers(client, settings):
    case = await report_with_parties(client, settings)
    url = f"/v1/reports/{case.report_id}/inquiries"
    ids = []
    for text in ("第一个问题", "第二个问题"):
        r = await client.post(
            url,
            json={"kind": "question", "about_case": False, "text": text},
            headers=bearer(case.tokens["A"]),
        )
        assert r.status == 201
        ids.append((await r.json())["id"])
    await as_owner(
        settings,
        "UPDATE inquiries SET created_at = created_at - interval '3 days', "
        "due_at = due_at - interval '3 days' WHERE id = $1::uuid",
        ids[1],
    )
    r = await client.get("/v1/inquiries", headers=await police(settings))
    queue = (await r.json())["inquiries"]
    assert [x["id"] for x in queue] == [ids[1], ids[0]]
    assert [x["breached"] for x in queue] == [True, False]


async def test_only_parties_of_the_report_ask_and_texts_are_checked(client, settings):
    case = await report_with_parties(client, settings)
    other = await report_with_parties(client, settings)
    url = f"/v1/reports/{case.report_id}/inquiries"
    r = await client.post(url, json=COMPLAINT, headers=bearer(other.tokens["A"]))
    assert r.status == 404  # another report's party learns nothing of this one
    r = await client.post(
        url, json={**COMPLAINT, "text": "bad\u202etext"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/text"
    r = await client.post(
        url, json={**COMPLAINT, "subject": "weather"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/subject"
    r = await client.post(url, json=COMPLAINT, headers=await police(settings))
    assert r.status == 403


async def test_a_party_sends_at_most_five_inquiries_an_hour(client, settings):
    case = await report_with_parties(client, settings)
    url = f"/v1/reports/{case.report_id}/inquiries"
    for i in range(5):
        r = await client.post(
            url, json={"kind": "question", "text": f"问题{i}"}, headers=bearer(case.tokens["A"])
        )
        assert r.status == 201
    r = await client.post(
        url, json={"kind": "question", "text": "问题5"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 429 and (await r.json())["limit"]["name"] == "inquiries-per-party-per-hour"
    r = await client.post(
        url, json={"kind": "question", "text": "问题B"}, headers=bearer(case.tokens["B"])
    )
    assert r.status == 201  # the other party has its own budget
    [count] = await as_owner(settings, "SELECT count(*) AS n FROM inquiries")
    assert count["n"] == 6

"""The status summary a driver's page renders, at several phases of a report, and the drafts the pages save at
every step so a reload or another tab resumes where the driver was. Real HTTP, real PostgreSQL."""

from __future__ import annotations

import hashlib

from kuaichu.housekeeping import sweep_once
from kuaichu.keys import SERVICES
from tests.api.claims_setup import tokens
from tests.api.driver_steps import status_of
from tests.api.evidence import phone_jpeg, run_worker, upload
from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    give_accounts,
    police,
    report_with_parties,
    respond,
    sign,
    staff_token,
)
from tests.api.flows import TONGLU, bearer, create_report, join, login, new_phone
from tests.integration.assessment_setup import token_of


async def test_the_summary_tells_each_driver_where_the_report_is_and_what_to_do_next(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid, token = a["report"]["id"], a["party_token"]
    s = await status_of(client, rid, token)
    assert (s["you"], s["status"], s["phase"]) == ("A", "draft", "evidence")
    assert s["next"]["action"] == "take_photos"
    assert "侧前方全景" in s["next"]["zh"] and "front_overview" in s["next"]["en"]
    assert s["photos"]["required_missing"] == ["front_overview", "rear_overview", "impact_point"]
    assert (s["photos"]["taken"], s["photos"]["remaining"]) == (0, settings.max_photos_per_report)
    assert s["other_party_joined"] is False and [p["label"] for p in s["parties"]] == ["A"]
    assert (
        s["notifications"] == []
        and s["draft"] is None
        and s["claims"] == []
        and s["assessments"] == []
    )
    assert s["court"]["state"] == "not_sent" and s["police_review"]["state"] == "not_needed"
    # Two shots taken, one uploading (resumable): the page can resume it from the summary alone.
    for shade, kind in ((1, "front_overview"), (2, "rear_overview")):
        assert (await upload(client, rid, token, kind, phone_jpeg(shade=shade))).status == 201
    pending = phone_jpeg(shade=3)
    r = await client.post(
        f"/v1/reports/{rid}/photos/uploads",
        headers=bearer(token),
        json={
            "kind": "impact_point",
            "size_bytes": len(pending),
            "sha256": hashlib.sha256(pending).hexdigest(),
        },
    )
    await client.patch(
        r.headers["Location"],
        data=pending[:1000],
        headers={
            **bearer(token),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
        },
    )
    s = await status_of(client, rid, token)
    assert s["photos"]["required_done"] == ["front_overview", "rear_overview"]
    assert s["photos"]["required_missing"] == ["impact_point"]
    assert (s["photos"]["taken"], s["photos"]["remaining"]) == (
        2,
        settings.max_photos_per_report - 3,
    )
    [under_way] = s["photos"]["uploads_under_way"]
    assert (under_way["kind"], under_way["offset"], under_way["size_bytes"]) == (
        "impact_point",
        1000,
        len(pending),
    )
    await client.patch(
        r.headers["Location"],
        data=pending[1000:],
        headers={
            **bearer(token),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "1000",
        },
    )
    s = await status_of(client, rid, token)
    assert s["next"]["action"] == "submit_evidence" and s["photos"]["uploads_under_way"] == []
    assert (await client.post(f"/v1/reports/{rid}/submit", headers=bearer(token))).status == 200
    s = await status_of(client, rid, token)
    assert (s["phase"], s["next"]["action"]) == ("waiting_for_parties", "invite_other_party")
    # B joins: each sees the other; the facts come next.
    status, b, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    s = await status_of(client, rid, token)
    assert s["other_party_joined"] is True and s["next"]["action"] == "give_account"
    sb = await status_of(client, rid, b["party_token"])
    assert sb["you"] == "B" and [p["is_you"] for p in sb["parties"]] == [False, True]
    assert sb["notifications"] == []  # A was texted that B joined, not B


async def test_the_summary_follows_the_fault_flow_to_signing_and_the_agreement(client, settings):
    case = await report_with_parties(client, settings)
    await give_accounts(client, case, {"A": A_REAR_ENDS_B["A"]})
    s = await status_of(client, case.report_id, case.tokens["A"])
    assert s["next"]["action"] == "wait_for_other_parties" and s["fault"]["accounts_missing"] == [
        "B"
    ]
    assert (await status_of(client, case.report_id, case.tokens["B"]))["next"][
        "action"
    ] == "give_account"
    data = await give_accounts(client, case, {"B": A_REAR_ENDS_B["B"]})
    version = data["proposal"]["version"]
    s = await status_of(client, case.report_id, case.tokens["A"])
    assert (s["phase"], s["next"]["action"]) == ("signing", "answer_proposal")
    assert s["fault"]["proposal_version"] == version
    assert {x["party"]: x["share_percent"] for x in s["fault"]["allocations"]} == {"A": 100, "B": 0}
    for label in ("A", "B"):
        assert (await respond(client, case, label, version)).status == 200
    s = await status_of(client, case.report_id, case.tokens["A"])
    assert s["fault"]["your_response"] == "accept" and s["next"]["action"] == "sign"
    for label in ("A", "B"):
        assert (await sign(client, settings, case, label, version)).status == 200
    s = await status_of(client, case.report_id, case.tokens["B"])
    assert s["phase"] == "agreed" and s["fault"]["agreement_ready"] is True
    assert [x["party"] for x in s["fault"]["signatures"]] == ["A", "B"]


async def test_the_summary_is_a_partys_own_view(client, settings):
    a = await create_report(client, settings.var_dir)
    stranger = await create_report(client, settings.var_dir)
    r = await client.get(
        f"/v1/reports/{a['report']['id']}/status", headers=bearer(stranger["party_token"])
    )
    assert r.status == 404
    officer = await police(settings)
    r = await client.get(f"/v1/reports/{a['report']['id']}/status", headers=officer)
    assert r.status == 403  # staff read the report itself, not a driver's page
    # A's phone session (a new tab after logging in again) reads the same summary as A's party token.
    s = await status_of(client, a["report"]["id"], a["session"])
    assert s["you"] == "A"


async def test_a_phone_saves_its_answers_before_a_report_exists_and_a_new_tab_resumes_them(
    client, settings
):
    phone = new_phone()
    tab1 = await login(client, settings.var_dir, phone)
    r = await client.get("/v1/me/draft", headers=bearer(tab1))
    assert r.status == 404 and (await r.json())["type"] == "/problems/draft-not-found"
    answers = {
        "eligibility": {"injuries": False, "vehicles_drivable": True},
        "driver": {"name": "张三"},
        "location": {"lat": 30.27, "lon": 120.15, "accuracy_m": 12},
    }
    r = await client.put(
        "/v1/me/draft", headers=bearer(tab1), json={"step": "location", "data": answers}
    )
    assert r.status == 200, await r.text()
    first = await r.json()
    assert first["revision"] == 1
    # The same phone in another tab (the same session) resumes exactly there.
    got = await (await client.get("/v1/me/draft", headers=bearer(tab1))).json()
    assert (got["step"], got["data"], got["revision"]) == ("location", answers, 1)
    # Saved on top of what it read: fine. Saved on top of an older revision: refused with the newer one.
    r = await client.put(
        "/v1/me/draft",
        headers=bearer(tab1),
        json={"step": "vehicle", "data": {**answers, "plate": "浙A12345"}, "based_on": 1},
    )
    assert r.status == 200 and (await r.json())["revision"] == 2
    r = await client.put(
        "/v1/me/draft", headers=bearer(tab1), json={"step": "location", "data": {}, "based_on": 1}
    )
    assert r.status == 409
    stale = await r.json()
    assert stale["type"] == "/problems/draft-changed" and stale["current"]["revision"] == 2
    assert stale["current"]["data"]["plate"] == "浙A12345"
    # Encrypted at rest: the name is nowhere in the row.
    row = await client.server.app[SERVICES].pool.fetchrow("SELECT * FROM drafts")
    assert "张三".encode() not in bytes(row["data_enc"]) and "张三" not in row["step"]
    # Too large, or a text with a control character: 422 with a pointer, nothing saved.
    r = await client.put(
        "/v1/me/draft", headers=bearer(tab1), json={"step": "x", "data": {"note": "长" * 9000}}
    )
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/data"
    r = await client.put(
        "/v1/me/draft", headers=bearer(tab1), json={"step": "x", "data": {"note": "a\u202eb"}}
    )
    assert r.status == 422
    assert (await (await client.get("/v1/me/draft", headers=bearer(tab1))).json())["revision"] == 2
    # Another phone has its own (none); a party token is not a phone session.
    other = await login(client, settings.var_dir, new_phone())
    assert (await client.get("/v1/me/draft", headers=bearer(other))).status == 404
    a = await create_report(client, settings.var_dir)
    assert (await client.get("/v1/me/draft", headers=bearer(a["party_token"]))).status == 403
    # Once the report is created, the page forgets the draft.
    assert (await client.delete("/v1/me/draft", headers=bearer(tab1))).status == 204
    assert (await client.get("/v1/me/draft", headers=bearer(tab1))).status == 404


async def test_a_party_saves_a_half_answered_step_in_its_report_and_drafts_expire(client, settings):
    case = await report_with_parties(client, settings)
    url = f"/v1/reports/{case.report_id}/parties/me/draft"
    r = await client.put(
        url,
        headers=bearer(case.tokens["B"]),
        json={"step": "facts", "data": {"answered": {"lane_change": "no"}, "question": 3}},
    )
    assert r.status == 200, await r.text()
    s = await status_of(client, case.report_id, case.tokens["B"])
    assert (s["draft"]["step"], s["draft"]["revision"]) == ("facts", 1)
    assert (await status_of(client, case.report_id, case.tokens["A"]))["draft"] is None
    assert (await client.get(url, headers=bearer(case.tokens["A"]))).status == 404  # B's is B's own
    got = await (await client.get(url, headers=bearer(case.tokens["B"]))).json()
    assert got["data"] == {"answered": {"lane_change": "no"}, "question": 3}
    admin = bearer(await staff_token(settings, "admin"))
    assert (await client.put(url, headers=admin, json={"step": "x", "data": {}})).status == 403
    services = client.server.app[SERVICES]
    await services.pool.execute("UPDATE drafts SET expires_at = now() - interval '1 second'")
    assert (await client.get(url, headers=bearer(case.tokens["B"]))).status == 404
    await sweep_once(services.pool, uploads=services.uploads)
    assert await services.pool.fetchval("SELECT count(*) FROM drafts") == 0


async def test_after_an_agreement_the_summary_shows_the_assessor_on_the_way_and_the_claims(
    client, settings
):
    case = await report_with_parties(client, settings, location=dict(TONGLU), address="桐庐县")
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, v)).status == 200
    for label in ("A", "B"):
        assert (await sign(client, settings, case, label, v)).status == 200
    pool = client.server.app[SERVICES].pool

    async def routed_and_claimed() -> bool:
        counts = await pool.fetchrow(
            """SELECT (SELECT count(*) FROM assessment_tasks WHERE report_id = $1::uuid) AS tasks,
                      (SELECT count(*) FROM claims WHERE report_id = $1::uuid) AS claims""",
            case.report_id,
        )
        return (counts["tasks"], counts["claims"]) == (2, 2)

    await run_worker(client, routed_and_claimed)
    coord = await token_of(client, settings, "coord.tonglu.1")
    task_id = await pool.fetchval(
        "SELECT id FROM assessment_tasks WHERE report_id = $1::uuid AND vehicle_label = 'A'",
        case.report_id,
    )
    r = await client.post(
        f"/v1/assessment/tasks/{task_id}/accept", json={"eta_minutes": 25}, headers=coord
    )
    assert r.status == 200, await r.text()
    s = await status_of(client, case.report_id, case.tokens["A"])
    assert s["phase"] == "agreed" and s["next"]["action"] == "follow_claims"
    mine = next(a for a in s["assessments"] if a["vehicle_label"] == "A")
    assert (mine["status"], mine["assessor_kind"], mine["zone_kind"]) == (
        "accepted",
        "coordinator",
        "rural",
    )
    assert mine["assessor_name"] and mine["eta_at"] is not None
    assert [(c["vehicle_label"], c["yours"]) for c in s["claims"]] == [("A", True), ("B", False)]
    [line] = s["claims"][0]["lines"]  # A's loss is owed by B's insurer; B's claim is B's to read
    assert line["insurer_code"] == "CPIC" and line["zh"] and s["claims"][1]["lines"] == []
    # The insurer reads the claim (its receipt: the statutory duties start) and asks A for documents: that is
    # A's next step, with what to send.
    cpic = (await tokens(settings))["CPIC"]
    claim_a = s["claims"][0]["claim_id"]
    assert (await client.get(f"/v1/insurer/claims/{claim_a}", headers=cpic)).status == 200
    [line] = (await status_of(client, case.report_id, case.tokens["A"]))["claims"][0]["lines"]
    assert (
        line["next_deadline"]["duty"] == "documents_listed"
        and "保险公司应于" in line["next_deadline"]["zh"]
    )
    r = await client.post(
        f"/v1/insurer/claims/{claim_a}/documents",
        headers=cpic,
        json={
            "reference": "docs-1",
            "stage": "requested",
            "items": [{"kind": "repair_invoice", "on_paper": False}],
        },
    )
    assert r.status == 200, await r.text()
    s = await status_of(client, case.report_id, case.tokens["A"])
    assert s["next"]["action"] == "send_documents"
    [line] = s["claims"][0]["lines"]
    assert line["documents_to_send"] == [{"zh": "维修发票", "en": "repair invoice"}]
    assert (await status_of(client, case.report_id, case.tokens["B"]))["next"][
        "action"
    ] == "follow_claims"

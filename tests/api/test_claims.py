"""Claims opened from settled liability, insurer callbacks, the lifecycle and its deadlines, on a real PostgreSQL."""

from __future__ import annotations

import json

import pytest

from claims.webhooks import body_of
from tests.api.claims_setup import keyring, opened_claims, settle, settled, sql


@pytest.fixture
async def case(client, settings):
    report_id, auth, claims = await opened_claims(client, settings, {"A": 100, "B": 0})
    return report_id, auth, claims


def assessment(ref: str, *amounts: int, total: int | None = None, **extra) -> dict:
    items = [{"part": f"part {i}", "operation": "repair", "amount_fen": a} for i, a in enumerate(amounts)]
    return {"reference": ref, "items": items, "total_fen": sum(amounts) if total is None else total, **extra}


async def webhooks(settings, event_type: str) -> list[tuple[str, dict]]:
    rows = await sql(settings, "SELECT payload FROM outbox WHERE topic = 'insurer.webhook' "
                               "AND payload->>'event_type' = $1 ORDER BY created_at", event_type)
    k = keyring(settings)
    return [(r["payload"]["insurer_code"], json.loads(body_of(r["payload"], k))) for r in rows]


async def test_settled_liability_opens_one_claim_per_vehicle_once_and_tells_each_insurer(client, settings, case):
    report_id, _, claims = case
    assert await settle(settings, settled(report_id, {"A": 100, "B": 0})) == []  # redelivered: nothing new
    assert set(claims) == {"A", "B"}
    opened = await webhooks(settings, "claim.opened")
    # A's own insurer for A; for B: B's own insurer and A's (the liable party's)
    assert sorted((code, body["data"]["vehicle_label"], body["data"]["role"]) for code, body in opened) == [
        ("CPIC", "B", "claim_insurer"), ("PICC", "A", "claim_insurer"), ("PICC", "B", "liable_party_insurer")]
    data = opened[0][1]["data"]
    assert data["schema_version"] == 1 and data["liability"][0]["share_percent"] in (100, 0)
    audit = await sql(settings, "SELECT action FROM audit_events WHERE entity = 'claim'")
    assert [r["action"] for r in audit] == ["opened", "opened"]


async def test_an_insurer_sees_and_touches_only_its_own_claims(client, settings, case):
    _, auth, claims = case
    r = await client.get("/v1/insurer/claims", headers=auth["PICC"])
    assert [c["label"] for c in (await r.json())["claims"]] == ["A"]
    r = await client.get(f"/v1/insurer/claims/{claims['B']}", headers=auth["PICC"])
    assert r.status == 404 and (await r.json())["type"].endswith("claim-not-found")
    r = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", json=assessment("x1", 100),
                          headers=auth["PICC"])
    assert r.status == 404
    r = await client.post("/v1/insurer/claims/00000000-0000-0000-0000-000000000000/assessment",
                          json=assessment("x2", 100), headers=auth["PICC"])
    assert r.status == 404
    assert (await client.get("/v1/insurer/claims")).status == 401
    assert (await client.get("/v1/insurer/claims", headers=auth["adjuster"])).status == 403
    assert (await client.get("/v1/insurer/claims", headers={"Authorization": "Bearer kin_forged"})).status == 401


@pytest.mark.parametrize(("body", "pointer"), [
    (assessment("v1", 100, 200, total=301), "#/total_fen"),
    (assessment("v2", -1), "#/items/0/amount_fen"),
    ({**assessment("v3", 100), "items": [{"part": "bumper", "operation": "repair", "amount_fen": 10.5}]},
     "#/items/0/amount_fen"),
    ({**assessment("v4", 100), "total_fen": "100"}, "#/total_fen"),
    ({**assessment("v5", 100), "photos": [{"sha256": "a" * 64, "url": "https://x.example/p.jpg"}]}, "#/photos/0"),
])
async def test_amounts_are_validated_with_pointers_and_change_nothing(client, settings, case, body, pointer):
    _, auth, claims = case
    r = await client.post(f"/v1/insurer/claims/{claims['A']}/assessment", json=body, headers=auth["PICC"])
    assert r.status == 422
    assert pointer in [e["pointer"] for e in (await r.json())["errors"]]
    assert await sql(settings, "SELECT 1 FROM claim_assessments") == []


async def test_assessments_decide_cover_and_a_changed_assessment_re_decides_it(client, settings, case):
    _, auth, claims = case
    r = await client.post(f"/v1/insurer/claims/{claims['A']}/assessment", headers=auth["PICC"],
                          json=assessment("picc-a-1", 30_000, 20_000, photos=[{"sha256": "b" * 64}]))
    assert r.status == 201 and (await r.json())["cover"] is None  # B not assessed yet
    r = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", headers=auth["CPIC"],
                          json=assessment("cpic-b-1", 150_000))
    b = await r.json()
    assert b["cover"]["mode"] == "liability" and b["cover_revision"] == 1
    assert b["cover"]["payments"] == [{"payee": "B", "payer": "A", "insurer_code": "PICC", "source": "compulsory",
                                       "amount_fen": 150_000}]
    r = await client.get(f"/v1/insurer/claims/{claims['A']}", headers=auth["PICC"])
    assert {(p["payer"], p["source"], p["amount_fen"]) for p in (await r.json())["cover"]["payments"]} == {
        ("B", "compulsory", 10_000), ("A", "self_borne", 40_000)}
    # a repeat is answered the same; the same reference with another body is refused
    again = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", headers=auth["CPIC"],
                              json=assessment("cpic-b-1", 150_000))
    assert again.status == 201 and await again.json() == b
    clash = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", headers=auth["CPIC"],
                              json=assessment("cpic-b-1", 150_001))
    assert clash.status == 422 and (await clash.json())["errors"][0]["pointer"] == "#/reference"
    r = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", headers=auth["CPIC"],
                          json=assessment("cpic-b-2", 250_000, commercial_third_party=False))
    b2 = await r.json()
    assert b2["assessment_revision"] == 2 and b2["cover_revision"] == 2
    assert {(p["source"], p["amount_fen"]) for p in b2["cover"]["payments"]} == {
        ("compulsory", 200_000), ("party", 50_000)}
    decided = await webhooks(settings, "claim.cover_decided")
    of_b = [(code, body["data"]["revision"]) for code, body in decided if body["data"]["claim_id"] == claims["B"]]
    assert sorted(of_b) == [("CPIC", 1), ("CPIC", 2), ("PICC", 1), ("PICC", 2)]


async def test_the_lifecycle_runs_to_closed_with_every_step_audited(client, settings, case):
    _, auth, claims = case
    url = f"/v1/insurer/claims/{claims['A']}"
    h = auth["PICC"]
    r = await client.post(f"{url}/decision", json={"reference": "d0", "covered": True}, headers=h)
    assert r.status == 409  # documents first
    refused = await r.json()
    assert refused["zh"]["detail"] == "理赔案件当前为“已受理”，不能改为“已核定”，请先完成前面的步骤"
    assert "opened and cannot become decided" in refused["en"]["detail"]
    steps = [("documents", {"reference": "s1", "stage": "requested", "items": ["行驶证", "驾驶证", "事故协议书"]},
              "documents_requested"),
             ("documents", {"reference": "s2", "stage": "complete"}, "documents_complete"),
             ("decision", {"reference": "s3", "covered": True}, "decided"),
             ("payout-agreement", {"reference": "s4", "amount_fen": 10_000}, "payout_agreed"),
             ("payment", {"reference": "s5", "amount_fen": 10_000}, "closed")]
    for path, body, status in steps:
        r = await client.post(f"{url}/{path}", json=body, headers=h)
        assert r.status == 200, await r.text()
        assert (await r.json())["status"] == status
    view = await r.json()
    assert view["paid_fen"] == 10_000 and [d["met_at"] is not None for d in view["deadlines"]] == [True] * 3
    actions = [r["action"] for r in await sql(settings, "SELECT action FROM audit_events WHERE entity_id = $1 "
                                                        "ORDER BY id", claims["A"])]
    assert actions == ["opened", "documents_requested", "documents_complete", "decided", "payout_agreed", "paid",
                       "closed"]
    closed = await webhooks(settings, "claim.closed")
    assert [(code, body["data"]["outcome"], body["data"]["paid_fen"]) for code, body in closed] == [
        ("PICC", "paid", 10_000)]
    r = await client.post(f"{url}/withdrawal", json={"reference": "s6", "reason": "撤回"}, headers=h)
    assert r.status == 409


async def test_a_refusal_needs_a_reason_and_closes_the_claim(client, settings, case):
    _, auth, claims = case
    url, h = f"/v1/insurer/claims/{claims['B']}", auth["CPIC"]
    for ref, stage in (("r1", "requested"), ("r2", "complete")):
        await client.post(f"{url}/documents", json={"reference": ref, "stage": stage}, headers=h)
    r = await client.post(f"{url}/decision", json={"reference": "r3", "covered": False}, headers=h)
    assert r.status == 422
    r = await client.post(f"{url}/decision", json={"reference": "r4", "covered": False, "reason": "非保险责任"},
                          headers=h)
    assert (await r.json())["status"] == "closed"
    assert [(c, b["data"]["outcome"]) for c, b in await webhooks(settings, "claim.closed")] == [
        ("CPIC", "not_covered"), ("PICC", "not_covered")]


async def test_overdue_claims_are_listed_for_police_court_and_admin(client, settings, case):
    _, auth, claims = case
    # Late whatever holidays lie between (the longest, Spring Festival, moves a last day by 9 days at most).
    await sql(settings, "UPDATE claims SET applied_at = now() - interval '12 days' WHERE id = $1::uuid", claims["A"])
    await sql(settings, """UPDATE claims SET applied_at = now() - interval '40 days', status = 'payout_agreed',
                           documents_requested_at = now() - interval '40 days',
                           documents_complete_at = now() - interval '39 days', decided_at = now() - interval '35 days',
                           payout_agreed_at = now() - interval '21 days' WHERE id = $1::uuid""", claims["B"])
    for role in ("admin", "police", "court"):
        r = await client.get("/v1/claims/overdue", headers=auth[role])
        listed = {c["label"]: [d["duty"] for d in c["deadlines"] if d["overdue"]] for c in (await r.json())["claims"]}
        assert listed == {"A": ["documents_listed"], "B": ["payment"]}
    r = await client.get("/v1/claims/overdue?insurer=CPIC", headers=auth["court"])
    assert [c["label"] for c in (await r.json())["claims"]] == ["B"]
    assert (await client.get("/v1/claims/overdue", headers=auth["PICC"])).status == 403
    await client.post(f"/v1/insurer/claims/{claims['A']}/documents", json={"reference": "late", "stage": "requested"},
                      headers=auth["PICC"])
    r = await client.get("/v1/claims/overdue", headers=auth["admin"])
    assert [c["label"] for c in (await r.json())["claims"]] == ["B"]


async def test_mutual_self_compensation_keeps_each_insurer_to_its_own_vehicle(client, settings):
    _, auth, claims = await opened_claims(client, settings, {"A": 50, "B": 50}, {"A": True, "B": True})
    await client.post(f"/v1/insurer/claims/{claims['A']}/assessment", json=assessment("m1", 200_000),
                      headers=auth["PICC"])
    r = await client.post(f"/v1/insurer/claims/{claims['B']}/assessment", json=assessment("m2", 80_000),
                          headers=auth["CPIC"])
    assert (await r.json())["cover"]["payments"] == [
        {"payee": "B", "payer": "B", "insurer_code": "CPIC", "source": "own_insurer", "amount_fen": 80_000}]
    r = await client.post(f"/v1/insurer/claims/{claims['A']}/assessment", json=assessment("m3", 200_001),
                          headers=auth["PICC"])
    assert (await r.json())["cover"]["mode"] == "liability"  # 2,000.01: no longer 互碰自赔


async def test_claim_deadlines_read_in_beijing_time_while_the_api_field_keeps_its_offset(client, settings, case):
    from datetime import UTC, datetime, timedelta

    _, auth, claims = case
    r = await client.get(f"/v1/insurer/claims/{claims['A']}", headers=auth["PICC"])
    listed = (await r.json())["deadlines"][0]
    due = datetime.fromisoformat(listed["due_at"])
    assert due.utcoffset() is not None  # RFC 3339 with an offset
    beijing = due.astimezone(UTC) + timedelta(hours=8)  # China keeps UTC+8 all year
    assert (beijing.hour, beijing.minute) == (0, 0)  # a day's period ends at 24:00 (民法典 §203) ...
    day = beijing - timedelta(days=1)  # ... which people write as that day's 24:00, not the next day's 00:00
    zh = f"{day.year}年{day.month}月{day.day}日 24:00"
    en = f"{day.day} {day:%b} {day.year}, 24:00 Beijing time"
    assert listed["zh"].startswith(f"保险公司应于{zh}前一次性书面告知需要提供的理赔材料（{listed['basis']}）。")
    assert listed["en"].startswith(f"The insurer must list every document it needs by {en} ({listed['basis']}).")
    assert ("暂定" in listed["zh"]) == listed["provisional"] == ("Provisional" in listed["en"])

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
    items = [
        {"part": f"part {i}", "operation": "repair", "amount_fen": a} for i, a in enumerate(amounts)
    ]
    return {
        "reference": ref,
        "items": items,
        "total_fen": sum(amounts) if total is None else total,
        **extra,
    }


async def webhooks(settings, event_type: str) -> list[tuple[str, dict]]:
    rows = await sql(
        settings,
        "SELECT payload FROM outbox WHERE topic = 'insurer.webhook' "
        "AND payload->>'event_type' = $1 ORDER BY created_at",
        event_type,
    )
    k = keyring(settings)
    return [(r["payload"]["insurer_code"], json.loads(body_of(r["payload"], k))) for r in rows]


async def test_settled_liability_opens_one_claim_per_vehicle_once_with_a_line_per_paying_insurer(
    client, settings, case
):
    report_id, _, claims = case
    assert (
        await settle(settings, settled(report_id, {"A": 100, "B": 0})) == []
    )  # redelivered: nothing new
    assert set(claims) == {"A", "B"}
    lines = await sql(
        settings,
        "SELECT c.label, l.insurer_code, l.basis, l.payer_labels, l.status FROM claim_lines l "
        "JOIN claims c ON c.id = l.claim_id ORDER BY c.label",
    )
    # A's loss: B's insurer within the no-fault limit; B's loss: A's insurer (交强险条例 §21, §23)
    assert [tuple(r) for r in lines] == [
        ("A", "CPIC", "liability", ["B"], "opened"),
        ("B", "PICC", "liability", ["A"], "opened"),
    ]
    opened = await webhooks(settings, "claim.opened")
    # each vehicle's own insurer (it assesses), and the insurer of each line
    got = sorted(
        (
            code,
            body["data"]["vehicle_label"],
            body["data"]["role"],
            body["data"]["line"] is not None,
        )
        for code, body in opened
    )
    assert got == [
        ("CPIC", "A", "liable_party_insurer", True),
        ("CPIC", "B", "claim_insurer", False),
        ("PICC", "A", "claim_insurer", False),
        ("PICC", "B", "liable_party_insurer", True),
    ]
    data = opened[0][1]["data"]
    assert data["schema_version"] == 1 and data["liability"][0]["share_percent"] in (100, 0)
    assert "documents_due_at" in data  # kept in v1: the due time if received when queued
    audit = await sql(
        settings, "SELECT action FROM audit_events WHERE entity = 'claim' ORDER BY id"
    )
    assert [r["action"] for r in audit] == ["opened", "opened", "line_opened", "line_opened"]


async def test_each_insurer_reads_every_claim_on_which_it_has_a_line_and_no_other(
    client, settings, case
):
    _, auth, claims = case
    r = await client.get("/v1/insurer/claims", headers=auth["PICC"])
    listed = {c["label"]: c for c in (await r.json())["claims"]}
    assert set(listed) == {
        "A",
        "B",
    }  # A: its insured's own (no line, no duties); B: its line (A is liable)
    assert listed["A"]["line"] is None and listed["A"]["deadlines"] == []
    assert (
        listed["B"]["line"]["insurer_code"] == "PICC"
        and listed["B"]["line"]["basis"] == "liability"
    )
    # the liable party's insurer reads the claim it heard of (no 404)
    r = await client.get(f"/v1/insurer/claims/{claims['B']}", headers=auth["PICC"])
    assert r.status == 200 and (await r.json())["line"]["payer_labels"] == ["A"]
    # an insurer without a line on a claim, nor the vehicle's, reads nothing and touches nothing
    assert (await (await client.get("/v1/insurer/claims", headers=auth["PINGAN"])).json())[
        "claims"
    ] == []
    r = await client.get(f"/v1/insurer/claims/{claims['B']}", headers=auth["PINGAN"])
    assert r.status == 404 and (await r.json())["type"].endswith("claim-not-found")
    r = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        json=assessment("x1", 100),
        headers=auth["PINGAN"],
    )
    assert r.status == 404
    # the vehicle's own insurer without a line assesses, but owes no §28–§29 duty on it
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/documents",
        headers=auth["PICC"],
        json={"reference": "x0", "stage": "none_needed"},
    )
    assert r.status == 404
    r = await client.post(
        "/v1/insurer/claims/00000000-0000-0000-0000-000000000000/assessment",
        json=assessment("x2", 100),
        headers=auth["PICC"],
    )
    assert r.status == 404
    assert (await client.get("/v1/insurer/claims")).status == 401
    assert (await client.get("/v1/insurer/claims", headers=auth["adjuster"])).status == 403
    assert (
        await client.get("/v1/insurer/claims", headers={"Authorization": "Bearer kin_forged"})
    ).status == 401


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (assessment("v1", 100, 200, total=301), "#/total_fen"),
        (assessment("v2", -1), "#/items/0/amount_fen"),
        (
            {
                **assessment("v3", 100),
                "items": [{"part": "bumper", "operation": "repair", "amount_fen": 10.5}],
            },
            "#/items/0/amount_fen",
        ),
        ({**assessment("v4", 100), "total_fen": "100"}, "#/total_fen"),
        (
            {
                **assessment("v5", 100),
                "photos": [{"sha256": "a" * 64, "url": "https://x.example/p.jpg"}],
            },
            "#/photos/0",
        ),
    ],
)
async def test_amounts_are_validated_with_pointers_and_change_nothing(
    client, settings, case, body, pointer
):
    _, auth, claims = case
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/assessment", json=body, headers=auth["PICC"]
    )
    assert r.status == 422
    assert pointer in [e["pointer"] for e in (await r.json())["errors"]]
    assert await sql(settings, "SELECT 1 FROM claim_assessments") == []


async def test_assessments_decide_cover_and_a_changed_assessment_re_decides_it(
    client, settings, case
):
    _, auth, claims = case
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/assessment",
        headers=auth["PICC"],
        json=assessment("picc-a-1", 30_000, 20_000, photos=[{"sha256": "b" * 64}]),
    )
    assert r.status == 201 and (await r.json())["cover"] is None  # B not assessed yet
    r = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        headers=auth["CPIC"],
        json=assessment("cpic-b-1", 150_000),
    )
    b = await r.json()
    assert b["cover"]["mode"] == "liability" and b["cover_revision"] == 1
    assert b["cover"]["payments"] == [
        {
            "payee": "B",
            "payer": "A",
            "insurer_code": "PICC",
            "source": "compulsory",
            "amount_fen": 150_000,
        }
    ]
    r = await client.get(f"/v1/insurer/claims/{claims['A']}", headers=auth["PICC"])
    assert {
        (p["payer"], p["source"], p["amount_fen"]) for p in (await r.json())["cover"]["payments"]
    } == {("B", "compulsory", 10_000), ("A", "self_borne", 40_000)}
    # a repeat is answered the same; the same reference with another body is refused
    again = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        headers=auth["CPIC"],
        json=assessment("cpic-b-1", 150_000),
    )
    assert again.status == 201 and await again.json() == b
    clash = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        headers=auth["CPIC"],
        json=assessment("cpic-b-1", 150_001),
    )
    assert clash.status == 422 and (await clash.json())["errors"][0]["pointer"] == "#/reference"
    r = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        headers=auth["CPIC"],
        json=assessment("cpic-b-2", 250_000, commercial_third_party=False),
    )
    b2 = await r.json()
    assert b2["assessment_revision"] == 2 and b2["cover_revision"] == 2
    assert {(p["source"], p["amount_fen"]) for p in b2["cover"]["payments"]} == {
        ("compulsory", 200_000),
        ("party", 50_000),
    }
    decided = await webhooks(settings, "claim.cover_decided")
    of_b = [
        (code, body["data"]["revision"])
        for code, body in decided
        if body["data"]["claim_id"] == claims["B"]
    ]
    assert sorted(of_b) == [("CPIC", 1), ("CPIC", 2), ("PICC", 1), ("PICC", 2)]


def requested(ref: str, *kinds: str, on_paper: bool = False) -> dict:
    return {
        "reference": ref,
        "stage": "requested",
        "items": [
            {
                "kind": k,
                "on_paper": on_paper,
                **({"description": "事故认定书"} if k == "other" else {}),
            }
            for k in kinds
        ],
    }


async def test_the_lifecycle_of_a_line_runs_to_closed_with_every_step_audited(
    client, settings, case
):
    _, auth, claims = case
    url = f"/v1/insurer/claims/{claims['A']}"
    h = auth["CPIC"]  # A's loss is owed by B's insurer (no-fault limit)
    assert (
        await client.get(url, headers=h)
    ).status == 200  # the first read is the receipt: §28 runs
    r = await client.post(f"{url}/decision", json={"reference": "d0", "covered": True}, headers=h)
    assert r.status == 409  # documents first
    refused = await r.json()
    assert refused["zh"]["detail"] == "理赔案件当前为“已受理”，不能改为“已核定”，请先完成前面的步骤"
    assert "opened and cannot become decided" in refused["en"]["detail"]
    steps = [
        (
            "documents",
            requested("s1", "vehicle_licence", "driving_licence", "other", on_paper=True),
            "documents_requested",
        ),
        ("documents", {"reference": "s2", "stage": "complete"}, "documents_complete"),
        ("decision", {"reference": "s3", "covered": True}, "decided"),
        ("payout-agreement", {"reference": "s4", "amount_fen": 10_000}, "payout_agreed"),
        ("payment", {"reference": "s5", "amount_fen": 10_000}, "closed"),
    ]
    for path, body, status in steps:
        r = await client.post(f"{url}/{path}", json=body, headers=h)
        assert r.status == 200, await r.text()
        assert (await r.json())["status"] == status
    view = await r.json()
    assert view["paid_fen"] == 10_000 and [d["state"] for d in view["deadlines"]] == ["met"] * 3
    assert view["claim_status"] == "closed" and view["line"]["documents_complete_how"] == "declared"
    actions = [
        r["action"]
        for r in await sql(
            settings,
            "SELECT action FROM audit_events WHERE entity_id = $1 ORDER BY id",
            claims["A"],
        )
    ]
    assert actions == [
        "opened",
        "line_opened",
        "line_received",
        "documents_requested",
        "documents_complete",
        "decided",
        "payout_agreed",
        "paid",
        "closed",
    ]
    closed = await webhooks(settings, "claim.closed")
    assert [
        (code, body["data"]["outcome"], body["data"]["paid_fen"], body["data"]["insurer_code"])
        for code, body in closed
    ] == [("CPIC", "paid", 10_000, "CPIC"), ("PICC", "paid", 10_000, "CPIC")]
    r = await client.post(
        f"{url}/withdrawal", json={"reference": "s6", "reason": "撤回"}, headers=h
    )
    assert r.status == 409


async def test_a_refusal_needs_a_reason_and_closes_the_line(client, settings, case):
    _, auth, claims = case
    url, h = f"/v1/insurer/claims/{claims['B']}", auth["PICC"]
    for body in (requested("r1", "repair_invoice"), {"reference": "r2", "stage": "complete"}):
        assert (await client.post(f"{url}/documents", json=body, headers=h)).status == 200
    r = await client.post(f"{url}/decision", json={"reference": "r3", "covered": False}, headers=h)
    assert r.status == 422
    r = await client.post(
        f"{url}/decision",
        json={"reference": "r4", "covered": False, "reason": "非保险责任"},
        headers=h,
    )
    assert (await r.json())["status"] == "closed"
    assert sorted(
        (c, b["data"]["outcome"]) for c, b in await webhooks(settings, "claim.closed")
    ) == [("CPIC", "not_covered"), ("PICC", "not_covered")]


async def test_overdue_lines_are_listed_for_police_court_and_admin_and_a_late_duty_stays_met_late(
    client, settings, case
):
    _, auth, claims = case
    # Late whatever holidays lie between (the longest, Spring Festival, moves a last day by 9 days at most).
    await sql(
        settings,
        "UPDATE claim_lines SET received_at = now() - interval '12 days', received_via = 'webhook' "
        "WHERE claim_id = $1::uuid",
        claims["A"],
    )
    await sql(
        settings,
        """UPDATE claim_lines SET received_at = now() - interval '40 days', received_via = 'webhook',
                           status = 'payout_agreed', documents_requested_at = now() - interval '40 days',
                           documents_complete_at = now() - interval '39 days', decided_at = now() - interval '35 days',
                           payout_agreed_at = now() - interval '21 days' WHERE claim_id = $1::uuid""",
        claims["B"],
    )
    for role in ("admin", "police", "court"):
        r = await client.get("/v1/claims/overdue", headers=auth[role])
        listed = {
            (c["label"], c["line"]["insurer_code"]): [
                d["duty"] for d in c["deadlines"] if d["overdue"]
            ]
            for c in (await r.json())["claims"]
        }
        assert listed == {("A", "CPIC"): ["documents_listed"], ("B", "PICC"): ["payment"]}
    r = await client.get("/v1/claims/overdue?insurer=CPIC", headers=auth["court"])
    assert [c["label"] for c in (await r.json())["claims"]] == ["A"]
    assert (await client.get("/v1/claims/overdue", headers=auth["PICC"])).status == 403
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/documents",
        json=requested("late", "repair_invoice"),
        headers=auth["CPIC"],
    )
    [listed] = (await r.json())["deadlines"]
    assert (listed["duty"], listed["state"], listed["overdue"]) == (
        "documents_listed",
        "met_late",
        False,
    )
    r = await client.get("/v1/claims/overdue", headers=auth["admin"])
    assert [c["label"] for c in (await r.json())["claims"]] == ["B"]
    r = await client.get(f"/v1/insurer/claims/{claims['A']}", headers=auth["CPIC"])
    assert [d["state"] for d in (await r.json())["deadlines"]] == [
        "met_late"
    ]  # still visible as met late


async def line_of(client, auth, insurer: str, claim_id: str) -> dict:
    r = await client.get(f"/v1/insurer/claims/{claim_id}", headers=auth[insurer])
    assert r.status == 200
    return (await r.json())["line"]


async def test_mutual_self_compensation_keeps_each_insurer_to_its_own_vehicle_and_closes_the_others_lines(
    client, settings
):
    _, auth, claims = await opened_claims(
        client, settings, {"A": 50, "B": 50}, {"A": True, "B": True}
    )
    lines = await sql(
        settings,
        "SELECT c.label, l.insurer_code, l.basis FROM claim_lines l "
        "JOIN claims c ON c.id = l.claim_id ORDER BY c.label, l.insurer_code",
    )
    # every party opted in: the vehicle's own insurer could owe too (互碰自赔), besides the other's
    assert [tuple(r) for r in lines] == [
        ("A", "CPIC", "liability"),
        ("A", "PICC", "mutual_self_compensation"),
        ("B", "CPIC", "mutual_self_compensation"),
        ("B", "PICC", "liability"),
    ]
    # the other vehicle's insurer receives and is late before cover is decided: that breach stays recorded
    await sql(
        settings,
        "UPDATE claim_lines SET received_at = now() - interval '12 days', received_via = 'webhook' "
        "WHERE insurer_code = 'CPIC' AND claim_id = $1::uuid",
        claims["A"],
    )
    await client.post(
        f"/v1/insurer/claims/{claims['A']}/assessment",
        json=assessment("m1", 200_000),
        headers=auth["PICC"],
    )
    r = await client.post(
        f"/v1/insurer/claims/{claims['B']}/assessment",
        json=assessment("m2", 80_000),
        headers=auth["CPIC"],
    )
    assert (await r.json())["cover"]["payments"] == [
        {
            "payee": "B",
            "payer": "B",
            "insurer_code": "CPIC",
            "source": "own_insurer",
            "amount_fen": 80_000,
        }
    ]
    cpic_on_a = await line_of(client, auth, "CPIC", claims["A"])
    assert (cpic_on_a["status"], cpic_on_a["owed_fen"]) == ("not_owing", 0)
    assert [(d["duty"], d["state"]) for d in cpic_on_a["deadlines"]] == [
        ("documents_listed", "breached")
    ]
    picc_on_a = await line_of(client, auth, "PICC", claims["A"])
    assert (picc_on_a["status"], picc_on_a["owed_fen"], picc_on_a["received_via"]) == (
        "opened",
        200_000,
        "api_read",
    )
    assert [d["state"] for d in picc_on_a["deadlines"]] == ["open"]  # §28 runs from that first read
    # a closed line takes no more steps, and is not overdue
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/documents",
        json=requested("m9", "repair_invoice"),
        headers=auth["CPIC"],
    )
    assert r.status == 409
    overdue = (await (await client.get("/v1/claims/overdue", headers=auth["admin"])).json())[
        "claims"
    ]
    assert overdue == []
    closed = [
        (c, b["data"]["outcome"], b["data"]["claim_id"])
        for c, b in await webhooks(settings, "claim.line_closed")
    ]
    assert sorted(closed) == [
        ("CPIC", "not_owing", claims["A"]),
        ("PICC", "not_owing", claims["B"]),
    ]
    r = await client.post(
        f"/v1/insurer/claims/{claims['A']}/assessment",
        json=assessment("m3", 200_001),
        headers=auth["PICC"],
    )
    assert (await r.json())["cover"]["mode"] == "liability"  # 2,000.01: no longer 互碰自赔
    # B's insurer owes on A again (reopened); A's own insurer owes nothing on it now
    assert (await line_of(client, auth, "CPIC", claims["A"]))["status"] == "opened"
    assert (await line_of(client, auth, "PICC", claims["A"]))["status"] == "not_owing"
    assert [b["data"]["status"] for _, b in await webhooks(settings, "claim.line_reopened")] == [
        "opened",
        "opened",
    ]


async def test_claim_deadlines_read_in_beijing_time_while_the_api_field_keeps_its_offset(
    client, settings, case
):
    from datetime import UTC, datetime, timedelta

    _, auth, claims = case
    r = await client.get(
        f"/v1/insurer/claims/{claims['A']}", headers=auth["CPIC"]
    )  # received now, by reading
    listed = (await r.json())["deadlines"][0]
    due = datetime.fromisoformat(listed["due_at"])
    assert due.utcoffset() is not None  # RFC 3339 with an offset
    beijing = due.astimezone(UTC) + timedelta(hours=8)  # China keeps UTC+8 all year
    assert (beijing.hour, beijing.minute) == (
        0,
        0,
    )  # a day's period ends at 24:00 (民法典 §203) ...
    day = beijing - timedelta(
        days=1
    )  # ... which people write as that day's 24:00, not the next day's 00:00
    zh = f"{day.year}年{day.month}月{day.day}日 24:00"
    en = f"{day.day} {day:%b} {day.year}, 24:00 Beijing time"
    assert listed["zh"].startswith(
        f"保险公司应于{zh}前一次性书面告知需要提供的理赔材料（{listed['basis']}）。"
    )
    assert listed["en"].startswith(
        f"The insurer must list every document it needs by {en} ({listed['basis']})."
    )
    assert ("暂定" in listed["zh"]) == listed["provisional"] == ("Provisional" in listed["en"])

"""After a court request, later changes reach the court as numbered updates, in order, after the case itself:
claims opened, an insurer's assessment callback, a claim status change, and the requesting party's withdrawal.
The court is a raw aiohttp server on loopback (tests/api/court_setup.py) and the real worker delivers."""

from __future__ import annotations

import json
import uuid

from standardwebhooks import Webhook

from kuaichu.commands.insurer import issue_credential
from kuaichu.db import connect
from tests.api.claims_setup import keyring, settle, settled
from tests.api.court_setup import Court, court_case, package_row, pool_of, settings_with_court, work
from tests.api.flows import bearer

settings = settings_with_court  # the settings pointing at the recording court (fixture `court`) on loopback

WITHDRAWAL = "/court-requests/withdrawal"


async def _insurer(settings, code: str) -> dict[str, str]:
    conn = await connect(settings.database_url)
    try:
        return bearer(
            await issue_credential(conn, keyring(settings), code=code, revoke_others=False)
        )
    finally:
        await conn.close()


async def _delivered(client, n: int) -> bool:
    return (
        await pool_of(client).fetchval(
            "SELECT count(*) FROM court_updates WHERE state = 'delivered'"
        )
        >= n
    )


def _updates(recorder: Court) -> list[dict]:
    return [json.loads(a["raw"]) for a in recorder.arrivals if a["path"].endswith("/updates")]


async def test_assessment_claim_status_and_withdrawal_reach_the_court_as_updates_1_to_n_in_order(
    client, settings, court
):
    case = await court_case(client, settings)
    await settle(
        settings, settled(uuid.UUID(case.report_id), {"A": 50, "B": 50})
    )  # claims open: updates 1, 2
    pool = pool_of(client)
    claim = await pool.fetchrow(
        "SELECT id, insurer_code FROM claims WHERE report_id = $1::uuid AND label = 'A'",
        case.report_id,
    )
    url, auth = f"/v1/insurer/claims/{claim['id']}", await _insurer(settings, claim["insurer_code"])
    items = [{"part": "前保险杠", "operation": "replace", "amount_fen": 80_000}]
    r = await client.post(
        f"{url}/assessment",
        headers=auth,
        json={"reference": "a1", "items": items, "total_fen": 80_000},
    )
    assert r.status == 201, await r.text()
    # A's loss is owed by B's insurer on its line (交强险条例 §21): it lists the documents (§28)
    line_auth = await _insurer(settings, "CPIC")
    r = await client.post(
        f"{url}/documents",
        headers=line_auth,
        json={"reference": "d1", "stage": "requested", "items": [{"kind": "vehicle_licence"}]},
    )
    assert r.status == 200, await r.text()
    await work(client, lambda: _delivered(client, 4))
    r = await client.post(
        case.url(WITHDRAWAL), json={"reason": "双方已自行和解"}, headers=bearer(case.tokens["B"])
    )
    assert r.status == 403  # only the party that asked may withdraw
    headers = {**bearer(case.tokens["A"]), "Idempotency-Key": "withdraw-1"}
    r = await client.post(case.url(WITHDRAWAL), json={"reason": "双方已自行和解"}, headers=headers)
    assert r.status == 201, await r.text()
    state = await r.json()
    assert (
        state["status"] == "court_withdrawn"
        and state["court_request"]["withdrawal"]["reason"] == "双方已自行和解"
    )
    again = await client.post(
        case.url(WITHDRAWAL), json={"reason": "双方已自行和解"}, headers=headers
    )
    assert again.status == 201 and await again.json() == state  # the same key is answered the same
    r = await client.post(
        case.url(WITHDRAWAL), json={"reason": "再撤一次"}, headers=bearer(case.tokens["A"])
    )
    assert r.status == 409
    await work(client, lambda: _delivered(client, 5))

    pkg = (await package_row(client, case.report_id))["package_id"]
    assert court.keys() == [
        f"{pkg}.1",
        *[f"{pkg}.u{n}" for n in range(1, 6)],
    ]  # the case first, then 1..5
    updates = _updates(court)
    assert [(u["sequence"], u["type"]) for u in updates] == [
        (1, "claim_status"),
        (2, "claim_status"),
        (3, "assessment"),
        (4, "claim_status"),
        (5, "withdrawal"),
    ]
    assert {u["data"]["vehicle_label"] for u in updates[:2]} == {"A", "B"}
    assert updates[2]["data"]["total_fen"] == 80_000 and updates[2]["data"]["claim_id"] == str(
        claim["id"]
    )
    assert (updates[3]["data"]["status"], updates[3]["data"]["previous_status"]) == (
        "documents_requested",
        "opened",
    )
    assert updates[4]["data"]["party"] == "A" and updates[4]["data"]["reason"] == "双方已自行和解"
    secret = Webhook(settings.court_outbound_secret.get_secret_value())
    for a in court.arrivals:
        assert a["headers"]["webhook-id"] == a["key"]
        secret.verify(a["raw"], a["headers"])
    audit = await pool.fetch(
        "SELECT action FROM audit_events WHERE entity = 'court_request' ORDER BY id"
    )
    assert [a["action"] for a in audit] == ["requested", "withdrawn"]


async def test_a_claimants_disagreement_is_recorded_with_the_remedies_and_reaches_the_court(
    client, settings, court
):
    case = await court_case(client, settings)
    await settle(
        settings, settled(uuid.UUID(case.report_id), {"A": 50, "B": 50})
    )  # claims open: updates 1, 2
    pool = pool_of(client)
    claim_b = await pool.fetchval(
        "SELECT id FROM claims WHERE report_id = $1::uuid AND label = 'B'", case.report_id
    )
    url = f"/v1/reports/{case.report_id}/claims/{claim_b}/disagreements"
    body = {"reason": "保险公司核定的金额不足以修复车辆"}
    r = await client.post(url, json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 404  # not A's claim
    r = await client.post(url, json={"reason": ""}, headers=bearer(case.tokens["B"]))
    assert r.status == 422 and (await r.json())["errors"][0]["pointer"] == "#/reason"
    r = await client.post(url, json=body, headers=bearer(case.tokens["B"]))
    assert r.status == 201, await r.text()
    recorded = await r.json()
    assert "仲裁" in recorded["remedies"]["zh"] and "共同被告" in recorded["remedies"]["zh"]
    assert (
        "arbitration" in recorded["remedies"]["en"] and "co-defendant" in recorded["remedies"]["en"]
    )
    again = await client.post(url, json=body, headers=bearer(case.tokens["B"]))
    assert (
        again.status == 201 and (await again.json())["id"] == recorded["id"]
    )  # a retry records nothing new
    await work(client, lambda: _delivered(client, 3))
    [disputed] = [u for u in _updates(court) if u["data"].get("status") == "disputed"]
    assert disputed["type"] == "claim_status" and disputed["sequence"] == 3
    assert disputed["data"]["reason"] == body["reason"] and disputed["data"]["claim_id"] == str(
        claim_b
    )

"""Free text with control characters (NUL and the like) or invisible format characters (bidi overrides that make a
name in the signed agreement read reversed) is refused at the door with a 422 pointing at the field, in Chinese
and English, and nothing is stored; joiners that emoji and some scripts need are accepted."""

from __future__ import annotations

from typing import Any

from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond
from tests.api.flows import (
    CONSENT,
    ELIGIBLE_CASE,
    ELIGIBLE_PARTY,
    bearer,
    login,
    new_phone,
    party,
    report_body,
)


async def _refused(r: Any, pointer: str, character: str) -> dict[str, Any]:
    assert r.status == 422, await r.text()
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["type"] == "/problems/validation-error"
    [error] = [e for e in problem["errors"] if e["pointer"] == pointer]
    assert character.split()[0] in error["zh"] and "控制字符" in error["zh"]
    assert character in error["en"] and "control" in error["en"]
    assert pointer in problem["zh"]["detail"] and "控制字符" in problem["zh"]["detail"]
    assert pointer in problem["en"]["detail"] and "control" in problem["en"]["detail"]
    return problem


async def _reports(client: Any) -> int:
    from kuaichu.keys import SERVICES

    return await client.server.app[SERVICES].pool.fetchval("SELECT count(*) FROM reports")


async def test_nul_in_a_name_and_a_bidi_override_in_an_address_are_refused_with_pointers_and_nothing_stored(
    client, settings
):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    named = party(phone, name="张\x00三")
    r = await client.post(
        "/v1/reports", json=report_body(phone, party=named), headers=bearer(session)
    )
    await _refused(r, "#/party/driver/name", "U+0000")

    r = await client.post(
        "/v1/reports",
        json=report_body(phone, address="杭州市上城区\u202e路东放解"),
        headers={**bearer(session), "Accept-Language": "en"},
    )
    problem = await _refused(r, "#/address", "U+202E RIGHT-TO-LEFT OVERRIDE")
    assert (
        problem["errors"][0]["detail"] == problem["errors"][0]["en"]
    )  # the asked-for language first

    for name in ("张\t三", "李\n四", "王\u2066五\u2069", "赵\ufeff六", "钱\u200b七"):
        r = await client.post(
            "/v1/reports",
            json=report_body(phone, party=party(phone, name=name)),
            headers=bearer(session),
        )
        assert r.status == 422, name
    assert await _reports(client) == 0


async def test_a_name_with_a_zero_width_joiner_is_accepted_and_read_back_as_given(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    name = "阿\u200d依\u200c古丽"
    r = await client.post(
        "/v1/reports",
        json=report_body(phone, party=party(phone, name=name)),
        headers=bearer(session),
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    r = await client.get(
        f"/v1/reports/{created['report']['id']}", headers=bearer(created["party_token"])
    )
    assert (await r.json())["parties"][0]["driver"]["name"] == name


async def test_a_joining_party_and_the_consent_are_checked_the_same_way(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    b = party(phone, name="李\x07四")
    body = {
        "share_code": "ABCD-EFGH",
        "case_answers": dict(ELIGIBLE_CASE),
        "party": b,
        "consent": {**CONSENT, "notice_version": "2026-11-01\x00"},
    }
    r = await client.post("/v1/reports/join", json=body, headers=bearer(session))
    problem = await _refused(r, "#/party/driver/name", "U+0007")
    assert "#/consent/notice_version" in [e["pointer"] for e in problem["errors"]]


async def test_a_dispute_reason_keeps_its_line_breaks_but_not_a_bidi_isolate(client, settings):
    case = await report_with_parties(client, settings)
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    version = state["proposal"]["version"]
    r = await respond(client, case, "B", version, "dispute", "对方\u2067急刹车\u2069")
    await _refused(r, "#/reason", "U+2067")
    r = await respond(client, case, "B", version, "dispute", "对方\x00急刹车")
    await _refused(r, "#/reason", "U+0000")
    r = await respond(client, case, "B", version, "dispute", "对方急刹车，\r\n我来不及反应")
    assert r.status == 200, await r.text()
    assert (await r.json())["responses"][0]["reason"] == "对方急刹车，\r\n我来不及反应"


async def test_public_checks_refuse_control_characters_in_labels_and_codes(client):
    r = await client.post(
        "/v1/eligibility/check",
        json={**ELIGIBLE_CASE, "parties": [{**ELIGIBLE_PARTY, "id": "A\x1b"}]},
    )
    await _refused(r, "#/parties/0/id", "U+001B")
    body = {
        "context": {"junction": "none", "collision": "rear_end"},
        "parties": [
            {"id": "A", "movement": "straight", "declared_scenarios": ["rear_end\u202d"]},
            {"id": "B", "movement": "stopped"},
        ],
    }
    r = await client.post("/v1/fault/assess", json=body)
    await _refused(r, "#/parties/0/declared_scenarios/0", "U+202D")

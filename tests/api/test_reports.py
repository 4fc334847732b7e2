"""Report intake as a driver's phone sees it, on a real PostgreSQL."""

from __future__ import annotations

from kuaichu.keys import SERVICES
from tests.api.flows import (
    BEIJING,
    TONGLU,
    bearer,
    create_report,
    join,
    login,
    new_phone,
    report_body,
    time_passes,
)


async def test_party_a_creates_a_report_and_gets_a_token_and_share_code(client, settings):
    data = await create_report(client, settings.var_dir)
    assert data["label"] == "A"
    assert data["party_token"].startswith("kp_")
    assert len(data["share_code"]["code"]) == 9
    report = data["report"]
    assert report["status"] == "draft"
    assert report["zone"] == {
        "id": "zj-330102",
        "name": "上城区",
        "kind": "urban",
        "near_boundary": False,
    }
    assert report["missing_photo_kinds"] == ["front_overview", "rear_overview", "impact_point"]
    me = report["parties"][0]
    assert me["is_you"] and me["driver"]["name"] == "张三" and me["vehicle"]["plate"] == "浙A12345"

    r = await client.get(f"/v1/reports/{report['id']}", headers=bearer(data["party_token"]))
    assert r.status == 200
    assert (await r.json())["parties"][0]["driver"]["phone"] == data["phone"]


async def test_gcj02_location_is_converted_to_wgs84(client, settings):
    gcj = {"lat": TONGLU["lat"] - 0.0025, "lon": TONGLU["lon"] + 0.0047, "crs": "gcj02"}
    data = await create_report(client, settings.var_dir, location=gcj)
    loc = data["report"]["location"]
    assert data["report"]["zone"]["id"] == "zj-330122"
    assert abs(loc["lat"] - gcj["lat"]) > 0.001 or abs(loc["lon"] - gcj["lon"]) > 0.001


async def test_location_outside_the_service_area_is_refused_with_a_pointer(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    r = await client.post(
        "/v1/reports", json=report_body(phone, location=BEIJING), headers=bearer(session)
    )
    assert r.status == 422
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["type"] == "/problems/outside-service-area"
    assert problem["errors"][0]["pointer"] == "#/location"
    assert "122" in problem["zh"]["detail"]


async def test_ineligible_party_a_is_told_to_call_122_and_nothing_is_stored(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(
        phone,
        case_answers={
            "injuries": True,
            "vehicles_movable": True,
            "public_facility_damage": False,
            "intentional": False,
        },
    )
    r = await client.post("/v1/reports", json=body, headers=bearer(session))
    assert r.status == 422
    problem = await r.json()
    assert problem["type"] == "/problems/not-eligible"
    assert problem["eligibility"]["action"] == "call_122_stay"
    r = await client.get("/v1/me/reports", headers=bearer(session))
    assert (await r.json())["reports"] == []


async def test_unknown_insurer_and_unknown_enum_are_refused_with_pointers(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(phone)
    body["party"]["insurance"]["insurer_code"] = "NOPE"
    r = await client.post("/v1/reports", json=body, headers=bearer(session))
    assert r.status == 422
    assert (await r.json())["errors"][0]["pointer"] == "#/party/insurance/insurer_code"
    body = report_body(phone, weather="tornado")
    r = await client.post("/v1/reports", json=body, headers=bearer(session))
    assert r.status == 422
    assert (await r.json())["errors"][0]["pointer"] == "#/weather"


async def test_malformed_json_is_a_400_problem(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    r = await client.post(
        "/v1/reports",
        data=b'{"occurred_at": ',
        headers={**bearer(session), "Content-Type": "application/json"},
    )
    assert r.status == 400
    assert (await r.json())["type"] == "/problems/malformed-json"


async def test_party_b_joins_sees_a_masked_and_the_facts_complete_after_submission(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    status, b, _ = await join(client, settings.var_dir, a["share_code"]["code"].lower())
    assert status == 201, b
    assert b["label"] == "B"
    parties = {p["label"]: p for p in b["report"]["parties"]}
    assert parties["A"]["driver"]["name"] == "张*" and "****" in parties["A"]["driver"]["phone"]
    assert parties["B"]["is_you"] and parties["B"]["driver"]["name"] == "李四"
    assert b["report"]["status"] == "draft"


async def test_wrong_share_code_is_refused_and_guessing_is_rate_limited(client, settings):
    await create_report(client, settings.var_dir)
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    statuses = []
    for _ in range(settings.share_code_max_attempts + 1):
        status, _, _ = await join(
            client, settings.var_dir, "ABCD-EFGH", phone=phone, session=session
        )
        statuses.append(status)
    assert statuses[:-1] == [404] * settings.share_code_max_attempts
    assert statuses[-1] == 429


async def test_party_b_failing_eligibility_refers_the_case_to_122(client, settings):
    a = await create_report(client, settings.var_dir)
    status, body, _ = await join(
        client, settings.var_dir, a["share_code"]["code"], answers={"licence_valid": False}
    )
    assert status == 200
    assert body["status"] == "referred_to_122"
    assert body["eligibility"]["reasons"][0]["code"] == "no_licence"
    r = await client.get(f"/v1/reports/{a['report']['id']}", headers=bearer(a["party_token"]))
    assert (await r.json())["status"] == "referred_to_122"
    status, _, _ = await join(client, settings.var_dir, a["share_code"]["code"], plate="浙C11111")
    assert status == 404  # the share code stopped working
    # Party A is texted at once (through the outbox), without B's reasons, which are B's own: the message names
    # the party and the event only; the worker writes the text (tests/api/test_driver_notifications.py).
    [text] = await client.server.app[SERVICES].pool.fetch(
        "SELECT payload FROM outbox WHERE topic = 'sms.notification' AND payload->>'event' = 'referred_to_122'"
    )
    assert text["payload"]["party_id"] == a["party_id"] and text["payload"]["label"] == "A"
    assert "licence" not in str(text["payload"]) and "no_licence" not in str(text["payload"])


async def test_another_reports_token_gets_404_and_no_token_401(client, settings):
    a = await create_report(client, settings.var_dir)
    other = await create_report(client, settings.var_dir)
    r = await client.get(f"/v1/reports/{a['report']['id']}", headers=bearer(other["party_token"]))
    assert r.status == 404
    r = await client.get(f"/v1/reports/{a['report']['id']}")
    assert r.status == 401
    r = await client.get(f"/v1/reports/{a['report']['id']}", headers=bearer("kp_forged"))
    assert r.status == 401


async def test_same_idempotency_key_and_body_returns_the_same_report(client, settings):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(phone)
    headers = {**bearer(session), "Idempotency-Key": "create-1"}
    first = await client.post("/v1/reports", json=body, headers=headers)
    second = await client.post("/v1/reports", json=body, headers=headers)
    assert first.status == second.status == 201
    assert (await first.json()) == (await second.json())
    r = await client.get("/v1/me/reports", headers=bearer(session))
    assert len((await r.json())["reports"]) == 1
    body["weather"] = "rain"
    third = await client.post("/v1/reports", json=body, headers=headers)
    assert third.status == 422
    assert (await third.json())["type"] == "/problems/idempotency-key-reused"


async def test_logging_in_again_recovers_every_report_of_the_phone(client, settings):
    a = await create_report(client, settings.var_dir)
    await time_passes(settings, 60)  # one login code a minute
    second = await create_report(client, settings.var_dir, phone=a["phone"])
    await time_passes(settings, 60)
    session = await login(client, settings.var_dir, a["phone"])
    r = await client.get("/v1/me/reports", headers=bearer(session))
    ids = {x["report_id"] for x in (await r.json())["reports"]}
    assert ids == {a["report"]["id"], second["report"]["id"]}
    r = await client.get(f"/v1/reports/{a['report']['id']}", headers=bearer(session))
    assert r.status == 200


_CREATION_TABLES = (
    "reports",
    "parties",
    "consents",
    "party_tokens",
    "share_codes",
    "audit_events",
    "outbox",
    "idempotency_keys",
)


async def _row_counts(dsn: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in _CREATION_TABLES}
    finally:
        await conn.close()


async def test_a_refused_creation_leaves_nothing_behind_and_the_key_can_be_used_again(
    client, settings
):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    before = await _row_counts(settings.database_url)
    body = report_body(phone, invite_phone=new_phone())
    body["party"]["insurance"]["insurer_code"] = "NOPE"
    headers = {**bearer(session), "Idempotency-Key": "create-halfway"}
    r = await client.post("/v1/reports", json=body, headers=headers)
    assert r.status == 422
    assert (await r.json())["type"] == "/problems/unknown-insurer"
    assert await _row_counts(settings.database_url) == before
    r = await client.get("/v1/me/reports", headers=bearer(session))
    assert (await r.json())["reports"] == []

    body["party"]["insurance"]["insurer_code"] = "PICC"
    r = await client.post("/v1/reports", json=body, headers=headers)
    assert r.status == 201  # the failed attempt did not keep the key
    after = await _row_counts(settings.database_url)
    assert {t: after[t] - before[t] for t in _CREATION_TABLES} == {
        "reports": 1,
        "parties": 1,
        "consents": 1,
        "party_tokens": 1,
        "share_codes": 1,
        "outbox": 1,
        "idempotency_keys": 1,
        "audit_events": 5,
    }


async def test_drivers_creating_at_the_same_time_each_get_their_own_answer(client, settings):
    """Creations arriving together share round trips; one driver's bad input fails only that driver's
    request, and a phone retrying while its first attempt is in flight still makes one report."""
    import asyncio

    drivers = [new_phone() for _ in range(12)]
    sessions = [await login(client, settings.var_dir, phone) for phone in drivers]
    before = await _row_counts(settings.database_url)
    bodies = [report_body(phone) for phone in drivers]
    bodies[5]["party"]["insurance"]["insurer_code"] = "NOPE"
    posts = [
        client.post(
            "/v1/reports", json=body, headers={**bearer(s), "Idempotency-Key": f"together-{i}"}
        )
        for i, (body, s) in enumerate(zip(bodies, sessions, strict=True))
    ]
    retry = client.post(
        "/v1/reports",
        json=bodies[0],
        headers={**bearer(sessions[0]), "Idempotency-Key": "together-0"},
    )
    answers = await asyncio.gather(*posts, retry)
    statuses = [r.status for r in answers]
    assert statuses == [201] * 5 + [422] + [201] * 7
    assert (await answers[5].json())["type"] == "/problems/unknown-insurer"
    first, again = await answers[0].json(), await answers[-1].json()
    assert first == again
    for i in (1, 11):
        created = await answers[i].json()
        assert created["report"]["parties"][0]["driver"]["phone"] == drivers[i]
    after = await _row_counts(settings.database_url)
    assert after["reports"] - before["reports"] == 11
    assert after["idempotency_keys"] - before["idempotency_keys"] == 11


async def test_a_creation_failing_halfway_leaves_nothing_behind(client, settings):
    """The database refuses the share code's audit row, written by the same statement as the report, party,
    consent, token and message rows: none of them stays."""
    import asyncpg

    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    before = await _row_counts(settings.database_url)
    admin = await asyncpg.connect(settings.migrate_database_url)  # the owner: beyond the grants
    try:
        await admin.execute("""
            CREATE FUNCTION refuse_share_code_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.entity = 'share_code' THEN RAISE EXCEPTION 'disk full (simulated)'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_share_code_audit BEFORE INSERT ON audit_events
                FOR EACH ROW EXECUTE FUNCTION refuse_share_code_audit();""")
        headers = {**bearer(session), "Idempotency-Key": "create-midway"}
        body = report_body(phone, invite_phone=new_phone())
        r = await client.post("/v1/reports", json=body, headers=headers)
        assert r.status == 500
        assert (await r.json())["type"] == "/problems/internal-error"
        assert await _row_counts(settings.database_url) == before

        await admin.execute("DROP TRIGGER refuse_share_code_audit ON audit_events")
        r = await client.post("/v1/reports", json=body, headers=headers)
        assert r.status == 201  # the failed attempt did not keep the key
    finally:
        await admin.close()

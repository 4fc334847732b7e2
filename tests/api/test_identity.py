"""Phone login by one-time code, and who may see a report: its drivers, police and admins; not adjusters."""

from __future__ import annotations

import asyncpg

from tests.api.evidence import staff_token
from tests.api.flows import (
    bearer,
    create_report,
    last_code,
    login,
    new_phone,
    sms_messages,
    time_passes,
)


def _wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def _send_code(client, phone: str):
    return await client.post("/v1/auth/otp", json={"phone": phone})


async def _session(client, phone: str, code: str):
    return await client.post("/v1/auth/session", json={"phone": phone, "code": code})


async def test_a_code_is_texted_to_the_phone_and_opens_a_session_once(client, settings):
    phone = new_phone()
    r = await _send_code(client, phone)
    assert r.status == 202
    sent = await r.json()
    assert sent["phone_masked"] == phone[:3] + "****" + phone[-4:]
    assert [m["to"] for m in sms_messages(settings.var_dir)] == [phone]
    code = last_code(settings.var_dir, phone)
    r = await _session(client, phone, code)
    assert r.status == 201
    assert (await r.json())["session_token"].startswith("ks_")
    r = await _session(client, phone, code)
    assert r.status == 422  # a code works once


async def test_a_wrong_code_is_refused_and_says_how_many_attempts_are_left(client, settings):
    phone = new_phone()
    await _send_code(client, phone)
    code = last_code(settings.var_dir, phone)
    for left in (4, 3):
        r = await _session(client, phone, _wrong(code))
        assert r.status == 422
        problem = await r.json()
        assert problem["type"] == "/problems/wrong-code"
        assert problem["attempts_left"] == left
        assert f"还可尝试{left}次" in problem["zh"]["detail"]
    r = await _session(client, phone, code)
    assert r.status == 201  # the right code still works after a few typos


async def test_an_expired_code_is_refused_as_gone(client, settings):
    phone = new_phone()
    await _send_code(client, phone)
    conn = await asyncpg.connect(settings.database_url)
    try:  # five minutes pass
        await conn.execute("UPDATE otp_challenges SET expires_at = now() - interval '1 second'")
    finally:
        await conn.close()
    r = await _session(client, phone, last_code(settings.var_dir, phone))
    assert r.status == 410
    assert (await r.json())["type"] == "/problems/code-expired"
    await time_passes(settings, 300)
    assert (await _send_code(client, phone)).status == 202
    r = await _session(client, phone, last_code(settings.var_dir, phone))
    assert r.status == 201  # a fresh code works


async def test_too_many_wrong_codes_lock_the_code_until_a_new_one_is_requested(client, settings):
    phone = new_phone()
    await _send_code(client, phone)
    code = last_code(settings.var_dir, phone)
    for _ in range(settings.otp_max_attempts):
        assert (await _session(client, phone, _wrong(code))).status == 422
    r = await _session(client, phone, code)
    assert r.status == 429  # even the right code: guessing is over for this one
    assert (await r.json())["type"] == "/problems/rate-limited"
    assert int(r.headers["Retry-After"]) > 0
    await time_passes(settings, 60)
    await _send_code(client, phone)
    r = await _session(client, phone, last_code(settings.var_dir, phone))
    assert r.status == 201


async def test_a_session_of_another_phone_does_not_reach_the_report(client, settings):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    stranger = await login(client, settings.var_dir, new_phone())
    for path in (
        f"/v1/reports/{rid}",
        f"/v1/reports/{rid}/share-code",
        f"/v1/reports/{rid}/submit",
    ):
        r = await (
            client.get(path, headers=bearer(stranger))
            if path.endswith(rid)
            else client.post(path, headers=bearer(stranger))
        )
        assert r.status == 404, path
        assert (await r.json())["type"] == "/problems/report-not-found"
    r = await client.get("/v1/me/reports", headers=bearer(stranger))
    assert (await r.json())["reports"] == []


async def test_police_read_a_report_in_full_with_its_audit_trail_and_an_adjuster_is_forbidden(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    police = await staff_token(settings, "police")
    r = await client.get(f"/v1/reports/{rid}", headers=bearer(police))
    assert r.status == 200
    driver = (await r.json())["parties"][0]["driver"]
    assert (
        driver["name"] == "张三" and driver["phone"] == a["phone"]
    )  # the reviewer needs it unmasked
    r = await client.get(f"/v1/reports/{rid}/audit", headers=bearer(police))
    assert r.status == 200
    assert ("report", "created") in {(e["entity"], e["action"]) for e in (await r.json())["events"]}

    adjuster = await staff_token(settings, "adjuster", insurer="PICC")
    for path in (f"/v1/reports/{rid}", f"/v1/reports/{rid}/audit"):
        r = await client.get(path, headers=bearer(adjuster))
        assert r.status == 403, path
        assert (await r.json())["type"] == "/problems/forbidden"
    r = await client.get(f"/v1/reports/{rid}/audit", headers=bearer(a["party_token"]))
    assert r.status == 403  # a driver does not read the audit trail either

"""Rate limits as drivers and strangers meet them: which limit refused and when to retry, budgets a stranger
cannot spend for a driver, and limits that hold when many requests arrive at once, in more than one process."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond
from tests.api.flows import (
    bearer,
    create_report,
    last_code,
    login,
    new_phone,
    report_body,
    sms_messages,
    time_passes,
)

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def _db(settings: Any, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def _code(client, phone: str, **extra: Any):
    return await client.post("/v1/auth/otp", json={"phone": phone, **extra})


async def _assert_limited(r, name: str, zh: str, en: str) -> dict[str, Any]:
    assert r.status == 429, await r.text()
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["type"] == "/problems/rate-limited"
    assert problem["limit"]["name"] == name
    assert zh in problem["zh"]["detail"] and en in problem["en"]["detail"], problem
    assert problem["retry_after"] == int(r.headers["Retry-After"]) >= 1
    return problem


@pytest.fixture
def app_with(settings, aiohttp_client):
    """Clients of service instances (each its own pool and pipeline, as separate processes have) sharing the
    test database, with some settings changed."""
    from kuaichu.app import create_app

    async def make(**changes: Any):
        return await aiohttp_client(create_app(settings.model_copy(update=changes)))

    return make


async def _ready_to_sign(client, settings):
    case = await report_with_parties(client, settings)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, v)).status == 200
    return case, v


# Budgets a stranger cannot spend for a driver.


async def test_strangers_asking_codes_for_a_drivers_phone_do_not_stop_the_driver_from_signing(
    client, settings
):
    case, v = await _ready_to_sign(client, settings)
    for _ in range(5):  # anyone who knows the number may ask for its login codes
        await _code(client, case.phones["A"])
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    assert r.status == 202, await r.text()
    body = {
        "proposal_version": v,
        "mutual_self_compensation": False,
        "code": last_code(settings.var_dir, case.phones["A"]),
    }
    r = await client.post(case.url("/signatures"), json=body, headers=bearer(case.tokens["A"]))
    assert r.status == 200, await r.text()


async def test_the_public_code_endpoint_texts_login_codes_only(client, settings):
    phone = new_phone()
    r = await _code(client, phone, purpose="sign")
    assert r.status == 422
    assert [e["pointer"] for e in (await r.json())["errors"]] == ["#/purpose"]
    assert sms_messages(settings.var_dir) == []


async def test_a_party_gets_at_most_five_signing_codes_an_hour(client, settings):
    case, _ = await _ready_to_sign(client, settings)
    for _ in range(settings.signing_codes_per_party_per_hour):
        assert (
            await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
        ).status == 202
    r = await client.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    await _assert_limited(
        r,
        "signing-codes-per-party-per-hour",
        "每小时最多获取5次签署验证码",
        "at most 5 signing codes an hour",
    )
    assert (
        await client.post(case.url("/signing-code"), headers=bearer(case.tokens["B"]))
    ).status == 202


# Which login-code limit refused, and when to retry.


async def test_a_second_login_code_within_a_minute_is_refused_naming_the_limit_and_when_to_retry(
    client, settings
):
    phone = new_phone()
    assert (await _code(client, phone)).status == 202
    r = await _code(client, phone)
    problem = await _assert_limited(
        r,
        "login-codes-per-phone-per-minute",
        "每分钟最多获取1次登录验证码",
        "at most 1 login code(s) a minute",
    )
    assert problem["retry_after"] <= 60
    assert problem["limit"] == {
        "name": "login-codes-per-phone-per-minute",
        "max": 1,
        "window_s": 60,
    }
    english = await client.post(
        "/v1/auth/otp", json={"phone": phone}, headers={"Accept-Language": "en"}
    )
    assert "try again in" in (await english.json())["detail"]
    assert len(sms_messages(settings.var_dir)) == 1
    await time_passes(settings, 61)
    assert (await _code(client, phone)).status == 202


async def test_login_codes_are_capped_at_five_an_hour_and_ten_a_day_per_phone(client, settings):
    phone = new_phone()
    for _ in range(5):
        assert (await _code(client, phone)).status == 202
        await time_passes(settings, 61)
    problem = await _assert_limited(
        await _code(client, phone),
        "login-codes-per-phone-per-hour",
        "每小时最多获取5次登录验证码",
        "at most 5 login codes an hour",
    )
    assert (
        3600 - 5 * 61 - 5 <= problem["retry_after"] <= 3600 - 5 * 61 + 1
    )  # when the oldest code leaves the hour
    await time_passes(settings, 3600)
    for _ in range(5):
        assert (await _code(client, phone)).status == 202
        await time_passes(settings, 61)
    await time_passes(settings, 3600)
    await _assert_limited(
        await _code(client, phone),
        "login-codes-per-phone-per-day",
        "每天最多获取10次登录验证码",
        "at most 10 login codes a day",
    )
    assert len(sms_messages(settings.var_dir)) == 10


async def test_one_address_gets_at_most_thirty_login_codes_an_hour(client, settings):
    for _ in range(settings.otp_sends_per_ip_per_hour):
        assert (await _code(client, new_phone())).status == 202
    await _assert_limited(
        await _code(client, new_phone()),
        "login-codes-per-address-per-hour",
        "同一网络地址每小时最多获取30次登录验证码",
        "at most 30 login codes an hour",
    )


async def test_a_code_the_sms_gateway_refused_does_not_count_against_the_phone(
    settings, app_with, aiohttp_server
):
    answers = [503, 200]

    async def gateway(request: web.Request) -> web.Response:
        return web.json_response({}, status=answers.pop(0))

    gw = web.Application()
    gw.router.add_post("/sms", gateway)
    server = await aiohttp_server(gw)
    app = await app_with(sms_backend="http", sms_gateway_url=str(server.make_url("/sms")))
    phone = new_phone()
    r = await _code(app, phone)
    assert r.status == 503
    assert (await r.json())["type"] == "/problems/sms-unavailable"
    assert (
        await _code(app, phone)
    ).status == 202  # the minute's one code was not spent on the failure


# Report creations and invitations per phone.


async def test_a_phone_opens_at_most_three_reports_an_hour_and_a_refused_one_leaves_nothing_behind(
    client, settings
):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    first = None
    for i in range(settings.reports_per_phone_per_hour):
        r = await client.post(
            "/v1/reports",
            json=report_body(phone),
            headers={**bearer(session), "Idempotency-Key": f"open-{i}"},
        )
        assert r.status == 201, await r.text()
        first = first or await r.json()
    reports = await _db(settings, "SELECT count(*) FROM reports")
    r = await client.post("/v1/reports", json=report_body(phone), headers=bearer(session))
    await _assert_limited(
        r, "reports-per-phone-per-hour", "每小时最多创建3起事故报告", "at most 3 reports an hour"
    )
    assert await _db(settings, "SELECT count(*) FROM reports") == reports
    # Logging in again does not reset it; retrying an answered creation is not a new one.
    await time_passes(settings, 61)
    again = await login(client, settings.var_dir, phone)
    r = await client.post("/v1/reports", json=report_body(phone), headers=bearer(again))
    assert r.status == 429
    await time_passes(settings, 3600)
    r = await client.post("/v1/reports", json=report_body(phone), headers=bearer(again))
    assert r.status == 201


async def test_an_answered_creation_retried_after_the_limit_is_reached_gets_its_answer(
    client, settings
):
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    body = report_body(phone)
    answers = []
    for i in range(settings.reports_per_phone_per_hour):
        r = await client.post(
            "/v1/reports",
            json=body if i == 0 else report_body(phone),
            headers={**bearer(session), "Idempotency-Key": f"open-{i}"},
        )
        answers.append(await r.json())
    r = await client.post(
        "/v1/reports", json=body, headers={**bearer(session), "Idempotency-Key": "open-0"}
    )
    assert r.status == 201
    assert await r.json() == answers[0]


async def test_a_phone_sends_at_most_three_invitations_an_hour_and_a_refused_one_creates_nothing(
    client, settings, app_with
):
    app = await app_with(reports_per_phone_per_hour=10)
    phone = new_phone()
    session = await login(app, settings.var_dir, phone)
    for _ in range(settings.invitations_per_phone_per_hour):
        r = await app.post(
            "/v1/reports",
            json=report_body(phone, invite_phone=new_phone()),
            headers=bearer(session),
        )
        assert r.status == 201, await r.text()
    r = await app.post(
        "/v1/reports", json=report_body(phone, invite_phone=new_phone()), headers=bearer(session)
    )
    await _assert_limited(
        r,
        "invitations-per-phone-per-hour",
        "每小时最多发送3条短信邀请",
        "at most 3 SMS invitations an hour",
    )
    assert await _db(settings, "SELECT count(*) FROM reports") == 3
    assert await _db(settings, "SELECT count(*) FROM outbox WHERE topic = 'sms'") == 3
    r = await app.post("/v1/reports", json=report_body(phone), headers=bearer(session))
    assert r.status == 201  # the refused one took nothing from the phone's report budget: 4 of 10


# Many requests at once, in two service instances sharing the database.


async def _at_once(clients: list, n: int, send) -> list[int]:
    answers = await asyncio.gather(*(send(clients[i % len(clients)], i) for i in range(n)))
    return sorted(r.status for r in answers)


async def test_25_simultaneous_login_code_requests_for_one_phone_text_exactly_the_limit(
    settings, app_with
):
    limits = {"otp_sends_per_phone_per_minute": 5, "otp_sends_per_phone_per_hour": 5}
    apps = [await app_with(**limits), await app_with(**limits)]
    phone = new_phone()
    statuses = await _at_once(apps, 25, lambda c, i: _code(c, phone))
    assert statuses == [202] * 5 + [429] * 20
    assert len(sms_messages(settings.var_dir)) == 5


async def test_25_simultaneous_requests_from_one_address_text_exactly_the_address_limit(
    settings, app_with
):
    apps = [
        await app_with(otp_sends_per_ip_per_hour=5),
        await app_with(otp_sends_per_ip_per_hour=5),
    ]
    phones = [new_phone() for _ in range(25)]
    statuses = await _at_once(apps, 25, lambda c, i: _code(c, phones[i]))
    assert statuses == [202] * 5 + [429] * 20
    assert len(sms_messages(settings.var_dir)) == 5


async def test_25_simultaneous_signing_code_requests_text_exactly_the_party_budget(
    client, settings, app_with
):
    case, _ = await _ready_to_sign(client, settings)
    texted = len(sms_messages(settings.var_dir))
    apps = [client, await app_with()]
    statuses = await _at_once(
        apps, 25, lambda c, i: c.post(case.url("/signing-code"), headers=bearer(case.tokens["A"]))
    )
    assert statuses == [202] * 5 + [429] * 20
    assert len(sms_messages(settings.var_dir)) - texted == 5


async def test_25_simultaneous_report_creations_by_one_phone_create_exactly_the_limit(
    client, settings, app_with
):
    apps = [client, await app_with()]
    phone = new_phone()
    session = await login(client, settings.var_dir, phone)
    statuses = await _at_once(
        apps,
        25,
        lambda c, i: c.post(
            "/v1/reports",
            json=report_body(phone, invite_phone=new_phone()),
            headers={**bearer(session), "Idempotency-Key": f"burst-{i}"},
        ),
    )
    assert statuses == [201] * 3 + [429] * 22
    assert await _db(settings, "SELECT count(*) FROM reports") == 3
    assert await _db(settings, "SELECT count(*) FROM outbox WHERE topic = 'sms'") == 3
    assert await _db(settings, "SELECT count(*) FROM idempotency_keys") == 3


# One phone, one identity, one bucket.


async def test_a_phone_typed_in_fullwidth_digits_is_the_same_phone_and_the_same_bucket(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    wide = a["phone"].translate(FULLWIDTH)
    await time_passes(settings, 61)
    r = await _code(client, wide)
    assert r.status == 202
    assert (await r.json())["phone_masked"] == a["phone"][:3] + "****" + a["phone"][-4:]
    assert sms_messages(settings.var_dir)[-1]["to"] == a["phone"]
    await _assert_limited(
        await _code(client, a["phone"]), "login-codes-per-phone-per-minute", "每分钟", "a minute"
    )
    r = await client.post(
        "/v1/auth/session", json={"phone": wide, "code": last_code(settings.var_dir, a["phone"])}
    )
    assert r.status == 201
    r = await client.get("/v1/me/reports", headers=bearer((await r.json())["session_token"]))
    assert [x["report_id"] for x in (await r.json())["reports"]] == [a["report"]["id"]]


async def test_a_phone_in_digits_of_another_script_is_refused_with_a_pointer(client, settings):
    phone = new_phone()
    r = await _code(
        client, phone[:2] + phone[2:].translate(ARABIC_INDIC)
    )  # "13" and nine Arabic-Indic digits
    assert r.status == 422
    assert [e["pointer"] for e in (await r.json())["errors"]] == ["#/phone"]
    assert sms_messages(settings.var_dir) == []

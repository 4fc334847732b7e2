"""A driver's browser holds the session in an HttpOnly cookie; another site cannot use it; the other party can
confirm on the same phone with their own code, and the driver's session never acts as them."""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
import pytest
from yarl import URL

from tests.api.browser import Browser
from tests.api.fault_steps import A_REAR_ENDS_B, jpeg
from tests.api.flows import (
    CONSENT,
    ELIGIBLE_CASE,
    bearer,
    create_report,
    last_code,
    new_phone,
    party,
    report_body,
    time_passes,
)

REVOCATION_BOUND_S = 1.0


@pytest.fixture
async def browser(client):
    b = Browser(client.make_url("/"))
    yield b
    await b.close()


async def _problem(r, status: int, code: str) -> dict:
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["type"] == f"/problems/{code}", body
    assert body["zh"]["detail"] and body["en"]["detail"]
    return body


async def _reports(settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM reports")
    finally:
        await conn.close()


async def test_the_session_lives_in_an_httponly_secure_lax_cookie_and_the_api_takes_it(
    client, settings, browser
):
    phone = new_phone()
    assert (await browser.call("POST", "/v1/auth/otp", json={"phone": phone})).status == 202
    r = await browser.call(
        "POST",
        "/v1/auth/browser-session",
        json={"phone": phone, "code": last_code(settings.var_dir, phone)},
    )
    assert r.status == 201, await r.text()
    set_cookie = r.headers["Set-Cookie"]
    for attribute in ("__Host-kuaichu-driver=ks_", "HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert attribute in set_cookie, set_cookie
    assert "Domain" not in set_cookie
    assert r.headers["Cache-Control"] == "no-store"
    signed = await r.json()
    assert set(signed) == {"acting", "csrf_token", "expires_at", "phone_masked"}
    assert "ks_" not in await r.text()  # nothing a script could use as the credential
    browser.csrf["driver"] = signed["csrf_token"]

    r = await browser.call("GET", "/v1/me/reports")  # no Authorization header: the cookie
    assert r.status == 200, await r.text()
    r = await browser.call("GET", "/v1/auth/browser-session")
    assert (await r.json())["csrf_token"] == browser.csrf["driver"]
    r = await browser.call("POST", "/v1/reports", json=report_body(phone))
    assert r.status == 201, await r.text()
    r = await browser.call("GET", "/v1/me/reports")
    assert len((await r.json())["reports"]) == 1


async def test_a_cookie_call_that_changes_state_needs_the_token_and_this_services_origin(
    client, settings, browser
):
    phone = new_phone()
    await browser.sign_in_driver(settings.var_dir, phone)
    before = await _reports(settings)

    await _problem(
        await browser.call("POST", "/v1/reports", json=report_body(phone), csrf=""),
        403,
        "csrf-token-invalid",
    )
    await _problem(
        await browser.call("POST", "/v1/reports", json=report_body(phone), csrf="x" * 43),
        403,
        "csrf-token-invalid",
    )
    await _problem(
        await browser.call(
            "POST", "/v1/reports", json=report_body(phone), origin="https://evil.example"
        ),
        403,
        "origin-refused",
    )
    r = await browser.http.post(
        browser.base.join(URL("/v1/reports")),
        json=report_body(phone),
        headers={"X-CSRF-Token": browser.csrf["driver"]},
    )  # no Origin at all
    await _problem(r, 403, "origin-refused")
    assert await _reports(settings) == before  # nothing was created

    # Another browser's token does not fit this cookie.
    other = Browser(browser.base)
    try:
        await other.sign_in_driver(settings.var_dir, new_phone())
        await _problem(
            await browser.call(
                "POST", "/v1/reports", json=report_body(phone), csrf=other.csrf["driver"]
            ),
            403,
            "csrf-token-invalid",
        )
    finally:
        await other.close()
    assert (await browser.call("POST", "/v1/reports", json=report_body(phone))).status == 201
    # A bearer client is not a browser: no token or Origin needed.
    a = await create_report(client, settings.var_dir)
    assert a["report"]["id"]


async def test_signing_in_from_a_plain_http_page_elsewhere_is_refused_with_a_message(
    client, settings, browser
):
    phone = new_phone()
    r = await browser.call("POST", "/v1/auth/otp", json={"phone": phone})
    assert r.status == 202
    r = await browser.call(
        "POST",
        "/v1/auth/browser-session",
        origin="http://192.168.1.20:8080",
        json={"phone": phone, "code": last_code(settings.var_dir, phone)},
    )
    body = await _problem(r, 403, "insecure-transport")
    assert "https" in body["en"]["detail"] and "HTTPS" in body["zh"]["title"]
    assert browser.cookie("__Host-kuaichu-driver") is None
    r = await browser.call(
        "POST",
        "/v1/auth/browser-session",
        origin="https://evil.example",
        json={"phone": phone, "code": last_code(settings.var_dir, phone)},
    )
    await _problem(r, 403, "origin-refused")


async def test_logout_ends_the_cookie_session_in_every_process_within_a_second(
    client, settings, browser, aiohttp_client
):
    from kuaichu.app import create_app

    other_process = await aiohttp_client(create_app(settings))
    await browser.sign_in_driver(settings.var_dir, new_phone())
    token = browser.cookie("__Host-kuaichu-driver")
    cookie = {"Cookie": f"__Host-kuaichu-driver={token}"}
    assert (await other_process.get("/v1/me/reports", headers=cookie)).status == 200

    await _problem(
        await browser.call("POST", "/v1/auth/logout", csrf=""), 403, "csrf-token-invalid"
    )
    r = await browser.call("POST", "/v1/auth/logout")
    assert r.status == 200, await r.text()
    assert await r.json() == {"ended": 1}
    assert browser.cookie("__Host-kuaichu-driver") is None  # cleared
    await asyncio.sleep(REVOCATION_BOUND_S)
    for app in (client, other_process):  # the old cookie, replayed, is refused
        await _problem(await app.get("/v1/me/reports", headers=cookie), 401, "unauthenticated")


async def _join_body(share_code: str, phone: str) -> dict:
    return {
        "share_code": share_code,
        "case_answers": dict(ELIGIBLE_CASE),
        "party": party(phone, plate="浙B54321", insurer="CPIC", name="李四"),
        "consent": dict(CONSENT),
    }


async def test_one_phone_mode_the_other_party_proves_their_own_phone_and_a_cannot_act_as_b(
    client, settings, browser
):
    a_phone, b_phone = new_phone(), new_phone()
    await browser.sign_in_driver(settings.var_dir, a_phone)
    r = await browser.call("POST", "/v1/reports", json=report_body(a_phone))
    assert r.status == 201, await r.text()
    created = await r.json()
    assert created["party_token"] is None  # a browser's script never holds a credential
    rid, share = created["report"]["id"], created["share_code"]["code"]
    for shade, kind in enumerate(("front_overview", "rear_overview", "impact_point"), start=1):
        form = aiohttp.FormData()
        form.add_field("kind", kind)
        form.add_field("file", jpeg(shade * 60), filename="p.jpg", content_type="image/jpeg")
        assert (await browser.call("POST", f"/v1/reports/{rid}/photos", data=form)).status == 201
    assert (await browser.call("POST", f"/v1/reports/{rid}/submit")).status == 200

    # B takes A's phone: B's own number and B's own code. A's number, or a wrong code, gets nothing.
    r = await browser.call(
        "POST", "/v1/auth/browser-session/second-party", json={"phone": a_phone, "code": "000000"}
    )
    assert r.status in (409, 422, 410, 429), await r.text()
    assert (await browser.call("POST", "/v1/auth/otp", json={"phone": b_phone})).status == 202
    code = last_code(settings.var_dir, b_phone)
    wrong = "0" * 6 if code != "000000" else "111111"
    await _problem(
        await browser.call(
            "POST", "/v1/auth/browser-session/second-party", json={"phone": b_phone, "code": wrong}
        ),
        422,
        "wrong-code",
    )
    assert browser.cookie("__Host-kuaichu-second-party") is None
    await _problem(
        await browser.call(
            "POST",
            "/v1/auth/browser-session/second-party",
            csrf="",
            json={"phone": b_phone, "code": code},
        ),
        403,
        "csrf-token-invalid",
    )
    r = await browser.call(
        "POST", "/v1/auth/browser-session/second-party", json={"phone": b_phone, "code": code}
    )
    assert r.status == 201, await r.text()
    b = await r.json()
    assert b["acting"] == "second-party" and b["csrf_token"] != browser.csrf["driver"]
    browser.csrf["second-party"] = b["csrf_token"]

    # Without the header the browser still acts as A; A's token cannot drive B's cookie.
    r = await browser.call("POST", "/v1/reports/join", json=await _join_body(share, b_phone))
    assert r.status in (403, 422), await r.text()  # A's session is not B's phone
    await _problem(
        await browser.call(
            "POST",
            "/v1/reports/join",
            acting="second-party",
            csrf=browser.csrf["driver"],
            json=await _join_body(share, b_phone),
        ),
        403,
        "csrf-token-invalid",
    )
    r = await browser.call(
        "POST", "/v1/reports/join", acting="second-party", json=await _join_body(share, b_phone)
    )
    assert r.status == 201, await r.text()
    joined = await r.json()
    assert joined["label"] == "B" and joined["party_token"] is None

    for label, who in (("A", None), ("B", "second-party")):
        r = await browser.call(
            "PUT",
            f"/v1/reports/{rid}/fault/accounts/{label}",
            acting=who,
            json=A_REAR_ENDS_B[label],
        )
        assert r.status == 200, await r.text()
    proposal = (await r.json())["proposal"]["version"]
    # A's session gives A's answers only: putting B's account is refused, and A's acceptance is A's.
    r = await browser.call("PUT", f"/v1/reports/{rid}/fault/accounts/B", json=A_REAR_ENDS_B["B"])
    assert r.status in (403, 404, 409), await r.text()
    r = await browser.call(
        "POST",
        f"/v1/reports/{rid}/fault/responses",
        json={"proposal_version": proposal, "response": "accept"},
    )
    assert r.status == 200, await r.text()
    responses = {x["party"]: x["response"] for x in (await r.json())["responses"]}
    assert responses == {"A": "accept"}, responses
    r = await browser.call(
        "POST",
        f"/v1/reports/{rid}/fault/responses",
        acting="second-party",
        json={"proposal_version": proposal, "response": "accept"},
    )
    assert r.status == 200, await r.text()
    assert {x["party"] for x in (await r.json())["responses"]} == {"A", "B"}

    # B signs with the code texted to B's phone.
    r = await browser.call("POST", f"/v1/reports/{rid}/fault/signing-code", acting="second-party")
    assert r.status == 202, await r.text()
    r = await browser.call(
        "POST",
        f"/v1/reports/{rid}/fault/signatures",
        acting="second-party",
        json={
            "proposal_version": proposal,
            "mutual_self_compensation": False,
            "code": last_code(settings.var_dir, b_phone),
        },
    )
    assert r.status == 200, await r.text()
    conn = await asyncpg.connect(settings.database_url)
    try:
        signer = await conn.fetchval(
            "SELECT p.label FROM fault_signatures s JOIN parties p ON p.id = s.party_id "
            "WHERE s.report_id = $1::uuid",
            rid,
        )
    finally:
        await conn.close()
    assert signer == "B"

    # On A's phone B confirms A's report; B reports from B's own phone.
    r = await browser.call("POST", "/v1/reports", acting="second-party", json=report_body(b_phone))
    await _problem(r, 403, "forbidden")
    # B's session on A's phone reaches only what both share; B's other reports stay out of reach.
    await time_passes(settings, 61)  # B's next login code, a minute later
    elsewhere = await create_report(client, settings.var_dir, phone=b_phone)
    r = await browser.call("GET", f"/v1/reports/{elsewhere['report']['id']}", acting="second-party")
    await _problem(r, 404, "report-not-found")
    r = await browser.call("GET", "/v1/me/reports", acting="second-party")
    assert [x["report_id"] for x in (await r.json())["reports"]] == [rid]
    assert (await client.get("/v1/me/reports", headers=bearer(elsewhere["session"]))).status == 200

    # A signing out on this phone ends B's session too.
    b_token = browser.cookie("__Host-kuaichu-second-party")
    assert (await browser.call("POST", "/v1/auth/logout")).status == 200
    assert browser.cookie("__Host-kuaichu-second-party") is None
    await asyncio.sleep(REVOCATION_BOUND_S)
    r = await client.get(
        f"/v1/reports/{rid}",
        headers={"Cookie": f"__Host-kuaichu-second-party={b_token}", "X-Acting-As": "second-party"},
    )
    await _problem(r, 401, "unauthenticated")


async def test_the_other_partys_session_ends_on_its_own_and_is_never_taken_for_the_drivers(
    client, settings, browser
):
    a_phone, b_phone = new_phone(), new_phone()
    await browser.sign_in_driver(settings.var_dir, a_phone)
    assert (await browser.call("POST", "/v1/auth/otp", json={"phone": b_phone})).status == 202
    r = await browser.call(
        "POST",
        "/v1/auth/browser-session/second-party",
        json={"phone": b_phone, "code": last_code(settings.var_dir, b_phone)},
    )
    assert r.status == 201
    browser.csrf["second-party"] = (await r.json())["csrf_token"]
    b_token = browser.cookie("__Host-kuaichu-second-party")
    # B's credential in the driver's cookie is not a driver session.
    r = await client.get("/v1/me/reports", headers={"Cookie": f"__Host-kuaichu-driver={b_token}"})
    await _problem(r, 401, "unauthenticated")
    # B hands the phone back: B's session ends, A's goes on.
    r = await browser.call("POST", "/v1/auth/logout", acting="second-party")
    assert r.status == 200 and await r.json() == {"ended": 1}
    assert browser.cookie("__Host-kuaichu-second-party") is None
    await asyncio.sleep(REVOCATION_BOUND_S)
    r = await client.get(
        "/v1/me/reports",
        headers={"Cookie": f"__Host-kuaichu-second-party={b_token}", "X-Acting-As": "second-party"},
    )
    await _problem(r, 401, "unauthenticated")
    # Asking for the other party with no such cookie left never falls back to the driver's session.
    await _problem(
        await browser.call("GET", "/v1/me/reports", acting="second-party"), 401, "unauthenticated"
    )
    assert (await browser.call("GET", "/v1/me/reports")).status == 200


async def test_pages_carry_the_security_headers(client):
    for path in (
        "/",
        "/join?code=ABCD-EFGH",
        "/app/app.js",
        "/app/app.css",
        "/staff/enrol",
        "/staff/enrol.js",
    ):
        r = await client.get(path)
        assert r.status == 200, path
        csp = r.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and "'unsafe-inline'" not in csp
        assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    body = await (await client.get("/staff/enrol")).text()
    assert "<script>" not in body and " on" + "click=" not in body and "style=" not in body


async def test_openapi_describes_the_cookies_the_anti_forgery_header_and_one_phone_mode(client):
    doc = await (await client.get("/v1/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert {schemes[n]["name"] for n in ("driverCookie", "secondPartyCookie", "staffCookie")} == {
        "__Host-kuaichu-driver",
        "__Host-kuaichu-second-party",
        "__Host-kuaichu-staff",
    }
    join = doc["paths"]["/v1/reports/join"]["post"]
    assert {"driverCookie": []} in join["security"] and {"bearer": []} in join["security"]
    assert {p["name"] for p in join["parameters"]} >= {"X-CSRF-Token", "X-Acting-As"}
    second = doc["paths"]["/v1/auth/browser-session/second-party"]["post"]
    assert (
        "X-Acting-As: second-party" in second["summary"]
        and "never acts as the other party" in second["summary"]
    )
    for path, method in (
        ("/v1/auth/browser-session", "post"),
        ("/v1/staff/session", "post"),
        ("/v1/staff/session", "delete"),
        ("/v1/staff/enrolment", "post"),
        ("/v1/staff/enrolment/open", "post"),
        ("/v1/admin/staff/{username}/reset", "post"),
    ):
        op = doc["paths"][path][method]
        assert op["summary"] and ({"200", "201"} & set(op["responses"])), (path, method)
    review = doc["paths"]["/v1/police/reviews"]["get"]
    assert {"staffCookie": []} in review["security"]
    assert "X-CSRF-Token" not in {p["name"] for p in review.get("parameters", [])}  # a read

"""Sign-in in a real browser: a staff member enrols through the one-time link's page, and neither a staff nor a
driver session is ever readable by the page's script; the strict Content-Security-Policy stops inline script."""

from __future__ import annotations

import json

import pyotp

from kernel.crypto import Keyring
from kuaichu.commands.staff import create_person
from kuaichu.db import connect
from tests.api.flows import FIXTURE_ZONES, last_code, new_phone
from tests.browser.support import accessible

FETCH = """async ([method, path, body, headers]) => {
  const r = await fetch(path, {method, credentials: "same-origin",
    headers: {"Content-Type": "application/json", ...(headers || {})}, body: body ? JSON.stringify(body) : undefined});
  return {status: r.status, body: await r.text()};
}"""


async def _person(live, username: str) -> str:
    s = live.settings
    keyring = Keyring.from_settings(s.secret_key.get_secret_value(), s.data_keys.get_secret_value())
    conn = await connect(s.database_url)
    try:
        token, _ = await create_person(
            conn,
            keyring,
            username=username,
            role="police",
            name=None,
            insurer=None,
            jurisdiction=FIXTURE_ZONES,
        )
        return token
    finally:
        await conn.close()


async def test_a_police_officer_enrols_on_the_links_page_and_the_session_cookie_is_out_of_scripts_reach(
    new_context, live, shots
):
    token = await _person(live, "officer-7")
    page = await (await new_context("desk")).new_page()
    response = await page.goto(f"/staff/enrol#token={token}")
    assert response is not None and response.headers["content-security-policy"].startswith(
        "default-src 'none'"
    )
    await page.locator("#who").filter(has_text="officer-7").wait_for()
    assert "token" not in page.url  # the fragment is gone from the address bar and the history
    secret = await page.locator("#secret").inner_text()
    await shots(page, "enrolment link opened")
    await accessible(page)
    await page.fill("input[name=password]", "a long enough password")
    await page.fill("input[name=password2]", "a long enough password")
    totp = pyotp.TOTP(secret)
    await page.fill("input[name=totp_code]", totp.now())
    await page.click("button[type=submit]")
    await page.locator("#result").filter(has_text="Done").wait_for()
    await shots(page, "enrolled")

    conn = await connect(live.settings.database_url)
    try:  # a minute on: the authenticator shows a code not used yet
        await conn.execute(
            "UPDATE staff SET totp_last_step = totp_last_step - 2 WHERE username = 'officer-7'"
        )
    finally:
        await conn.close()
    signed = await page.evaluate(
        FETCH,
        [
            "POST",
            "/v1/staff/session",
            {
                "username": "officer-7",
                "password": "a long enough password",
                "totp_code": totp.now(),
            },
            None,
        ],
    )
    assert signed["status"] == 201, signed
    assert "kss_" not in signed["body"] and "kss_" not in await page.evaluate("document.cookie")
    me = await page.evaluate(FETCH, ["GET", "/v1/staff/session", None, None])
    assert me["status"] == 200, me  # the browser kept the Secure cookie on localhost and sends it
    queue = await page.evaluate(FETCH, ["GET", "/v1/police/reviews", None, None])
    assert queue["status"] == 200, queue
    refused = await page.evaluate(FETCH, ["DELETE", "/v1/staff/session", None, None])
    assert refused["status"] == 403 and "csrf-token-invalid" in refused["body"]

    # Script put into the page inline does not run.
    ran = await page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.injected = true"; document.head.appendChild(s); return window.injected === true; }""")
    assert ran is False


async def test_a_drivers_cookie_session_works_from_the_page_and_needs_the_token_to_log_out(
    new_context, live
):
    page = await (await new_context("phone")).new_page()
    await page.goto("/join")
    phone = new_phone()
    sent = await page.evaluate(FETCH, ["POST", "/v1/auth/otp", {"phone": phone}, None])
    assert sent["status"] == 202, sent
    code = last_code(live.settings.var_dir, phone)
    signed = await page.evaluate(
        FETCH, ["POST", "/v1/auth/browser-session", {"phone": phone, "code": code}, None]
    )
    assert signed["status"] == 201, signed
    assert "ks_" not in signed["body"] and "ks_" not in await page.evaluate("document.cookie")
    mine = await page.evaluate(FETCH, ["GET", "/v1/me/reports", None, None])
    assert mine["status"] == 200, mine
    session = await page.evaluate(FETCH, ["GET", "/v1/auth/browser-session", None, None])
    csrf = json.loads(session["body"])["csrf_token"]
    refused = await page.evaluate(FETCH, ["POST", "/v1/auth/logout", None, None])
    assert refused["status"] == 403, refused
    done = await page.evaluate(FETCH, ["POST", "/v1/auth/logout", None, {"X-CSRF-Token": csrf}])
    assert done["status"] == 200, done
    after = await page.evaluate(FETCH, ["GET", "/v1/me/reports", None, None])
    assert after["status"] == 401, after

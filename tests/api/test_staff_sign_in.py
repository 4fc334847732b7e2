"""Staff sign in as people: a one-time enrolment link, a password, an authenticator; a lock after failures; a
session cookie that another site cannot use and that ends on time, at sign-out, reset and deactivation."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from typing import Any

import asyncpg
import pyotp
import pytest

from kernel.crypto import Keyring
from kuaichu.app import create_app
from kuaichu.commands.staff import create_person, deactivate_staff
from kuaichu.db import connect
from tests.api.browser import Browser
from tests.api.flows import FIXTURE_ZONES

REVOCATION_BOUND_S = 1.0
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def browser(client):
    b = Browser(client.make_url("/"))
    yield b
    await b.close()


def _keyring(settings: Any) -> Keyring:
    return Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )


async def _sql(settings: Any, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _problem(r, status: int, code: str) -> dict:
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    body = await r.json()
    assert body["type"] == f"/problems/{code}", body
    assert body["zh"]["detail"] and body["en"]["detail"]
    return body


async def new_person(settings: Any, role: str, username: str) -> str:
    """`kuaichu staff create` for a person: the enrolment link's token."""
    conn = await connect(settings.database_url)
    try:
        token, _ = await create_person(
            conn,
            _keyring(settings),
            username=username,
            role=role,
            name=None,
            insurer=None,
            jurisdiction=FIXTURE_ZONES if role in ("police", "supervisor") else None,
        )
    finally:
        await conn.close()
    return token


async def enrol(browser: Browser, link_token: str, password: str = PASSWORD) -> str | None:
    """Open the link, set the password and confirm the authenticator; return the TOTP secret (if any)."""
    r = await browser.call("POST", "/v1/staff/enrolment/open", json={"token": link_token})
    assert r.status == 200, await r.text()
    info = await r.json()
    body: dict[str, Any] = {"token": link_token, "password": password}
    if info["sets_totp"]:
        body["totp_code"] = pyotp.TOTP(info["totp_secret"]).now()
    r = await browser.call("POST", "/v1/staff/enrolment", json=body)
    assert r.status == 200, await r.text()
    return info["totp_secret"]


async def a_minute_passes(settings: Any, username: str) -> None:
    """As if a minute went by for the authenticator (a code is good once: the last accepted step ages)."""
    await _sql(
        settings,
        "UPDATE staff SET totp_last_step = totp_last_step - 2 WHERE username = $1::text",
        username,
    )


async def sign_in(browser: Browser, username: str, secret: str | None, password: str = PASSWORD):
    body: dict[str, Any] = {"username": username, "password": password}
    if secret:
        body["totp_code"] = pyotp.TOTP(secret).now()
    r = await browser.call("POST", "/v1/staff/session", json=body)
    if r.status == 201:
        browser.csrf["staff"] = (await r.json())["csrf_token"]
    return r


async def signed_in(settings: Any, browser: Browser, role: str, username: str) -> str | None:
    secret = await enrol(browser, await new_person(settings, role, username))
    await a_minute_passes(settings, username)
    r = await sign_in(browser, username, secret)
    assert r.status == 201, await r.text()
    return secret


async def test_enrolment_then_password_and_authenticator_give_a_strict_cookie_session(
    client, settings, browser
):
    link = await new_person(settings, "police", "officer-1")
    r = await browser.call("POST", "/v1/staff/enrolment/open", json={"token": link})
    info = await r.json()
    assert info["username"] == "officer-1" and info["sets_password"] and info["sets_totp"]
    assert (
        info["otpauth_uri"].startswith("otpauth://totp/")
        and info["totp_secret"] in info["otpauth_uri"]
    )
    again = await (
        await browser.call("POST", "/v1/staff/enrolment/open", json={"token": link})
    ).json()
    assert again["totp_secret"] == info["totp_secret"]  # reopening shows the same secret
    totp = pyotp.TOTP(info["totp_secret"])

    r = await browser.call(
        "POST",
        "/v1/staff/enrolment",
        json={"token": link, "password": "short", "totp_code": totp.now()},
    )
    await _problem(r, 422, "validation-error")
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    r = await browser.call(
        "POST",
        "/v1/staff/enrolment",
        json={"token": link, "password": PASSWORD, "totp_code": wrong},
    )
    await _problem(r, 422, "totp-code-wrong")
    used = totp.now()
    r = await browser.call(
        "POST", "/v1/staff/enrolment", json={"token": link, "password": PASSWORD, "totp_code": used}
    )
    assert r.status == 200, await r.text()
    assert await r.json() == {"username": "officer-1", "password_set": True, "totp_set": True}
    await _problem(
        await browser.call("POST", "/v1/staff/enrolment/open", json={"token": link}),
        410,
        "enrolment-link-invalid",
    )  # once

    await _problem(await sign_in(browser, "officer-1", None), 401, "totp-required")
    r = await browser.call(
        "POST",
        "/v1/staff/session",
        json={"username": "officer-1", "password": PASSWORD, "totp_code": used},
    )
    await _problem(r, 401, "staff-sign-in-failed")  # the code the enrolment used is good once only
    await a_minute_passes(settings, "officer-1")
    r = await sign_in(browser, "officer-1", info["totp_secret"])
    assert r.status == 201, await r.text()
    set_cookie = r.headers["Set-Cookie"]
    for attribute in (
        "__Host-kuaichu-staff=kss_",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
    ):
        assert attribute in set_cookie, set_cookie
    session = await r.json()
    assert session["role"] == "police" and session["jurisdiction"] == FIXTURE_ZONES
    assert session["idle_timeout_s"] == 1800 and "kss_" not in await r.text()

    # The existing staff routes take the cookie.
    assert (await browser.call("GET", "/v1/police/reviews")).status == 200
    me = await (await browser.call("GET", "/v1/staff/session")).json()
    assert me["username"] == "officer-1" and me["csrf_token"] == session["csrf_token"]

    # Signing out changes state: token and Origin needed.
    await _problem(
        await browser.call("DELETE", "/v1/staff/session", csrf=""), 403, "csrf-token-invalid"
    )
    await _problem(
        await browser.call("DELETE", "/v1/staff/session", origin="https://evil.example"),
        403,
        "origin-refused",
    )
    token = browser.cookie("__Host-kuaichu-staff")
    r = await browser.call("DELETE", "/v1/staff/session")
    assert r.status == 200 and await r.json() == {"ended": True}
    assert browser.cookie("__Host-kuaichu-staff") is None
    await asyncio.sleep(REVOCATION_BOUND_S)
    await _problem(
        await client.get("/v1/police/reviews", headers={"Cookie": f"__Host-kuaichu-staff={token}"}),
        401,
        "unauthenticated",
    )

    audit = await _sql(
        settings,
        "SELECT e.action, e.actor_kind, e.actor_id = s.id::text AS by_them "
        "FROM audit_events e JOIN staff s ON e.entity_id = s.id::text "
        "WHERE s.username = 'officer-1' ORDER BY e.id",
    )
    actions = [(a["action"], a["actor_kind"], a["by_them"]) for a in audit]
    assert ("enrolled", "staff", True) in actions and ("signed_out", "staff", True) in actions
    assert [a for a in actions if a[0] == "signed_in"] == [("signed_in", "staff", True)]
    assert [a[0] for a in actions].count("sign_in_failed") == 1


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, settings, browser):
    secret = await enrol(browser, await new_person(settings, "admin", "ops-1"))
    for attempt in range(1, 5):
        await _problem(
            await sign_in(browser, "ops-1", secret, password=f"wrong password {attempt}"),
            401,
            "staff-sign-in-failed",
        )
    body = await _problem(
        await sign_in(browser, "ops-1", secret, password="wrong password 5"),
        429,
        "staff-account-locked",
    )
    assert body["retry_after"] == 900
    await a_minute_passes(settings, "ops-1")
    r = await sign_in(browser, "ops-1", secret)  # the right password does not open a locked account
    await _problem(r, 429, "staff-account-locked")
    assert 0 < int(r.headers["Retry-After"]) <= 900

    await _sql(
        settings,
        "UPDATE staff SET locked_until = locked_until - interval '14 minutes' "
        "WHERE username = 'ops-1'",
    )
    await _problem(
        await sign_in(browser, "ops-1", secret), 429, "staff-account-locked"
    )  # a minute left
    await _sql(
        settings,
        "UPDATE staff SET locked_until = locked_until - interval '1 minute' "
        "WHERE username = 'ops-1'",
    )
    r = await sign_in(browser, "ops-1", secret)
    assert r.status == 201, await r.text()
    actions = [
        a["action"]
        for a in await _sql(
            settings,
            "SELECT action FROM audit_events WHERE entity = 'staff' AND entity_id = "
            "(SELECT id::text FROM staff WHERE username = 'ops-1') ORDER BY id",
        )
    ]
    assert (
        actions.count("sign_in_failed") == 5
        and actions.count("locked") == 1
        and actions[-1] == "signed_in"
    )


async def test_a_session_ends_after_thirty_idle_minutes_and_twelve_hours_in_all(
    client, settings, browser, aiohttp_client
):
    secret = await signed_in(settings, browser, "coordinator", "coord-1")
    assert secret is None  # coordinators need no authenticator
    # A request 29 minutes after the last keeps it alive.
    await _sql(settings, "UPDATE staff_sessions SET last_seen_at = now() - interval '29 minutes'")
    fresh = await aiohttp_client(create_app(settings))  # another process: no cached lookup
    cookie = {"Cookie": f"__Host-kuaichu-staff={browser.cookie('__Host-kuaichu-staff')}"}
    assert (await fresh.get("/v1/staff/session", headers=cookie)).status == 200
    await _sql(settings, "UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes'")
    fresh = await aiohttp_client(create_app(settings))
    await _problem(await fresh.get("/v1/staff/session", headers=cookie), 401, "unauthenticated")

    r = await sign_in(browser, "coord-1", None)
    assert r.status == 201
    cookie = {"Cookie": f"__Host-kuaichu-staff={browser.cookie('__Host-kuaichu-staff')}"}
    await _sql(
        settings,
        "UPDATE staff_sessions SET created_at = created_at - interval '11 hours 59 minutes', "
        "expires_at = expires_at - interval '11 hours 59 minutes' WHERE revoked_at IS NULL",
    )
    fresh = await aiohttp_client(create_app(settings))
    assert (await fresh.get("/v1/staff/session", headers=cookie)).status == 200  # busy all along
    await _sql(
        settings,
        "UPDATE staff_sessions SET created_at = created_at - interval '2 minutes', "
        "expires_at = expires_at - interval '2 minutes' WHERE revoked_at IS NULL",
    )
    fresh = await aiohttp_client(create_app(settings))
    await _problem(await fresh.get("/v1/staff/session", headers=cookie), 401, "unauthenticated")


async def test_a_reset_or_a_deactivation_ends_sessions_in_every_process_within_a_second(
    client, settings, browser, aiohttp_client
):
    other_process = await aiohttp_client(create_app(settings))
    admin = Browser(browser.base)
    try:
        await signed_in(settings, admin, "admin", "admin-1")
        officer_secret = await signed_in(settings, browser, "police", "officer-2")
        cookie = {"Cookie": f"__Host-kuaichu-staff={browser.cookie('__Host-kuaichu-staff')}"}
        for app in (client, other_process):
            assert (await app.get("/v1/police/reviews", headers=cookie)).status == 200

        await _problem(
            await admin.call(
                "POST", "/v1/admin/staff/officer-2/reset", json={"password": True}, csrf=""
            ),
            403,
            "csrf-token-invalid",
        )
        await _problem(
            await browser.call(
                "POST", "/v1/admin/staff/officer-2/reset", json={"password": True}, acting="staff"
            ),
            403,
            "forbidden",
        )  # police are no admins
        r = await admin.call(
            "POST", "/v1/admin/staff/officer-2/reset", json={"password": True}, acting="staff"
        )
        assert r.status == 200, await r.text()
        done = await r.json()
        assert done["sessions_ended"] == 1 and "/staff/enrol#token=kse_" in done["enrolment_url"]
        await asyncio.sleep(REVOCATION_BOUND_S)
        for app in (client, other_process):
            await _problem(
                await app.get("/v1/police/reviews", headers=cookie), 401, "unauthenticated"
            )
        await a_minute_passes(settings, "officer-2")
        await _problem(
            await sign_in(browser, "officer-2", officer_secret), 401, "staff-sign-in-failed"
        )

        # The link sets a new password; the authenticator stays.
        link = done["enrolment_url"].split("#token=", 1)[1]
        info = await (
            await browser.call("POST", "/v1/staff/enrolment/open", json={"token": link})
        ).json()
        assert info["sets_password"] and not info["sets_totp"] and info["totp_secret"] is None
        r = await browser.call(
            "POST", "/v1/staff/enrolment", json={"token": link, "password": "a new long password"}
        )
        assert r.status == 200, await r.text()
        r = await sign_in(browser, "officer-2", officer_secret, password="a new long password")
        assert r.status == 201, await r.text()
        cookie = {"Cookie": f"__Host-kuaichu-staff={browser.cookie('__Host-kuaichu-staff')}"}
        reset = await _sql(
            settings,
            "SELECT actor_kind, actor_id, changes FROM audit_events WHERE action = 'reset'",
        )
        admin_id = (await _sql(settings, "SELECT id::text FROM staff WHERE username = 'admin-1'"))[
            0
        ]["id"]
        assert [(x["actor_kind"], x["actor_id"]) for x in reset] == [("staff", admin_id)]

        conn = await connect(settings.database_url)
        try:
            await deactivate_staff(conn, username="officer-2", by="ops")
        finally:
            await conn.close()
        await asyncio.sleep(REVOCATION_BOUND_S)
        for app in (client, other_process):
            await _problem(
                await app.get("/v1/police/reviews", headers=cookie), 401, "unauthenticated"
            )
        ended = await _sql(
            settings,
            "SELECT revoked_reason FROM staff_sessions s JOIN staff t ON t.id = s.staff_id "
            "WHERE t.username = 'officer-2' ORDER BY s.created_at",
        )
        assert [e["revoked_reason"] for e in ended] == ["reset", "deactivated"]
    finally:
        await admin.close()


async def test_a_supervisor_signs_in_with_an_authenticator_and_reads_only(
    client, settings, browser
):
    await signed_in(settings, browser, "supervisor", "super-1")
    me = await (await browser.call("GET", "/v1/staff/session")).json()
    assert me["role"] == "supervisor" and me["jurisdiction"] == FIXTURE_ZONES
    await _problem(await browser.call("GET", "/v1/police/reviews"), 403, "forbidden")
    await _problem(
        await browser.call("POST", "/v1/admin/staff/super-1/reset", json={"totp": True}),
        403,
        "forbidden",
    )


async def test_signing_in_from_a_plain_http_page_elsewhere_is_refused(client, settings, browser):
    r = await browser.call(
        "POST",
        "/v1/staff/session",
        origin="http://10.0.0.8:8080",
        json={"username": "nobody", "password": PASSWORD},
    )
    body = await _problem(r, 403, "insecure-transport")
    assert "http://10.0.0.8:8080" in body["en"]["detail"]
    await _problem(
        await browser.call(
            "POST", "/v1/staff/session", json={"username": "nobody", "password": "x"}
        ),
        401,
        "staff-sign-in-failed",
    )


@pytest.mark.timeout(300)  # five runs of the command, each a new process
async def test_the_cli_prints_an_enrolment_link_and_a_reset_link_and_a_system_client_gets_a_token(
    settings,
):
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KUAICHU_PUBLIC_BASE_URL": "https://kuaichu.example",
    }
    env.pop("KUAICHU_ENVIRONMENT", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kuaichu.cli", "staff", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    async def staff(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(run, *args)

    made = await staff("create", "super-2", "--role", "supervisor", "--jurisdiction", "zj-330102")
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(r"https://kuaichu\.example/staff/enrol#token=kse_[\w-]+\n", made.stdout)
    assert "24" not in made.stdout and "super-2" in made.stderr
    refused = await staff("create", "super-3", "--role", "supervisor")
    assert refused.returncode != 0 and "--jurisdiction" in refused.stderr
    system = await staff("create", "robot-1", "--role", "admin", "--token")
    assert system.returncode == 0 and system.stdout.startswith("kst_"), system.stderr
    reset = await staff("reset", "super-2", "--totp")
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith("https://kuaichu.example/staff/enrol#token=kse_")
    assert reset.stdout != made.stdout
    person = await staff("rotate-token", "super-2")  # no bearer token for a person
    assert person.returncode != 0 and "person's account" in person.stderr


async def test_failures_from_one_address_across_accounts_are_limited_too(settings, aiohttp_client):
    app = await aiohttp_client(
        create_app(settings.model_copy(update={"staff_sign_in_failures_per_address_per_hour": 3}))
    )
    b = Browser(app.make_url("/"))
    try:
        secret = await enrol(b, await new_person(settings, "admin", "ops-9"))
        await a_minute_passes(settings, "ops-9")
        assert (
            await sign_in(b, "ops-9", secret)
        ).status == 201  # a success takes nothing from the budget
        for name in ("ops-9", "someone", "else"):  # one wrong password on each of several accounts
            await _problem(
                await sign_in(b, name, None, password="Summer2026!"), 401, "staff-sign-in-failed"
            )
        body = await _problem(
            await sign_in(b, "another", None, password="Summer2026!"), 429, "rate-limited"
        )
        assert body["limit"]["name"] == "staff-sign-in-failures-per-address-per-hour"
    finally:
        await b.close()


async def test_the_enrolment_page_over_plain_http_elsewhere_says_to_use_https(client):
    r = await client.get("/staff/enrol", headers={"Host": "192.168.1.20:8080"})
    assert r.status == 403 and r.content_type == "text/html"
    text = await r.text()
    assert "https://" in text and "HTTPS" in text and "192.168.1.20:8080" in text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert (await client.get("/staff/enrol", headers={"Host": "localhost:8080"})).status == 200


async def test_an_authenticator_reset_link_sets_the_authenticator_and_nothing_else(
    client, settings, browser
):
    from kuaichu import staff_accounts

    await enrol(browser, await new_person(settings, "police", "officer-5"))
    conn = await connect(settings.database_url)
    try:
        done = await staff_accounts.reset(
            conn,
            _keyring(settings),
            staff_accounts.policy_from(settings),
            username="officer-5",
            password=False,
            totp=True,
            actor=("system", "cli:t"),
        )
    finally:
        await conn.close()
    info = await (
        await browser.call("POST", "/v1/staff/enrolment/open", json={"token": done["token"]})
    ).json()
    assert info["sets_totp"] and not info["sets_password"]
    code = pyotp.TOTP(info["totp_secret"]).now()
    r = await browser.call(
        "POST",
        "/v1/staff/enrolment",
        json={"token": done["token"], "password": "an attempt to change it", "totp_code": code},
    )
    assert r.status == 200 and (await r.json())["password_set"] is False
    await a_minute_passes(settings, "officer-5")
    await _problem(
        await sign_in(
            browser, "officer-5", info["totp_secret"], password="an attempt to change it"
        ),
        401,
        "staff-sign-in-failed",
    )
    await a_minute_passes(settings, "officer-5")
    assert (await sign_in(browser, "officer-5", info["totp_secret"])).status == 201


async def test_a_password_hashed_with_weaker_parameters_is_rehashed_at_sign_in(
    client, settings, browser
):
    from argon2 import PasswordHasher

    await enrol(browser, await new_person(settings, "coordinator", "coord-5"))
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await _sql(
        settings, "UPDATE staff SET password_hash = $1::text WHERE username = 'coord-5'", weak
    )
    assert (await sign_in(browser, "coord-5", None)).status == 201
    stored = (await _sql(settings, "SELECT password_hash FROM staff WHERE username = 'coord-5'"))[
        0
    ]["password_hash"]
    assert (
        stored.startswith("$argon2id$")
        and stored != weak
        and not PasswordHasher().check_needs_rehash(stored)
    )
    assert (await sign_in(browser, "coord-5", None)).status == 201  # and it still opens

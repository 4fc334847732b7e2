"""Sessions for browsers: a driver's phone login kept in an HttpOnly cookie, the other party confirming on the same
phone with their own code (one-phone mode), and staff sign-in with password and TOTP. See kuaichu.web_security
for the cookies and the Origin and anti-forgery checks."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from accident import identity
from kernel.errors import Forbidden
from kernel.identity import PhonePrincipal, StaffPrincipal
from kernel.masking import mask_phone
from kuaichu import staff_accounts
from kuaichu.api import (
    PHONE,
    PUBLIC,
    Route,
    credential,
    json_response,
    principal,
    read_model,
    staff,
)
from kuaichu.auth import TOKEN_CACHE
from kuaichu.intake import client_ip
from kuaichu.keys import SERVICES, SETTINGS
from kuaichu.web_security import (
    DRIVER_COOKIE,
    SECOND_PARTY_COOKIE,
    STAFF_COOKIE,
    check_origin,
    clear_cookie,
    set_cookie,
)
from schemas.auth import (
    BrowserSession,
    EnrolmentComplete,
    EnrolmentDone,
    EnrolmentInfo,
    EnrolmentOpen,
    StaffReset,
    StaffResetDone,
    StaffSession,
    StaffSessionEnded,
    StaffSignIn,
)
from schemas.identity import SessionCreate

ALL_STAFF = staff("police", "adjuster", "coordinator", "court", "admin", "supervisor")


def _from_a_page(request: web.Request) -> None:
    """Signing in from a browser: the page must be this service's, over https or on localhost."""
    if "Origin" in request.headers or request.cookies:
        check_origin(request, request.app[SETTINGS].public_base_url)


async def open_driver_session(request: web.Request) -> web.Response:
    _from_a_page(request)
    body = await read_model(request, SessionCreate)
    s = request.app[SERVICES]
    token, expires_at = await identity.sign_in(
        s.pool,
        keyring=s.keyring,
        policy=s.otp_policy,
        phone=body.phone,
        code=body.code,
        transport="cookie",
    )
    response = json_response(
        BrowserSession(
            acting="driver",
            csrf_token=s.keyring.csrf_token(token),
            expires_at=expires_at,
            phone_masked=mask_phone(body.phone),
        ),
        201,
    )
    set_cookie(response, DRIVER_COOKIE, token, expires_at=expires_at, now=datetime.now(UTC))
    if (
        SECOND_PARTY_COOKIE in request.cookies
    ):  # a new driver on this browser: the other party's session goes
        clear_cookie(response, SECOND_PARTY_COOKIE)
    return response


async def read_driver_session(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    cred = credential(request)
    if cred.cookie is None:
        raise Forbidden(
            "此接口供浏览器使用（以 Cookie 登录）", "This is for browsers signed in with a cookie"
        )
    s = request.app[SERVICES]
    async with s.pool.acquire() as conn:
        expires_at = await conn.fetchval(
            "SELECT expires_at FROM phone_sessions WHERE id = $1::uuid", who.session_id
        )
    return json_response(
        BrowserSession(
            acting="second-party" if cred.cookie == SECOND_PARTY_COOKIE else "driver",
            csrf_token=s.keyring.csrf_token(cred.token),
            expires_at=expires_at,
        ),
        headers={"Cache-Control": "no-store"},
    )


async def open_second_party_session(request: web.Request) -> web.Response:
    host = principal(request)
    assert isinstance(host, PhonePrincipal)
    if credential(request).cookie != DRIVER_COOKIE:
        raise Forbidden(
            "请在已登录的驾驶人手机浏览器上操作",
            "Do this in the browser the driver is signed in with",
        )
    body = await read_model(request, SessionCreate)
    s = request.app[SERVICES]
    phone_hash = await identity.verify_code(
        s.pool,
        keyring=s.keyring,
        policy=s.otp_policy,
        phone=body.phone,
        code=body.code,
        purpose="login",
    )
    token, expires_at = await identity.open_second_party_session(
        s.pool,
        keyring=s.keyring,
        host=host,
        phone_hash=phone_hash,
        ttl_s=request.app[SETTINGS].second_party_session_ttl_s,
    )
    response = json_response(
        BrowserSession(
            acting="second-party",
            csrf_token=s.keyring.csrf_token(token),
            expires_at=expires_at,
            phone_masked=mask_phone(body.phone),
        ),
        201,
    )
    set_cookie(response, SECOND_PARTY_COOKIE, token, expires_at=expires_at, now=datetime.now(UTC))
    return response


async def staff_sign_in(request: web.Request) -> web.Response:
    _from_a_page(request)
    body = await read_model(request, StaffSignIn)
    s = request.app[SERVICES]
    settings = request.app[SETTINGS]
    done = await staff_accounts.sign_in(
        s.pool,
        s.keyring,
        staff_accounts.policy_from(settings),
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
        ip=client_ip(request),
    )
    response = json_response(
        StaffSession(
            username=done["username"],
            display_name=done["display_name"],
            role=done["role"],
            jurisdiction=done["jurisdiction"],
            csrf_token=s.keyring.csrf_token(done["token"]),
            expires_at=done["expires_at"],
            idle_timeout_s=settings.staff_idle_s,
        ),
        201,
    )
    set_cookie(
        response, STAFF_COOKIE, done["token"], expires_at=done["expires_at"], now=datetime.now(UTC)
    )
    return response


def _signed_in(request: web.Request) -> StaffPrincipal:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    if who.session_id is None or credential(request).cookie != STAFF_COOKIE:
        raise Forbidden(
            "此接口供已登录工作台的员工使用（系统令牌无会话）",
            "This is for staff signed in to the workbench (a system token has no session)",
        )
    return who


async def read_staff_session(request: web.Request) -> web.Response:
    who = _signed_in(request)
    s = request.app[SERVICES]
    row = await staff_accounts.session_info(s.pool, session_id=who.session_id)  # type: ignore[arg-type]
    assert row is not None
    return json_response(
        StaffSession(
            username=row["username"],
            display_name=row["display_name"],
            role=row["role"],
            jurisdiction=list(row["jurisdiction"]) if row["jurisdiction"] is not None else None,
            csrf_token=s.keyring.csrf_token(credential(request).token),
            expires_at=row["expires_at"],
            idle_timeout_s=request.app[SETTINGS].staff_idle_s,
        ),
        headers={"Cache-Control": "no-store"},
    )


async def staff_sign_out(request: web.Request) -> web.Response:
    who = _signed_in(request)
    s = request.app[SERVICES]
    ended = await staff_accounts.sign_out(s.pool, staff_id=who.staff_id, session_id=who.session_id)  # type: ignore[arg-type]
    request.app[TOKEN_CACHE].forget(s.keyring.token_hash(credential(request).token))
    response = json_response(StaffSessionEnded(ended=ended))
    clear_cookie(response, STAFF_COOKIE)
    return response


async def open_enrolment(request: web.Request) -> web.Response:
    _from_a_page(request)
    body = await read_model(request, EnrolmentOpen)
    s = request.app[SERVICES]
    info = await staff_accounts.open_enrolment(s.pool, s.keyring, token=body.token)
    return json_response(EnrolmentInfo(**info), headers={"Cache-Control": "no-store"})


async def complete_enrolment(request: web.Request) -> web.Response:
    _from_a_page(request)
    body = await read_model(request, EnrolmentComplete)
    s = request.app[SERVICES]
    done = await staff_accounts.complete_enrolment(
        s.pool, s.keyring, token=body.token, password=body.password, totp_code=body.totp_code
    )
    return json_response(EnrolmentDone(**done))


async def reset_staff(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    body = await read_model(request, StaffReset)
    s = request.app[SERVICES]
    settings = request.app[SETTINGS]
    async with s.pool.acquire() as conn:
        done = await staff_accounts.reset(
            conn,
            s.keyring,
            staff_accounts.policy_from(settings),
            username=request.match_info["username"],
            password=body.password,
            totp=body.totp,
            actor=who.actor,
        )
    assert settings.public_base_url
    return json_response(
        StaffResetDone(
            username=request.match_info["username"],
            enrolment_url=staff_accounts.enrolment_url(settings.public_base_url, done["token"]),
            expires_at=done["expires_at"],
            sessions_ended=done["sessions_ended"],
        ),
        headers={"Cache-Control": "no-store"},
    )


_COOKIE_NOTE = (
    " The answer sets an HttpOnly, Secure cookie and carries no credential a script could read; a page "
    "must come from this service (`Origin`), over https or on localhost (a plain-http origin elsewhere "
    "→ 403 `insecure-transport`)."
)
_CSRF_NOTE = (
    " With a cookie, send `Origin` and `X-CSRF-Token` (403 `origin-refused` / `csrf-token-invalid` "
    "otherwise)."
)

ROUTES = [
    Route(
        "POST",
        "/v1/auth/browser-session",
        open_driver_session,
        "Sign a driver in on this browser with phone + SMS code: the session goes into the HttpOnly cookie "
        "`__Host-kuaichu-driver` (SameSite=Lax), and the answer gives its anti-forgery token. Every API route "
        "that takes a phone session takes this cookie instead of a bearer token. `POST /v1/auth/logout` ends "
        "it (and the other party's session on this phone)." + _COOKIE_NOTE,
        auth=(PUBLIC,),
        tag="identity",
        body=SessionCreate,
        responses={201: BrowserSession},
        errors=(403, 410, 429),
    ),
    Route(
        "GET",
        "/v1/auth/browser-session",
        read_driver_session,
        "The cookie session of this browser and its anti-forgery token (for a page loaded later); with "
        "`X-Acting-As: second-party`, the other party's session on this phone",
        auth=(PHONE,),
        tag="identity",
        responses={200: BrowserSession},
    ),
    Route(
        "POST",
        "/v1/auth/browser-session/second-party",
        open_second_party_session,
        "One-phone mode: the other party confirms on this driver's phone. They enter their own number and the "
        "code texted to it; they get a session of their own in the cookie `__Host-kuaichu-second-party`, used "
        "by a request only when it says `X-Acting-As: second-party` and carries that session's anti-forgery "
        "token. It reaches only the reports both phones are party to (join with the share code, review, "
        "accept or dispute, sign with their own signing code), ends with this driver's session, after "
        "`KUAICHU_SECOND_PARTY_SESSION_TTL_S` (30 min), or by `POST /v1/auth/logout` with the same header; a "
        "new one replaces it. The driver's own session never acts as the other party: it has no credential of "
        "theirs. Needs the driver's cookie session (not a bearer token)." + _CSRF_NOTE,
        auth=(PHONE,),
        tag="identity",
        body=SessionCreate,
        responses={201: BrowserSession},
        errors=(409, 410, 429),
    ),
    Route(
        "POST",
        "/v1/staff/session",
        staff_sign_in,
        "Staff sign-in: username, password and (police, supervisor, admin; anyone who set one up) the "
        "authenticator code. The session goes into the HttpOnly cookie `__Host-kuaichu-staff` "
        "(SameSite=Strict); it ends 12 h after sign-in, after 30 min without a request, at sign-out, and when "
        "the account is reset or deactivated (within a second). 5 failed sign-ins in a row lock the account "
        "for 15 min (429 `staff-account-locked`, Retry-After). Every staff route takes this cookie instead of "
        "a bearer token (bearer tokens remain for system clients)." + _COOKIE_NOTE,
        auth=(PUBLIC,),
        tag="staff-sign-in",
        body=StaffSignIn,
        responses={201: StaffSession},
        errors=(401, 403, 429),
    ),
    Route(
        "GET",
        "/v1/staff/session",
        read_staff_session,
        "The signed-in staff member, the session's end and its anti-forgery token",
        auth=ALL_STAFF,
        tag="staff-sign-in",
        responses={200: StaffSession},
    ),
    Route(
        "DELETE",
        "/v1/staff/session",
        staff_sign_out,
        "Sign out: the session ends in every process within a second and the cookie is cleared."
        + _CSRF_NOTE,
        auth=ALL_STAFF,
        tag="staff-sign-in",
        responses={200: StaffSessionEnded},
    ),
    Route(
        "POST",
        "/v1/staff/enrolment/open",
        open_enrolment,
        "What a one-time enrolment link sets (password, authenticator) and the TOTP secret it offers, as text "
        "and as an otpauth:// URI; opening it again shows the same secret",
        auth=(PUBLIC,),
        tag="staff-sign-in",
        body=EnrolmentOpen,
        responses={200: EnrolmentInfo},
        errors=(403, 410),
    ),
    Route(
        "POST",
        "/v1/staff/enrolment",
        complete_enrolment,
        "Set the password (at least 12 characters) and confirm the authenticator with a current code, as the "
        "link says; the link is spent and every session of the account ends",
        auth=(PUBLIC,),
        tag="staff-sign-in",
        body=EnrolmentComplete,
        responses={200: EnrolmentDone},
        errors=(403, 410),
    ),
    Route(
        "POST",
        "/v1/admin/staff/{username}/reset",
        reset_staff,
        "Reset a staff member's password and/or authenticator: they stop working at once, every session of "
        "the account ends, and the answer carries a new one-time link (24 h) for the person (audited)."
        + _CSRF_NOTE,
        auth=staff("admin"),
        tag="staff-sign-in",
        body=StaffReset,
        responses={200: StaffResetDone},
    ),
]

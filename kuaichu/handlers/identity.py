"""Phone login by one-time code, the driver's own reports, and the privacy notice."""

from __future__ import annotations

from aiohttp import web

from accident import identity
from accident.participation import my_reports
from accident.privacy import NOTICE_EN, NOTICE_VERSION, NOTICE_ZH
from kernel.identity import PhonePrincipal
from kernel.masking import mask_phone
from kuaichu.api import PHONE, PUBLIC, Route, credential, json_response, principal, read_model
from kuaichu.auth import TOKEN_CACHE
from kuaichu.intake import client_ip
from kuaichu.keys import SERVICES
from kuaichu.web_security import DRIVER_COOKIE, SECOND_PARTY_COOKIE, clear_cookie
from schemas.identity import (
    MyReports,
    OtpRequest,
    OtpSent,
    PrivacyNotice,
    SessionCreate,
    SessionCreated,
    SessionsEnded,
)


async def request_otp(request: web.Request) -> web.Response:
    body = await read_model(request, OtpRequest)
    s = request.app[SERVICES]
    challenge_id, expires_at = await identity.request_login_code(
        s.pool,
        keyring=s.keyring,
        sender=s.sms,
        policy=s.otp_policy,
        phone=body.phone,
        ip=client_ip(request),
    )
    return json_response(
        OtpSent(
            challenge_id=str(challenge_id),
            expires_at=expires_at,
            phone_masked=mask_phone(body.phone),
        ),
        202,
    )


async def create_session(request: web.Request) -> web.Response:
    body = await read_model(request, SessionCreate)
    s = request.app[SERVICES]
    token, expires_at = await identity.sign_in(
        s.pool, keyring=s.keyring, policy=s.otp_policy, phone=body.phone, code=body.code
    )
    return json_response(SessionCreated(session_token=token, expires_at=expires_at), 201)


async def logout(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    s = request.app[SERVICES]
    ended = await identity.end_sessions(s.pool, who=who, others=False)
    cred = credential(request)
    request.app[TOKEN_CACHE].forget(
        s.keyring.token_hash(cred.token)
    )  # other processes: within auth_cache_ttl_s
    response = json_response(SessionsEnded(ended=ended))
    if (
        cred.cookie is not None
    ):  # a browser: its cookie goes, and with the driver's, the other party's session
        clear_cookie(response, cred.cookie)
        if cred.cookie == DRIVER_COOKIE and SECOND_PARTY_COOKIE in request.cookies:
            clear_cookie(response, SECOND_PARTY_COOKIE)
    return response


async def end_other_sessions(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    return json_response(
        SessionsEnded(
            ended=await identity.end_sessions(request.app[SERVICES].pool, who=who, others=True)
        )
    )


async def list_my_reports(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, PhonePrincipal)
    return json_response(await my_reports(request.app[SERVICES].intake, who=who))


async def privacy_notice(request: web.Request) -> web.Response:
    return json_response(PrivacyNotice(version=NOTICE_VERSION, zh=NOTICE_ZH, en=NOTICE_EN))


ROUTES = [
    Route(
        "POST",
        "/v1/auth/otp",
        request_otp,
        "Text a 6-digit login code to a phone",
        auth=(PUBLIC,),
        tag="identity",
        body=OtpRequest,
        responses={202: OtpSent},
        errors=(429, 503),
    ),
    Route(
        "POST",
        "/v1/auth/session",
        create_session,
        "Exchange phone + code for a session reaching all my reports",
        auth=(PUBLIC,),
        tag="identity",
        body=SessionCreate,
        responses={201: SessionCreated},
        errors=(410, 429),
    ),
    Route(
        "POST",
        "/v1/auth/logout",
        logout,
        "End this phone session (the phone's other sessions and party tokens "
        "keep working). A browser's cookie session ends the same way and its cookie is cleared; the driver's "
        "also ends the other party's session on that phone; with `X-Acting-As: second-party` only the other "
        "party's ends",
        auth=(PHONE,),
        tag="identity",
        responses={200: SessionsEnded},
    ),
    Route(
        "POST",
        "/v1/auth/sessions/end-others",
        end_other_sessions,
        "End every other session of this phone "
        "(e.g. a lost phone); this one and party tokens keep working",
        auth=(PHONE,),
        tag="identity",
        responses={200: SessionsEnded},
    ),
    Route(
        "GET",
        "/v1/me/reports",
        list_my_reports,
        "Every report my phone is party to",
        auth=(PHONE,),
        tag="identity",
        responses={200: MyReports},
    ),
    Route(
        "GET",
        "/v1/privacy-notice",
        privacy_notice,
        "The privacy notice parties consent to (versioned)",
        auth=(PUBLIC,),
        tag="identity",
        responses={200: PrivacyNotice},
    ),
]

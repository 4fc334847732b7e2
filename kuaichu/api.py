"""Routes declared once, with their auth and models: the router, the auth check and OpenAPI all read them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import pydantic
from aiohttp import web

from kernel import jsonenc
from kernel.errors import DomainError, Forbidden, Unauthenticated
from kernel.identity import (
    InsurerPrincipal,
    PartyPrincipal,
    PhonePrincipal,
    Principal,
    StaffPrincipal,
)
from kuaichu.keys import SERVICES, SETTINGS
from kuaichu.web_security import (
    SECOND_PARTY_COOKIE,
    STAFF_COOKIE,
    Credential,
    check_csrf,
    chosen_cookie,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=pydantic.BaseModel)

PUBLIC = "public"
PARTY = "party"  # a party token, or a phone session (the service checks it is party to the report)
PHONE = "phone"  # a phone session only
INSURER = "insurer"  # an insurer's system credential (the service checks the claim is its own)


def staff(*roles: str) -> tuple[str, ...]:
    """Route rule: staff of these roles (e.g. `auth=staff("supervisor", "admin")` for read-only aggregates)."""
    return tuple(f"staff:{r}" for r in roles)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    auth: tuple[str, ...]
    tag: str
    body: type[pydantic.BaseModel] | None = None
    responses: dict[int, type[pydantic.BaseModel] | None] = field(default_factory=dict)
    query: type[pydantic.BaseModel] | None = None
    multipart: dict[str, Any] | None = None  # OpenAPI schema of a multipart/form-data body
    raw_response: dict[int, str] | None = None  # status -> media type of a non-JSON body
    idempotent: bool = False  # honours Idempotency-Key
    errors: tuple[int, ...] = ()
    description: str | None = None  # longer OpenAPI text (a protocol, say), after the summary
    headers: tuple[dict[str, Any], ...] = ()  # OpenAPI parameter objects of request headers
    raw_body: dict[str, dict[str, Any]] | None = (
        None  # media type -> schema of a non-JSON, non-form body
    )
    response_headers: dict[int, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # status -> headers


class MalformedJSON(DomainError):
    code = "malformed-json"
    kind = "bad_request"
    title_zh = "请求内容不是有效的 JSON"
    title_en = "The request body is not valid JSON"


class UnsupportedMediaType(DomainError):
    code = "unsupported-media-type"
    kind = "unsupported"
    title_zh = "请求内容类型不受支持"
    title_en = "Unsupported content type"


PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", object)  # type: ignore[arg-type]
RAW_BODY: web.RequestKey[bytes] = web.RequestKey("raw_body", bytes)
CREDENTIAL: web.RequestKey[Credential] = web.RequestKey("credential", Credential)


def principal(request: web.Request) -> Principal:
    return request[PRINCIPAL]


def _json_only(request: web.Request) -> None:
    ctype = request.content_type
    if ctype not in ("application/json", "application/problem+json") and not ctype.endswith(
        "+json"
    ):
        raise UnsupportedMediaType(
            f"请以 application/json 发送（当前：{ctype or '无'}）",
            f"Send application/json (got {ctype or 'none'})",
        )


async def read_model(request: web.Request, model: type[M]) -> M:
    """Parse a JSON body into `model`; malformed JSON → 400-class problem, bad fields → 422 with pointers."""
    _json_only(request)
    limit = request.app[SETTINGS].max_json_bytes
    if (request.content_length or 0) > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    raw = await request.read()
    if len(raw) > limit:  # chunked bodies carry no Content-Length
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(raw))
    return parse_model(request, raw, model)


def parse_model(request: web.Request, raw: bytes, model: type[M]) -> M:
    """`read_model` for a body the handler has already read (and limited) itself."""
    _json_only(request)
    request[RAW_BODY] = raw
    try:
        return model.model_validate_json(raw)
    except pydantic.ValidationError as exc:
        broken = [e for e in exc.errors(include_url=False) if e["type"] == "json_invalid"]
        if broken:
            raise MalformedJSON(
                "请求内容不是有效的 JSON，请检查后重试",
                f"The request body is not valid JSON: {broken[0]['msg']}",
            ) from None
        raise


def json_response(
    model: pydantic.BaseModel | dict | list | bytes, status: int = 200, **kw: Any
) -> web.Response:
    """A model, plain data (see kernel.jsonenc), or JSON bytes already encoded (e.g. a stored answer)."""
    if isinstance(model, pydantic.BaseModel):
        body = model.model_dump_json(by_alias=True).encode()
    elif isinstance(model, bytes):
        body = model
    else:
        body = jsonenc.dumps(model)
    return web.Response(status=status, body=body, content_type="application/json", **kw)


def bearer_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


Authenticator = Callable[[web.Request, str], Awaitable[Principal | None]]


def _allowed(principal_: Principal, auth: tuple[str, ...]) -> bool:
    for rule in auth:
        if rule == PARTY and isinstance(principal_, PartyPrincipal | PhonePrincipal):
            return True
        if rule == PHONE and isinstance(principal_, PhonePrincipal):
            return True
        if rule == INSURER and isinstance(principal_, InsurerPrincipal):
            return True
        if (
            rule.startswith("staff:")
            and isinstance(principal_, StaffPrincipal)
            and principal_.role == rule[6:]
        ):
            return True
    return False


def credential(request: web.Request) -> Credential:
    """The credential the request was authenticated with (a bearer token, or a cookie and which)."""
    return request[CREDENTIAL]


def _cookie_fits(name: str, who: Principal) -> bool:
    """Each cookie holds one kind of session: a driver's own, a second party's on this phone, a staff sign-in."""
    if name == STAFF_COOKIE:
        return isinstance(who, StaffPrincipal) and who.session_id is not None
    if name == SECOND_PARTY_COOKIE:
        return isinstance(who, PhonePrincipal) and who.host_phone_hash is not None
    return isinstance(who, PhonePrincipal) and who.host_phone_hash is None


def guarded(route: Route, authenticate: Authenticator) -> Handler:
    """Wrap a handler so that it only runs for a principal its route allows.

    The credential is a bearer token, or else a session cookie (kuaichu.web_security): with a cookie, a
    state-changing method also needs a matching Origin and the cookie's X-CSRF-Token.
    """
    if PUBLIC in route.auth:
        return route.handler
    staff_route = any(rule.startswith("staff:") for rule in route.auth)

    async def handler(request: web.Request) -> web.StreamResponse:
        token = bearer_token(request)
        cred = Credential(token) if token is not None else None
        if cred is None:
            cookie = chosen_cookie(request, staff_first=staff_route)
            if cookie is not None:
                cred = Credential(request.cookies[cookie], cookie)
        if cred is None:
            raise Unauthenticated("请先登录（缺少凭证）", "Missing bearer credentials")
        check_csrf(
            request, request.app[SERVICES].keyring, cred, request.app[SETTINGS].public_base_url
        )
        who = await authenticate(request, cred.token)
        if who is None or (cred.cookie is not None and not _cookie_fits(cred.cookie, who)):
            raise Unauthenticated("凭证无效或已过期，请重新登录", "Invalid or expired credentials")
        if not _allowed(who, route.auth):
            raise Forbidden(
                "您的账号无权使用此功能", "Your credentials do not allow this operation"
            )
        request[PRINCIPAL] = who
        request[CREDENTIAL] = cred
        return await route.handler(request)

    return handler


def for_browser(request: web.Request, data: dict[str, Any] | bytes) -> dict[str, Any] | bytes:
    """An answer as a cookie-authenticated browser gets it: without the bearer credential it may carry
    (`party_token`), which a script would otherwise read; API clients get it as it is."""
    cred = request.get(CREDENTIAL)
    if cred is None or cred.cookie is None:
        return data
    obj = orjson.loads(data) if isinstance(data, bytes) else data
    if isinstance(obj, dict) and obj.get("party_token"):
        return {**obj, "party_token": None}
    return data


def require_staff(request: web.Request, *roles: str) -> StaffPrincipal:
    """The staff member acting, if their role is one of `roles`; otherwise 403. For handlers whose route admits
    several kinds of caller, and for checks finer than the route's (e.g. a supervisor's read-only views)."""
    who = request.get(PRINCIPAL)
    if not isinstance(who, StaffPrincipal) or who.role not in roles:
        raise Forbidden("您的账号无权使用此功能", "Your credentials do not allow this operation")
    return who


def staff_zones(who: StaffPrincipal) -> tuple[str, ...] | None:
    """The zones (counties) a staff member's views cover: None for an admin (all of them), else the account's
    jurisdiction (empty when none is set: such an account sees nothing)."""
    if who.role == "admin":
        return None
    return who.jurisdiction or ()

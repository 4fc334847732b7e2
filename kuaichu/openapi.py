"""OpenAPI 3.1 document generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kuaichu.api import PARTY, PHONE, PUBLIC, Route
from kuaichu.web_security import (
    ACTING,
    ACTING_HEADER,
    CSRF_HEADER,
    DRIVER_COOKIE,
    SAFE_METHODS,
    SECOND_PARTY_COOKIE,
    STAFF_COOKIE,
)
from schemas.problem import Problem

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^}]*)?\}")


COOKIE_SCHEMES = {
    "driverCookie": (
        DRIVER_COOKIE,
        "A driver signed in on this browser (POST /v1/auth/browser-session); HttpOnly",
    ),
    "secondPartyCookie": (
        SECOND_PARTY_COOKIE,
        "The other party confirming on this phone (POST "
        "/v1/auth/browser-session/second-party); used only with `X-Acting-As: second-party`",
    ),
    "staffCookie": (
        STAFF_COOKIE,
        "A staff member signed in to the workbench (POST /v1/staff/session); HttpOnly",
    ),
}


def _cookie_security(auth: tuple[str, ...]) -> list[dict[str, list[str]]]:
    out = []
    if PARTY in auth or PHONE in auth:
        out += [{"driverCookie": []}, {"secondPartyCookie": []}]
    if any(rule.startswith("staff:") for rule in auth):
        out.append({"staffCookie": []})
    return out


def _browser_headers(route: Route) -> list[dict[str, Any]]:
    """The headers a browser authenticated by cookie sends (ignored with a bearer token)."""
    if not _cookie_security(route.auth):
        return []
    params: list[dict[str, Any]] = [
        {
            "name": ACTING_HEADER,
            "in": "header",
            "required": False,
            "description": "with cookies only: which cookie acts (driver, second-party, staff); default: the staff "
            "cookie on a staff route, else the driver's",
            "schema": {"type": "string", "enum": sorted(ACTING)},
        }
    ]
    if route.method not in SAFE_METHODS:
        params.append(
            {
                "name": CSRF_HEADER,
                "in": "header",
                "required": False,
                "description": "required with a cookie (with this service's Origin): the csrf_token of the cookie's "
                "session endpoint; 403 csrf-token-invalid / origin-refused otherwise",
                "schema": {"type": "string"},
            }
        )
    return params


def _parameters(r: Route) -> list[dict[str, Any]]:
    """Path parameters, the query model's fields, Idempotency-Key where the route honours it, and the route's
    own request headers."""
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in _PARAM.findall(r.path)
    ]
    if r.query is not None:
        schema = r.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    if r.idempotent:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retries with the same key and body get the first answer; a different body → 422.",
                "schema": {"type": "string", "maxLength": 200},
            }
        )
    return params + [dict(h, **{"in": "header"}) for h in r.headers]


def _request_body(
    r: Route, ref: Callable[[type[BaseModel]], dict[str, str]]
) -> dict[str, Any] | None:
    """A JSON body by its model, a multipart form, or raw bytes (one schema per media type)."""
    if r.body is not None:
        return {"required": True, "content": {"application/json": {"schema": ref(r.body)}}}
    if r.multipart is not None:
        return {"required": True, "content": {"multipart/form-data": {"schema": r.multipart}}}
    if r.raw_body is not None:
        return {"required": True, "content": {m: {"schema": sc} for m, sc in r.raw_body.items()}}
    return None


def _answers(r: Route, ref: Callable[[type[BaseModel]], dict[str, str]]) -> dict[str, Any]:
    """The route's successful answers: JSON models, raw media types, and the headers they carry."""
    answers: dict[str, Any] = {}
    for status, model in r.responses.items():
        entry: dict[str, Any] = {"description": "OK" if status < 300 else "Result"}
        if model is not None:
            entry["content"] = {"application/json": {"schema": ref(model)}}
        answers[str(status)] = entry
    for status, media in (
        r.raw_response or {}
    ).items():  # beside a JSON model of the same status, if any
        answers.setdefault(str(status), {"description": "OK"}).setdefault("content", {})[media] = {}
    for status, headers in r.response_headers.items():
        answers.setdefault(str(status), {"description": "OK"})["headers"] = headers
    return answers


def build_openapi(routes: list[Route], *, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for r in routes:
        for m in (r.body, r.query, *r.responses.values()):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, top = models_json_schema(
        [(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}"
    )
    defs = top.get("$defs", {})

    def _ref(model: type[BaseModel]) -> dict[str, str]:
        return dict(refs[(model, "validation")])

    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        path = _PARAM.sub(r"{\1}", r.path)
        op: dict[str, Any] = {
            "operationId": r.handler.__module__.rsplit(".", 1)[-1] + "_" + r.handler.__name__,
            "summary": r.summary,
            "tags": [r.tag],
            "responses": {},
        }
        if r.description:
            op["description"] = r.description
        params = _parameters(r)
        if params:
            op["parameters"] = params
        body = _request_body(r, _ref)
        if body is not None:
            op["requestBody"] = body
        op["responses"] = _answers(r, _ref)
        problem = {"content": {"application/problem+json": {"schema": _ref(Problem)}}}
        error_codes = set(r.errors) | {500}
        if (
            r.body is not None
            or r.multipart is not None
            or r.raw_body is not None
            or r.query is not None
        ):
            error_codes |= {400, 413, 415, 422}
        if PUBLIC not in r.auth:
            error_codes |= {401, 403, 404}
            op["security"] = [{"bearer": []}, *_cookie_security(r.auth)]
            op.setdefault("parameters", []).extend(_browser_headers(r))
        for code in sorted(error_codes):
            op["responses"].setdefault(str(code), {"description": "Problem", **problem})
        paths.setdefault(path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kuaichu (快处) — minor road accidents, handled online",
            "version": version,
            "description": (
                "Coordinates are WGS-84 unless a request says otherwise (`crs: gcj02`). "
                "Errors are application/problem+json (RFC 9457) with Chinese and English texts."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                **{
                    name: {"type": "apiKey", "in": "cookie", "name": cookie, "description": text}
                    for name, (cookie, text) in COOKIE_SCHEMES.items()
                },
            },
        },
    }

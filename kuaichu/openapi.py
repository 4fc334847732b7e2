"""OpenAPI 3.1 document generated from the route table and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kuaichu.api import PUBLIC, Route
from schemas.problem import Problem

_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^}]*)?\}")


def _parameters(r: Route) -> list[dict[str, Any]]:
    """Path parameters, the query model's fields, and Idempotency-Key where the route honours it."""
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in _PARAM.findall(r.path)
    ]
    if r.query is not None:
        schema = r.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
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
    return params


def build_openapi(routes: list[Route], *, version: str) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for r in routes:
        for m in (r.body, r.query, *r.responses.values()):
            if m is not None:
                models.add(m)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, top = models_json_schema([(m, "validation") for m in ordered], ref_template="#/components/schemas/{model}")
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
        params = _parameters(r)
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(r.body)}}}
        elif r.multipart is not None:
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": r.multipart}}}
        for status, model in r.responses.items():
            entry: dict[str, Any] = {"description": "OK" if status < 300 else "Result"}
            if model is not None:
                entry["content"] = {"application/json": {"schema": _ref(model)}}
            op["responses"][str(status)] = entry
        for status, media in (r.raw_response or {}).items():  # beside a JSON model of the same status, if any
            op["responses"].setdefault(str(status), {"description": "OK"}).setdefault("content", {})[media] = {}
        problem = {"content": {"application/problem+json": {"schema": _ref(Problem)}}}
        error_codes = set(r.errors) | {500}
        if r.body is not None or r.multipart is not None or r.query is not None:
            error_codes |= {400, 413, 415, 422}
        if PUBLIC not in r.auth:
            error_codes |= {401, 403, 404}
            op["security"] = [{"bearer": []}]
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
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

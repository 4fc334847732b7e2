"""The service skeleton: health, the OpenAPI document, problem+json for aiohttp's own errors, request ids."""

from __future__ import annotations

import io
import re

from kuaichu.routes import all_routes


async def test_health_reports_ok_once_the_database_answers_and_migrations_ran(client):
    r = await client.get("/healthz")
    assert r.status == 200
    data = await r.json()
    assert data["status"] == "ok" and data["database"] == "ok" and data["schema_version"] >= 1


async def test_the_openapi_document_describes_every_route_with_its_models(client):
    r = await client.get("/v1/openapi.json")
    doc = await r.json()
    assert doc["openapi"].startswith("3.1")
    for route in all_routes():
        path = re.sub(r"\{([a-zA-Z_]+)(?::[^}]*)?\}", r"{\1}", route.path)
        op = doc["paths"][path][route.method.lower()]
        if route.body is not None:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[-1] in doc["components"]["schemas"]
        for status, model in route.responses.items():
            if model is not None:
                assert (
                    "$ref" in op["responses"][str(status)]["content"]["application/json"]["schema"]
                )
    create = doc["paths"]["/v1/reports"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert create["security"] == [{"bearer": []}, {"driverCookie": []}, {"secondPartyCookie": []}]


async def test_unknown_paths_and_wrong_methods_are_problems_too(client):
    r = await client.get("/v1/nowhere")
    assert r.status == 404 and r.content_type == "application/problem+json"
    assert (await r.json())["type"] == "/problems/not-found"
    r = await client.delete("/healthz")
    assert r.status == 405 and r.content_type == "application/problem+json"
    assert "GET" in r.headers["Allow"]


async def test_an_oversize_json_body_is_a_413_problem(client, settings):
    big = io.BytesIO(b"{" + b" " * (settings.max_json_bytes + 1) + b"}")
    r = await client.post(
        "/v1/eligibility/check", data=big, headers={"Content-Type": "application/json"}
    )
    assert r.status == 413 and (await r.json())["type"] == "/problems/payload-too-large"


async def test_every_answer_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    r = await client.get("/healthz", headers={"X-Request-Id": "phone-retry-42"})
    assert r.headers["X-Request-Id"] == "phone-retry-42"
    r = await client.get("/v1/nowhere", headers={"X-Request-Id": "bad id\twith\ttabs"})
    rid = r.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", rid) and (await r.json())["request_id"] == rid

"""Who may call each workbench endpoint: a page never shows what the API refuses. Every new endpoint is called
without credentials (401), with a driver's token and with staff of a role it does not serve (403)."""

from __future__ import annotations

import uuid

from tests.api.evidence import staff_token
from tests.api.fault_steps import police, report_with_parties
from tests.api.flows import bearer
from tests.integration.assessment_setup import token_of

NIL = str(uuid.uuid4())
ADMIN_ONLY = [
    ("GET", "/v1/admin/outbox/health", None),
    ("GET", "/v1/admin/insurers/PICC/webhook/secrets", None),
    ("POST", "/v1/admin/insurers/PICC/webhook/secrets", {"overlap_hours": 1}),
    ("GET", "/v1/admin/reference/versions", None),
    ("GET", "/v1/admin/runtime", None),
    ("GET", "/v1/admin/staff", None),
    ("POST", "/v1/admin/staff", {"username": "x", "role": "admin"}),
    ("PUT", "/v1/admin/staff/x/jurisdiction", {"zones": ["zj-330102"]}),
    ("POST", "/v1/admin/staff/x/deactivate", None),
]
OVERSIGHT = [  # admins and police (supervisors once the role exists)
    ("GET", "/v1/supervision/counties", None),
    ("GET", "/v1/inquiries", None),
    ("GET", f"/v1/police/reviews/{NIL}", None),
    ("GET", "/v1/police/articles", None),
]
ASSESSORS = [("GET", "/v1/assessment/zones", None)]


async def _call(client, method: str, path: str, body, headers: dict[str, str]) -> int:
    r = await client.request(method, path, json=body, headers=headers)
    return r.status


async def test_without_credentials_every_workbench_endpoint_answers_401(client):
    for method, path, body in ADMIN_ONLY + OVERSIGHT + ASSESSORS:
        assert await _call(client, method, path, body, {}) == 401, (method, path)


async def test_each_endpoint_refuses_the_roles_it_does_not_serve(client, settings):
    case = await report_with_parties(client, settings)
    driver = bearer(case.tokens["A"])
    officer = await police(settings)
    coordinator = await token_of(client, settings, "coord.tonglu.1")
    admin = bearer(await staff_token(settings, "admin"))
    for method, path, body in ADMIN_ONLY:
        for who in (driver, officer, coordinator):
            assert await _call(client, method, path, body, who) == 403, (method, path)
    for method, path, body in OVERSIGHT:
        for who in (driver, coordinator):
            assert await _call(client, method, path, body, who) == 403, (method, path)
        assert await _call(client, method, path, body, officer) in (200, 404), (method, path)
        assert await _call(client, method, path, body, admin) in (200, 404), (method, path)
    for method, path, body in ASSESSORS:
        for who in (driver, officer, admin):
            assert await _call(client, method, path, body, who) == 403, (method, path)
    answer = f"/v1/inquiries/{NIL}/answer"
    assert await _call(client, "POST", answer, {"text": "答复"}, coordinator) == 403
    assert await _call(client, "POST", answer, {"text": "答复"}, driver) == 403
    assert await _call(client, "POST", answer, {"text": "答复"}, officer) == 404
    inquiries = f"/v1/reports/{case.report_id}/inquiries"
    assert (
        await _call(client, "POST", inquiries, {"kind": "question", "text": "问"}, officer) == 403
    )
    assert await _call(client, "GET", inquiries, None, coordinator) == 403

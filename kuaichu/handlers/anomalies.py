"""Anomaly signals for police (their jurisdiction) and admins (accident/anomalies.py)."""

from __future__ import annotations

from aiohttp import web

from accident.anomalies import staff_flags
from kernel.identity import StaffPrincipal
from kuaichu.api import Route, json_response, principal, staff
from kuaichu.keys import SERVICES
from schemas.anomalies import AnomalyList


async def list_anomalies(request: web.Request) -> web.Response:
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    async with request.app[SERVICES].pool.acquire() as conn:
        flags = await staff_flags(conn, staff_id=who.staff_id)
    return json_response(AnomalyList.model_validate({"flags": flags}))


ROUTES = [
    Route(
        "GET",
        "/v1/police/anomalies",
        list_anomalies,
        "Anomaly signals for review (a photo nearly the same as another report's), newest first, with evidence",
        auth=staff("police", "admin"),
        tag="police-review",
        responses={200: AnomalyList},
    ),
]

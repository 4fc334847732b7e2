"""Supervision aggregates per county, as JSON or as a CSV download: admins see every county, police (and
supervisors, once that role exists) the counties of their jurisdiction."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from accident import supervision
from kernel.identity import StaffPrincipal
from kernel.local_time import BEIJING
from kernel.staff_accounts import zones_overseen
from kuaichu.api import Route, json_response, principal, staff
from kuaichu.keys import SERVICES
from schemas.supervision import CountyAggregates, SupervisionQuery


def wants_csv(request: web.Request, q: SupervisionQuery) -> bool:
    if q.format is not None:
        return q.format == "csv"
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept and "application/json" not in accept


async def by_county(request: web.Request) -> web.Response:
    q = SupervisionQuery.model_validate(dict(request.query))
    who = principal(request)
    assert isinstance(who, StaffPrincipal)
    until = q.until or datetime.now(BEIJING).date()
    since = q.since or until - timedelta(days=29)
    if since > until:
        since = until
    s = request.app[SERVICES]
    async with s.pool.acquire() as conn:
        zones = await zones_overseen(conn, staff_id=who.staff_id, role=who.role)
        data = await supervision.by_county(
            conn, zones=zones, since=since, until=until, review_sla_s=s.settings.police_review_sla_s
        )
    if wants_csv(request, q):
        name = f"kuaichu-counties-{since.isoformat()}-{until.isoformat()}.csv"
        return web.Response(
            body=supervision.as_csv(data),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return json_response(CountyAggregates.model_validate(data))


ROUTES = [
    Route(
        "GET",
        "/v1/supervision/counties",
        by_county,
        "Per county for a period: cases, deadline breaches, time from report to agreement (distribution), "
        "disputes, court deliveries, complaints about assessors and insurers; JSON, or CSV with "
        "Accept: text/csv or ?format=csv",
        auth=staff("admin", "police", "supervisor"),
        tag="supervision",
        query=SupervisionQuery,
        responses={200: CountyAggregates},
        raw_response={200: "text/csv"},
    ),
]

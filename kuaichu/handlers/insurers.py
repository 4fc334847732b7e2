"""The public list of insurers; for operators, each insurer's webhook endpoint state (disabled after a 410,
queue counts) and re-enabling it."""

from __future__ import annotations

import hashlib

from aiohttp import web

from claims import endpoints
from geo import repository as reference
from kernel import jsonenc
from kernel.errors import NotFound
from kuaichu.api import PUBLIC, Route, json_response, principal, staff
from kuaichu.keys import SERVICES
from schemas.insurers import InsurerList, InsurerWebhookList, InsurerWebhookState, WebhookEnabled

# The list changes only when reference data is loaded: clients and proxies may keep it for five minutes and
# revalidate with the ETag afterwards.
INSURERS_CACHE = "public, max-age=300"


async def list_insurers(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await reference.insurer_names(conn)
    body = jsonenc.dumps({"insurers": [dict(r) for r in rows]})
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": INSURERS_CACHE, "ETag": etag}
    if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    return json_response(body, headers=headers)


async def list_webhooks(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await endpoints.states(conn)
    return json_response(
        InsurerWebhookList(
            insurers=[
                InsurerWebhookState(
                    enabled=r["webhook_disabled_at"] is None,
                    disabled_at=r["webhook_disabled_at"],
                    disabled_reason=r["webhook_disabled_reason"],
                    **{
                        k: r[k]
                        for k in (
                            "code",
                            "name",
                            "webhook_url",
                            "secrets",
                            "pending",
                            "parked",
                            "last_delivered_at",
                        )
                    },
                )
                for r in rows
            ]
        )
    )


async def enable_webhook(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    s = request.app[SERVICES]
    async with s.pool.acquire() as conn, conn.transaction():
        woken = await endpoints.enable(conn, code=code, actor=principal(request).actor)
    if woken is None:
        raise NotFound("没有该保险公司", "No insurer with this code")
    return json_response(WebhookEnabled(code=code, enabled=True, messages_woken=woken))


ROUTES = [
    Route(
        "GET",
        "/v1/insurers",
        list_insurers,
        "The insurers a report's `insurer_code` may name (code and names only); cacheable, with an ETag",
        auth=(PUBLIC,),
        tag="reports",
        responses={200: InsurerList},
    ),
    Route(
        "GET",
        "/v1/admin/insurers/webhooks",
        list_webhooks,
        "Each insurer's webhook endpoint: enabled or disabled (after a 410, with the reason), queue counts",
        auth=staff("admin"),
        tag="admin",
        responses={200: InsurerWebhookList},
    ),
    Route(
        "POST",
        "/v1/admin/insurers/{code}/webhook/enable",
        enable_webhook,
        "Re-enable an insurer's webhook endpoint; its waiting and 410-parked messages are sent again",
        auth=staff("admin"),
        tag="admin",
        responses={200: WebhookEnabled},
        errors=(404,),
    ),
]

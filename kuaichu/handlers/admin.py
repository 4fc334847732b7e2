"""Operators: the outbox (parked messages with their reasons) and replaying them."""

from __future__ import annotations

import uuid

from aiohttp import web

from claims import repository as claims_repo
from claims.views import provisional_deadlines
from court_bridge.service import UNDISCARDABLE_TOPICS
from kernel import heartbeat, outbox
from kernel.errors import Conflict, NotFound
from kuaichu.api import Route, json_response, principal, read_model, staff
from kuaichu.keys import SERVICES
from kuaichu.looplag import LOOP_LAG
from schemas.admin import (
    LoopLagStats,
    MessageState,
    OutboxDiscard,
    OutboxList,
    OutboxMessage,
    OutboxQuery,
    RuntimeQuery,
    RuntimeState,
)
from schemas.calendar import CalendarState


async def list_outbox(request: web.Request) -> web.Response:
    q = OutboxQuery.model_validate(dict(request.query))
    async with request.app[SERVICES].pool.acquire() as conn:
        rows = await outbox.listing(conn, status=q.status, limit=q.limit)
    msgs = [
        OutboxMessage(
            **{
                **dict(r),
                "id": str(r["id"]),
                "report_id": str(r["report_id"]) if r["report_id"] else None,
                "blocked_by": str(r["blocked_by"]) if r["blocked_by"] else None,
            }
        )
        for r in rows
    ]
    return json_response(OutboxList(messages=msgs))


async def replay_message(request: web.Request) -> web.Response:
    try:
        msg_id = uuid.UUID(request.match_info["message_id"])
    except ValueError:
        raise NotFound() from None
    who = principal(request)
    async with request.app[SERVICES].pool.acquire() as conn, conn.transaction():
        if not await outbox.replay(conn, msg_id=msg_id, actor=who.actor):
            raise NotFound("没有该条已暂停的消息", "No parked message with this id")
    return json_response(MessageState(id=str(msg_id), status="pending"), 202)


async def discard_message(request: web.Request) -> web.Response:
    try:
        msg_id = uuid.UUID(request.match_info["message_id"])
    except ValueError:
        raise NotFound() from None
    body = await read_model(request, OutboxDiscard)
    who = principal(request)
    async with request.app[SERVICES].pool.acquire() as conn, conn.transaction():
        if await outbox.topic_of(conn, msg_id=msg_id) in UNDISCARDABLE_TOPICS:
            raise Conflict(
                "法院消息不能丢弃，请更正后重新发送",
                "Court messages are corrected and re-sent, not discarded",
            )
        if not await outbox.discard(conn, msg_id=msg_id, actor=who.actor, reason=body.reason):
            raise NotFound("没有该条已暂停的消息", "No parked message with this id")
    return json_response(MessageState(id=str(msg_id), status="discarded"), 200)


async def calendar_state(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as conn:
        calendar = await claims_repo.holiday_calendar(conn)
        provisional = await provisional_deadlines(conn)
    years = [
        {
            "year": y.year,
            "holidays": len(y.holidays),
            "workdays": len(y.workdays),
            "source": y.source,
        }
        for y in sorted(calendar.years.values(), key=lambda y: y.year)
    ]
    keep = ("claim_id", "insurer_code", "duty", "due_at", "basis")
    return json_response(
        CalendarState(
            years=years, provisional_deadlines=[{k: d[k] for k in keep} for d in provisional]
        )
    )


async def runtime_state(request: web.Request) -> web.Response:
    """How late the event loop wakes up (a 10 ms sleeper's overshoot) over the last window_s seconds, and the
    outbox workers' heartbeats."""
    q = RuntimeQuery.model_validate(dict(request.query))
    s = request.app[SERVICES]
    async with s.pool.acquire() as conn:
        workers = await heartbeat.workers(conn, stale_after_s=3 * s.settings.worker_heartbeat_s)
    return json_response(
        RuntimeState(
            loop_lag=LoopLagStats(**request.app[LOOP_LAG].stats(window_s=q.window_s)),
            workers=workers,
        )
    )


ROUTES = [
    Route(
        "GET",
        "/v1/admin/runtime",
        runtime_state,
        "Event-loop lag of this process (p50/p99/max) and the outbox workers' heartbeats",
        auth=staff("admin"),
        tag="admin",
        query=RuntimeQuery,
        responses={200: RuntimeState},
    ),
    Route(
        "GET",
        "/v1/admin/outbox",
        list_outbox,
        "Outbound messages (parked by default) with their last error",
        auth=staff("admin"),
        tag="admin",
        query=OutboxQuery,
        responses={200: OutboxList},
    ),
    Route(
        "POST",
        "/v1/admin/outbox/{message_id}/replay",
        replay_message,
        "Queue a parked message again",
        auth=staff("admin"),
        tag="admin",
        responses={202: MessageState},
    ),
    Route(
        "GET",
        "/v1/admin/calendar",
        calendar_state,
        "Holiday calendar years (published or loaded, with their source) and open claim duties counted "
        "provisionally (weekends only) for want of their year",
        auth=staff("admin"),
        tag="admin",
        responses={200: CalendarState},
    ),
    Route(
        "POST",
        "/v1/admin/outbox/{message_id}/discard",
        discard_message,
        "Never send a parked message (audited with the reason); messages behind it in its order go on",
        auth=staff("admin"),
        tag="admin",
        body=OutboxDiscard,
        responses={200: MessageState},
    ),
]

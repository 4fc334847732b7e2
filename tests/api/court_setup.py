"""The recording court platform and the steps of a court case, shared by the court tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from kuaichu.deliveries import handlers
from kuaichu.keys import SERVICES
from kuaichu.worker import Worker
from tests.api.fault_steps import Case, determine, dispute_to_review, police, report_with_parties
from tests.api.flows import bearer
from tests.polling import poll_until

COURT_TOPICS = ["court.case", "court.update"]


class Court:
    """A court platform that records every arrival and answers from a script (default 201)."""

    def __init__(self) -> None:
        self.arrivals: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], tuple[int, dict[str, Any], dict[str, str]]] = (
            self.accept
        )

    @staticmethod
    def accept(arrival: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 201, {"case_number": "（2026）浙0102民诉前调1号"}, {}

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        arrival = {
            "path": request.path,
            "key": request.headers.get("Idempotency-Key"),
            "raw": raw,
            "headers": dict(request.headers),
        }
        self.arrivals.append(arrival)
        status, body, headers = self.answer(arrival)
        return web.json_response(body, status=status, headers=headers)

    def keys(self) -> list[str]:
        return [a["key"] for a in self.arrivals]


@pytest.fixture(name="settings")
def settings_with_court(settings: Any, court: Court) -> Any:
    """The settings pointing at the recording court (fixture `court`, tests/api/conftest.py); a module takes it
    as its `settings` with `settings = settings_with_court`."""
    return settings.model_copy(
        update={"court_url": court.url, "court_conflict_max_attempts": 3, "court_timeout_s": 2.0}
    )


async def court_case(client: Any, settings: Any, **overrides: Any) -> Case:
    """A report whose party A disputed the police determination and asked for court handling."""
    case = await report_with_parties(client, settings, **overrides)
    await dispute_to_review(client, case)
    r = await determine(client, case, await police(settings), {"A": "equal", "B": "equal"})
    assert r.status == 201, await r.text()
    body = {"determination_version": 1, "response": "dispute", "reason": "B车急刹车应负主要责任"}
    r = await client.post(
        case.url("/determination-responses"), json=body, headers=bearer(case.tokens["A"])
    )
    assert r.status == 200, await r.text()
    r = await client.post(
        case.url("/court-requests"),
        json={"reason": "不服认定，申请诉前调解"},
        headers=bearer(case.tokens["A"]),
    )
    assert r.status == 201, await r.text()
    case.extra["state"] = await r.json()
    return case


def pool_of(client: Any):
    return client.server.app[SERVICES].pool


async def work(client: Any, until: Callable[[], Any], *, limit_s: float = 15.0) -> None:
    """The real outbox worker, court topics only, on the app's services until `until()` holds."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        Worker(client.server.app[SERVICES], handlers(), name="court-test", topics=COURT_TOPICS).run(
            stop
        )
    )
    try:
        await poll_until(until, limit_s=limit_s)
    finally:
        stop.set()
        await task


async def package_row(client: Any, report_id: str) -> Any:
    return await pool_of(client).fetchrow(
        "SELECT * FROM court_packages WHERE report_id = $1::uuid ORDER BY revision DESC LIMIT 1",
        report_id,
    )

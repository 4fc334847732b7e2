"""End to end: the real service process and the real worker process deliver disputes to a raw recording court
on loopback that fails about 30 % of requests (503s, answers too late, connections dropped after processing);
the worker is SIGKILLed and restarted mid-run. Every dispute is recorded once per revision key, every update in
order and only after its case, and the exempt-zone case is never sent."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
from standardwebhooks import Webhook

from court_bridge.service import queue_update
from kuaichu.db import connect
from kuaichu.settings import Settings
from tests.api.court_setup import court_case
from tests.api.flows import SHENGSI
from tests.polling import poll_until

DISPUTES, UPDATES_EACH = 10, 3


class RawCourt:
    """Records what it processed, by Idempotency-Key; a seeded ~30 % of requests fail in one of three ways."""

    def __init__(self, secret: str) -> None:
        self.rng = random.Random(42)
        self.verifier = Webhook(secret)
        self.processed: list[str] = []  # keys in the order first processed
        self.arrivals = 0
        self.faults = {"503": 0, "late": 0, "drop": 0}
        self.violations: list[str] = []
        self.bodies: list[bytes] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.arrivals += 1
        self.verifier.verify(
            raw, dict(request.headers)
        )  # raises (500) on a bad signature: counted below
        key = request.headers["Idempotency-Key"]
        roll = self.rng.random()
        if roll < 0.10:
            self.faults["503"] += 1
            return web.Response(status=503)
        if roll < 0.20:
            self.faults["late"] += 1
            await asyncio.sleep(2.5)  # past the sender's timeout: nothing processed
            return web.Response(status=503)
        first = key not in self.processed
        if first:
            self._check_order(request.path, key)
            self.processed.append(key)
            self.bodies.append(raw)
        if roll < 0.30 and request.transport is not None:
            self.faults["drop"] += 1
            request.transport.abort()  # processed; the answer never leaves
            raise asyncio.CancelledError
        return web.json_response({"case_number": f"C-{key}"}, status=201 if first else 200)

    def _check_order(self, path: str, key: str) -> None:
        if path == "/v1/cases":
            return
        package_id, _, n = key.rpartition(".u")
        if f"{package_id}.1" not in self.processed:
            self.violations.append(f"{key} before its case")
        if int(n) > 1 and f"{package_id}.u{int(n) - 1}" not in self.processed:
            self.violations.append(f"{key} before update {int(n) - 1}")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start(cmd: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kuaichu.cli",
        *cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def test_disputes_reach_a_failing_court_once_per_key_in_order_through_a_killed_worker(
    settings, tmp_path
):
    court = RawCourt(settings.court_outbound_secret.get_secret_value())
    app = web.Application()
    app.router.add_post("/{tail:.*}", court.handle)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    court_port, port = _port(), _port()
    await web.TCPSite(runner, "127.0.0.1", court_port).start()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_VAR_DIR": str(settings.var_dir),
        "KUAICHU_PORT": str(port),
        "KUAICHU_COURT_URL": f"http://127.0.0.1:{court_port}",
        "KUAICHU_COURT_TIMEOUT_S": "1",
        "KUAICHU_OUTBOX_BACKOFF_BASE_S": "0.05",
        "KUAICHU_OUTBOX_BACKOFF_MAX_S": "0.4",
        "KUAICHU_OUTBOX_POLL_S": "0.05",
        "KUAICHU_OUTBOX_LEASE_S": "2",
        "KUAICHU_LOG_LEVEL": "WARNING",
    }
    s = Settings(**{**settings.model_dump(), "port": port})
    worker_cmd = ["worker", "--topic", "court.case", "--topic", "court.update"]
    service, worker = await _start(["serve"], env), await _start(worker_cmd, env)
    db = await connect(settings.database_url)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http:

            async def up() -> bool:
                try:
                    async with http.get("/healthz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            assert await poll_until(up, limit_s=20, every_s=0.2), "the service did not start"
            cases = [await court_case(http, s) for _ in range(DISPUTES // 2)]
            worker.send_signal(
                signal.SIGKILL
            )  # mid-run: some messages claimed, some sent, none marked
            await worker.wait()
            island = await court_case(http, s, location=dict(SHENGSI), address="嵊泗县菜园镇")
            worker = await _start(worker_cmd, env)
            cases += [await court_case(http, s) for _ in range(DISPUTES - DISPUTES // 2)]
        for case in cases:
            for n in range(UPDATES_EACH):
                async with (
                    db.transaction()
                ):  # as colleagues' use cases queue them, in business transactions
                    await queue_update(
                        db,
                        report_id=case.report_id,
                        type="claim_status",
                        key=f"t{n}",
                        data={"claim": n, "status": "decided"},
                        occurred_at=datetime.now(UTC),
                    )

        async def all_delivered() -> bool:
            pending = await db.fetchval(
                """SELECT (SELECT count(*) FROM court_packages WHERE state <> 'delivered')
                        + (SELECT count(*) FROM court_updates WHERE state <> 'delivered')"""
            )
            return pending == 0

        assert await poll_until(all_delivered, limit_s=45, every_s=0.2), await db.fetch(
            "SELECT package_id, state, problem FROM court_packages"
        )
        packages = [
            r["package_id"] for r in await db.fetch("SELECT package_id FROM court_packages")
        ]
    finally:
        await db.close()
        await _stop(worker)
        await _stop(service)
        await runner.cleanup()
    cases_sent = [k for k in court.processed if not k.rpartition(".")[2].startswith("u")]
    assert len(set(cases_sent)) == len(cases_sent) == DISPUTES == len(packages)
    assert sorted(cases_sent) == sorted(f"{p}.1" for p in packages)
    assert len([k for k in court.processed if ".u" in k]) == DISPUTES * UPDATES_EACH
    assert court.violations == []
    assert all(island.report_id.encode() not in body for body in court.bodies)
    assert court.arrivals > len(court.processed) and all(
        court.faults.values()
    )  # the faults really happened

"""One attempt at delivering a queued case revision or update, and its outcome recorded on the row.

The outbox worker calls these; the outbox's ordering key (the package id) guarantees the case POST (sequence
0) was answered 201/200 before update 1 is sent, and update n before n+1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from accident.agreement import canonical_json
from court_bridge import repository as repo
from court_bridge.client import CourtEndpoint, CourtRefused, CourtRetry, post
from court_bridge.service import case_key, update_key
from court_bridge.stored import open_bytes
from kernel.crypto import Keyring


@dataclass(frozen=True, slots=True)
class CourtDelivery:
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    keyring: Keyring
    endpoint: CourtEndpoint
    conflict_max: int  # 409/425 answers tolerated per revision or update before it is parked


async def _failed(ctx: CourtDelivery, exc: CourtRetry | CourtRefused, *, table: str, package_id: str, key: int,
                  final: bool) -> Exception:
    """Record a failed attempt; the exception the worker should see (refused → park, else retry)."""
    conflict = isinstance(exc, CourtRetry) and exc.conflict
    out: Exception = exc
    state, problem, action = "queued", None, None
    if isinstance(exc, CourtRefused):
        state, problem, action = "parked", exc.problem, "refused"
    elif conflict or final:
        async with ctx.pool.acquire() as conn:
            seen = await repo.conflicts(conn, table=table, package_id=package_id, key=key) + int(conflict)
        if final or seen >= ctx.conflict_max:
            why = f"HTTP {exc.status} {seen} times" if conflict and not final else f"gave up: {exc}"
            state, problem, action = "parked", {"status": exc.status, "detail": why}, "parked"
            out = CourtRefused(why, status=exc.status, problem=problem)
    async with ctx.pool.acquire() as conn:
        if table == "court_packages":
            await repo.case_outcome(conn, package_id=package_id, revision=key, state=state, status=exc.status,
                                    problem=problem, conflict=conflict, case_number=None, action=action)
        else:
            await repo.update_outcome(conn, package_id=package_id, sequence=key, state=state, status=exc.status,
                                      problem=problem, conflict=conflict, action=action)
    return out


async def deliver_case(ctx: CourtDelivery, *, payload: dict[str, Any], final: bool = False) -> int:
    """POST {court_url}/v1/cases with the revision's exact bytes; record the case number on 201/200."""
    package_id, revision = payload["package_id"], int(payload["revision"])
    async with ctx.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT sealed, state FROM court_packages WHERE package_id = $1::text AND revision = $2::int",
            package_id, revision,
        )
    if row is None:
        raise CourtRefused(f"package {case_key(package_id, revision)} does not exist")
    if row["state"] == "delivered":
        return 200  # answered before; the worker stopped before it could mark the message
    body = open_bytes(row["sealed"], ctx.keyring)
    try:
        status, data = await post(ctx.http, ctx.endpoint, path="/v1/cases", key=case_key(package_id, revision),
                                  body=body)
        case_number = data.get("case_number")
        if not isinstance(case_number, str) or not case_number:
            raise CourtRetry(f"HTTP {status} without a case_number", status=status)
    except (CourtRetry, CourtRefused) as exc:
        raise await _failed(ctx, exc, table="court_packages", package_id=package_id, key=revision,
                            final=final) from None
    async with ctx.pool.acquire() as conn:
        await repo.case_outcome(conn, package_id=package_id, revision=revision, state="delivered", status=status,
                                problem=None, conflict=False, case_number=case_number, action="delivered")
    return status


async def deliver_update(ctx: CourtDelivery, *, payload: dict[str, Any], final: bool = False) -> int:
    """POST {court_url}/v1/cases/{package_id}/updates with update n, only after the case itself was accepted."""
    package_id, sequence = payload["package_id"], int(payload["sequence"])
    async with ctx.pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT u.body, u.state, EXISTS (SELECT 1 FROM court_packages p WHERE p.package_id = u.package_id
                                                 AND p.state = 'delivered') AS case_accepted
               FROM court_updates u WHERE u.package_id = $1::text AND u.sequence = $2::int""",
            package_id, sequence,
        )
    if row is None:
        raise CourtRefused(f"update {update_key(package_id, sequence)} does not exist")
    if row["state"] == "delivered":
        return 200
    if not row["case_accepted"]:  # the outbox order makes this unreachable; never send an update before its case
        raise CourtRetry("the case itself has not been accepted yet")
    try:
        status, _ = await post(ctx.http, ctx.endpoint, path=f"/v1/cases/{package_id}/updates",
                               key=update_key(package_id, sequence), body=canonical_json(row["body"]))
    except (CourtRetry, CourtRefused) as exc:
        raise await _failed(ctx, exc, table="court_updates", package_id=package_id, key=sequence,
                            final=final) from None
    async with ctx.pool.acquire() as conn:
        await repo.update_outcome(conn, package_id=package_id, sequence=sequence, state="delivered", status=status,
                                  problem=None, conflict=False, action="delivered")
    return status

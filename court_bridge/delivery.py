"""One attempt at delivering a queued case revision or update.

The outbox worker calls these; the outbox's ordering key (the package id) guarantees the case POST (sequence
0) was answered 201/200 before update 1 is sent, and update n before n+1. A failed attempt is recorded on the
row at once; a success is returned as an outcome the worker records in its batch with the message's delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from court_bridge import repository as repo
from court_bridge.client import CourtEndpoint, CourtRefused, CourtRetry, post
from court_bridge.service import case_key, update_key
from court_bridge.stored import open_bytes
from kernel.canonical import canonical_json
from kernel.crypto import Keyring


@dataclass(frozen=True, slots=True)
class CourtDelivery:
    pool: asyncpg.Pool
    http: aiohttp.ClientSession
    keyring: Keyring
    endpoint: CourtEndpoint
    conflict_max: int  # 409/425 answers tolerated per revision or update before it is parked


async def _failed(
    ctx: CourtDelivery,
    exc: CourtRetry | CourtRefused,
    *,
    table: str,
    package_id: str,
    key: int,
    final: bool,
) -> Exception:
    """Record a failed attempt; the exception the worker should see (refused → park, else retry)."""
    conflict = isinstance(exc, CourtRetry) and exc.conflict
    out: Exception = exc
    state, problem, action = "queued", None, None
    if isinstance(exc, CourtRefused):
        state, problem, action = "parked", exc.problem, "refused"
    elif conflict or final:
        async with ctx.pool.acquire() as conn:
            seen = await repo.conflicts(conn, table=table, package_id=package_id, key=key) + int(
                conflict
            )
        if final or seen >= ctx.conflict_max:
            why = f"HTTP {exc.status} {seen} times" if conflict and not final else f"gave up: {exc}"
            state, problem, action = "parked", {"status": exc.status, "detail": why}, "parked"
            out = CourtRefused(why, status=exc.status, problem=problem)
    async with ctx.pool.acquire() as conn:
        if table == "court_packages":
            await repo.case_outcome(
                conn,
                package_id=package_id,
                revision=key,
                state=state,
                status=exc.status,
                problem=problem,
                conflict=conflict,
                case_number=None,
                action=action,
            )
        else:
            await repo.update_outcome(
                conn,
                package_id=package_id,
                sequence=key,
                state=state,
                status=exc.status,
                problem=problem,
                conflict=conflict,
                action=action,
            )
    return out


async def _message(
    ctx: CourtDelivery, payload: dict[str, Any], *, update: bool
) -> tuple[str, str, bytes]:
    """(path, key, exact bytes) from the message itself; a message queued before messages carried them is read."""
    package_id = payload["package_id"]
    if update:
        n = int(payload["sequence"])
        if "body" in payload:
            return payload["path"], payload["key"], payload["body"].encode()
        async with ctx.pool.acquire() as conn:
            body = await repo.update_body(conn, package_id=package_id, sequence=n)
        if body is None:
            raise CourtRefused(f"update {update_key(package_id, n)} does not exist")
        return f"/v1/cases/{package_id}/updates", update_key(package_id, n), canonical_json(body)
    revision = int(payload["revision"])
    sealed = payload["sealed"].encode() if "sealed" in payload else None
    if sealed is None:
        async with ctx.pool.acquire() as conn:
            sealed = await repo.sealed(conn, package_id=package_id, revision=revision)
        if sealed is None:
            raise CourtRefused(f"package {case_key(package_id, revision)} does not exist")
    return "/v1/cases", case_key(package_id, revision), open_bytes(sealed, ctx.keyring)


async def deliver_case(
    ctx: CourtDelivery, *, payload: dict[str, Any], final: bool = False
) -> tuple[int, tuple[str, int, int, str]]:
    """POST {court_url}/v1/cases with the revision's exact bytes; on 201/200 the status and the outcome to record
    (repo.cases_delivered, in the batch that marks the message delivered)."""
    package_id, revision = payload["package_id"], int(payload["revision"])
    path, key, body = await _message(ctx, payload, update=False)
    try:
        status, data = await post(ctx.http, ctx.endpoint, path=path, key=key, body=body)
        case_number = data.get("case_number")
        if not isinstance(case_number, str) or not case_number:
            raise CourtRetry(f"HTTP {status} without a case_number", status=status)
    except (CourtRetry, CourtRefused) as exc:
        raise await _failed(
            ctx, exc, table="court_packages", package_id=package_id, key=revision, final=final
        ) from None
    return status, (package_id, revision, status, case_number)


async def deliver_update(
    ctx: CourtDelivery, *, payload: dict[str, Any], final: bool = False
) -> tuple[int, tuple[str, int, int]]:
    """POST {court_url}/v1/cases/{package_id}/updates with update n; the outcome goes to repo.updates_delivered.

    The outbox claims update n only once the case's message (sequence 0) and updates 1..n-1 are delivered, and
    a case is recorded accepted in the same transaction that marks its message delivered: no update is sent
    before its case was answered 201/200.
    """
    package_id, sequence = payload["package_id"], int(payload["sequence"])
    path, key, body = await _message(ctx, payload, update=True)
    try:
        status, _ = await post(ctx.http, ctx.endpoint, path=path, key=key, body=body)
    except (CourtRetry, CourtRefused) as exc:
        raise await _failed(
            ctx, exc, table="court_updates", package_id=package_id, key=sequence, final=final
        ) from None
    return status, (package_id, sequence, status)

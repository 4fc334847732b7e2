"""When a line's insurer received the claim application, the moment 交强险条例 §28's one day runs from.

PRODUCT.md "Claims under 交强险": the application is received when that insurer's `claim.opened` is delivered
(a 2xx answer) or it first reads the claim through the API, whichever is first. The statute states the duty
toward the insured (被保险人); toward a third party the insurer pays directly (§31) it is kuaichu's service
commitment, held to the same clock. Before receipt no clock runs, so §28 does not run while the insurer's
endpoint is disabled and it has not read the claim. The transaction that records the receipt queues
`claim.received` (the line and its §28 due time), once per line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from claims import repository as repo
from claims.lifecycle import DOCUMENTS_LISTED_DAYS
from claims.views import insurer_views
from claims.webhooks import enqueue_insurer_event
from kernel.audit import AuditEvent, record

WEBHOOK = "webhook"
API_READ = "api_read"


async def record_receipt(
    conn: asyncpg.Connection, *, line_id: UUID, at: datetime, via: str
) -> bool:
    """Record the receipt once (a later delivery or read changes nothing) and queue `claim.received`."""
    row = await repo.record_receipt(conn, line_id=line_id, at=at, via=via)
    if row is None:
        return False
    claim = await repo.claim(conn, claim_id=row["claim_id"])
    due = (await repo.holiday_calendar(conn)).due(row["received_at"], DOCUMENTS_LISTED_DAYS)
    actor = ("insurer", row["insurer_code"]) if via == API_READ else ("system", "webhooks")
    await record(
        conn,
        AuditEvent(
            "claim",
            str(row["claim_id"]),
            "line_received",
            actor,
            claim["report_id"],
            {
                "line_id": {"before": None, "after": str(line_id)},
                "received_at": {"before": None, "after": row["received_at"].isoformat()},
                "received_via": {"before": None, "after": via},
            },
        ),
    )
    await enqueue_insurer_event(
        conn,
        insurer_code=row["insurer_code"],
        event_type="claim.received",
        report_id=claim["report_id"],
        occurred_at=row["received_at"],
        dedupe_key=str(line_id),
        data={
            "claim_id": str(row["claim_id"]),
            "report_id": str(claim["report_id"]),
            "line_id": str(line_id),
            "insurer_code": row["insurer_code"],
            "received_at": row["received_at"],
            "received_via": via,
            "documents_due_at": due.at,
            "documents_due_provisional": due.provisional,
        },
    )
    return True


async def record_deliveries(conn: asyncpg.Connection, receipts: list[Any]) -> None:
    """The worker's batch of delivered `claim.opened` messages: (line id, delivered at) each; recorded in the
    transaction that marks them delivered."""
    for line_id, at in receipts:
        await record_receipt(conn, line_id=UUID(line_id), at=at, via=WEBHOOK)


async def record_reads(
    conn: asyncpg.Connection, *, insurer_code: str, claim_ids: Iterable[UUID], at: datetime
) -> int:
    """The insurer read these claims through the API: each of its lines not yet received is received now."""
    n = 0
    for line_id in await repo.unreceived_lines(
        conn, insurer_code=insurer_code, claim_ids=list(claim_ids)
    ):
        n += await record_receipt(conn, line_id=line_id, at=at, via=API_READ)
    return n


async def read_as_insurer(
    pool: asyncpg.Pool, *, insurer_code: str, claim_ids: list[UUID] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The insurer reads claims (given ones, or its newest): the read is the receipt of each of its lines not
    received yet, recorded with its `claim.received` in the transaction that answers."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        if claim_ids is None:
            claim_ids = await repo.insurer_claim_ids(conn, insurer_code=insurer_code, limit=limit)
        await record_reads(conn, insurer_code=insurer_code, claim_ids=claim_ids, at=now)
        return await insurer_views(conn, claim_ids=claim_ids, insurer_code=insurer_code, now=now)

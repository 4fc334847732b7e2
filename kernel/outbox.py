"""Transactional outbox: messages are written with the change that causes them and delivered by workers.

Claiming uses `FOR UPDATE SKIP LOCKED` with a lease (locked_until), so several workers never hold the
same message and a killed worker's messages come back when the lease ends. The next attempt time lives
in the row, so a Retry-After of an hour or a restart changes nothing. Messages sharing an ordering key
go one after another in sequence order: a later one waits while an earlier one is pending or retrying, and
behind a parked one until an operator replays or discards it. A message queued with a key and no sequence
takes the next value of one database sequence (`outbox_order_seq`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kernel import tracing
from kernel.audit import AuditEvent, record, record_many


@dataclass(frozen=True, slots=True)
class Message:
    id: UUID
    topic: str
    dedupe_key: str
    report_id: UUID | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    ordering_key: str | None
    sequence: int | None
    traceparent: str | None = None  # of the request that caused it (kernel/tracing.py)


def insert_sql(
    *, source: str, id: str, topic: str, dedupe_key: str, report_id: str, payload: str
) -> str:
    """The outbox INSERT of an unordered message for a statement that also makes the change causing it (a CTE,
    one round trip, e.g. in a pipelined batch): `source` is what follows FROM, the others SQL expressions.
    The statement audits the message itself (see kernel.audit.insert_sql), as `enqueue` does."""
    return f"""INSERT INTO outbox (id, topic, dedupe_key, report_id, payload)
    SELECT {id}, {topic}, {dedupe_key}, {report_id}, {payload} FROM {source}"""  # noqa: S608 (SQL written in code; values are parameters)


async def requeue_parked(
    conn: asyncpg.Connection, *, dedupe_key: str, payload: dict[str, Any]
) -> bool:
    """Give a parked message a new payload and queue it again at once, in its place in its ordering key
    (same id, sequence and dedupe key); False when it is not parked (e.g. still being delivered)."""
    return bool(
        await conn.fetchval(
            """UPDATE outbox SET payload = $2::jsonb, status = 'pending', attempts = 0, next_attempt_at = now(),
                             locked_until = NULL, last_error = NULL, last_status = NULL
           WHERE dedupe_key = $1::text AND status = 'parked' RETURNING true""",
            dedupe_key,
            payload,
        )
    )


async def wake(
    conn: asyncpg.Connection, *, topic: str, payload_has: dict[str, Any], parked_by_status: int
) -> int:
    """Send again at once, from a fresh attempt count, the messages of `topic` whose payload has these members:
    those waiting, and those parked by a `parked_by_status` answer (e.g. a receiver's 410 before it came back);
    how many."""
    return int(
        await conn.fetchval(
            """WITH w AS (
               UPDATE outbox SET status = 'pending', next_attempt_at = now(), attempts = 0,
                             locked_by = NULL, locked_until = NULL
               WHERE topic = $1::text AND payload @> $2::jsonb
                 AND (status = 'pending' OR (status = 'parked' AND last_status = $3::int))
               RETURNING 1)
           SELECT count(*) FROM w""",
            topic,
            payload_has,
            parked_by_status,
        )
    )


async def enqueue(
    conn: asyncpg.Connection,
    *,
    topic: str,
    dedupe_key: str,
    payload: dict[str, Any],
    report_id: UUID | None = None,
    ordering_key: str | None = None,
    sequence: int | None = None,
    not_before: datetime | None = None,
) -> UUID | None:
    """Queue a message in the caller's transaction; None if one with this dedupe key already exists. It carries
    the trace context of the code queueing it (the request's, see kernel/tracing.py)."""
    msg_id = await conn.fetchval(
        """INSERT INTO outbox (id, topic, dedupe_key, report_id, payload, ordering_key, sequence, next_attempt_at,
                               traceparent)
           VALUES ($1::uuid, $2::text, $3::text, $4::uuid, $5::jsonb, $6::text,
                   CASE WHEN $6::text IS NULL THEN $7::bigint
                        ELSE coalesce($7::bigint, nextval('outbox_order_seq')) END,
                   coalesce($8::timestamptz, now()), $9::text)
           ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        topic,
        dedupe_key,
        report_id,
        payload,
        ordering_key,
        sequence,
        not_before,
        tracing.current(),
    )
    if msg_id is not None:
        await record(
            conn,
            AuditEvent(
                "message",
                str(msg_id),
                "queued",
                ("system", "outbox"),
                report_id,
                {"topic": {"before": None, "after": topic}},
            ),
        )
    return msg_id


_CLAIM = """
UPDATE outbox o SET locked_until = now() + make_interval(secs => $3::double precision),
                    locked_by = $2::text, attempts = o.attempts + 1
WHERE o.id IN (
    SELECT c.id FROM outbox c
    WHERE c.status = 'pending' AND c.next_attempt_at <= now()
      AND (c.locked_until IS NULL OR c.locked_until < now())
      AND ($4::text[] IS NULL OR c.topic = ANY($4::text[]))
      AND (c.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox p
            WHERE p.ordering_key = c.ordering_key AND p.sequence < c.sequence
              AND p.status NOT IN ('delivered', 'discarded')))
    ORDER BY c.next_attempt_at
    LIMIT $1::int
    FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.topic, o.dedupe_key, o.report_id, o.payload, o.attempts, o.created_at, o.ordering_key, o.sequence,
          o.traceparent
"""


async def claim(
    conn: asyncpg.Connection,
    *,
    worker: str,
    limit: int,
    lease_s: float,
    topics: list[str] | None = None,
) -> list[Message]:
    rows = await conn.fetch(_CLAIM, limit, worker, lease_s, topics)
    return [Message(**dict(r)) for r in rows]


async def mark_delivered_many(
    conn: asyncpg.Connection, *, done: list[tuple[Message, int | None]], worker: str
) -> set[UUID]:
    """Record many successes in one statement; returns the ids whose lease was still this worker's."""
    rows = await conn.fetch(
        """UPDATE outbox o SET status = 'delivered', delivered_at = now(), locked_until = NULL,
                               last_status = d.status, last_error = NULL
           FROM unnest($1::uuid[], $2::int[]) AS d(id, status)
           WHERE o.id = d.id AND o.locked_by = $3::text AND o.status = 'pending' RETURNING o.id""",
        [m.id for m, _ in done],
        [s for _, s in done],
        worker,
    )
    marked = {r["id"] for r in rows}
    await record_many(
        conn,
        [
            AuditEvent(
                "message",
                str(m.id),
                "delivered",
                ("system", worker),
                m.report_id,
                {"status": {"before": "pending", "after": "delivered"}},
            )
            for m, _ in done
            if m.id in marked
        ],
    )
    return marked


async def schedule_retry(
    conn: asyncpg.Connection,
    *,
    msg: Message,
    worker: str,
    delay_s: float,
    error: str,
    status: int | None,
) -> None:
    await conn.execute(
        """UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $3::double precision),
                             locked_until = NULL, last_error = $4::text, last_status = $5::int
           WHERE id = $1::uuid AND locked_by = $2::text AND status = 'pending'""",
        msg.id,
        worker,
        delay_s,
        error[:2000],
        status,
    )


async def park(
    conn: asyncpg.Connection, *, msg: Message, worker: str, reason: str, status: int | None
) -> None:
    """Stop retrying: kept with the reason, visible to operators, replayable."""
    done = await conn.fetchval(
        """UPDATE outbox SET status = 'parked', locked_until = NULL, last_error = $3::text, last_status = $4::int
           WHERE id = $1::uuid AND locked_by = $2::text AND status = 'pending' RETURNING true""",
        msg.id,
        worker,
        reason[:2000],
        status,
    )
    if done:
        await record(
            conn,
            AuditEvent(
                "message",
                str(msg.id),
                "parked",
                ("system", worker),
                msg.report_id,
                {
                    "status": {"before": "pending", "after": "parked"},
                    "reason": {"before": None, "after": reason[:500]},
                },
            ),
        )


async def replay(conn: asyncpg.Connection, *, msg_id: UUID, actor: tuple[str, str | None]) -> bool:
    """Put a parked message back in the queue, due now, with its attempts reset."""
    row = await conn.fetchrow(
        """UPDATE outbox SET status = 'pending', next_attempt_at = now(), attempts = 0, locked_until = NULL
           WHERE id = $1::uuid AND status = 'parked' RETURNING report_id""",
        msg_id,
    )
    if row is None:
        return False
    await record(
        conn,
        AuditEvent(
            "message",
            str(msg_id),
            "replayed",
            actor,
            row["report_id"],
            {"status": {"before": "parked", "after": "pending"}},
        ),
    )
    return True


async def discard(
    conn: asyncpg.Connection, *, msg_id: UUID, actor: tuple[str, str | None], reason: str
) -> bool:
    """Give up on a parked message for good (never sent); the messages behind it in its ordering key go on."""
    row = await conn.fetchrow(
        """UPDATE outbox SET status = 'discarded', discarded_at = now(), locked_until = NULL
           WHERE id = $1::uuid AND status = 'parked' RETURNING report_id""",
        msg_id,
    )
    if row is None:
        return False
    await record(
        conn,
        AuditEvent(
            "message",
            str(msg_id),
            "discarded",
            actor,
            row["report_id"],
            {
                "status": {"before": "parked", "after": "discarded"},
                "reason": {"before": None, "after": reason[:500]},
            },
        ),
    )
    return True


async def topic_of(conn: asyncpg.Connection, *, msg_id: UUID) -> str | None:
    return await conn.fetchval("SELECT topic FROM outbox WHERE id = $1::uuid", msg_id)


async def listing(
    conn: asyncpg.Connection, *, status: str | None, limit: int = 100
) -> list[asyncpg.Record]:
    """Messages newest first; a pending one held back by a parked message of its ordering key names it."""
    return await conn.fetch(
        """SELECT o.id, o.topic, o.dedupe_key, o.report_id, o.status, o.attempts, o.next_attempt_at, o.last_error,
                  o.last_status, o.created_at, o.delivered_at, o.ordering_key, o.sequence,
                  CASE WHEN o.status = 'pending' AND o.ordering_key IS NOT NULL THEN (
                      SELECT p.id FROM outbox p
                      WHERE p.ordering_key = o.ordering_key AND p.sequence < o.sequence AND p.status = 'parked'
                      ORDER BY p.sequence LIMIT 1) END AS blocked_by
           FROM outbox o WHERE ($1::text IS NULL OR o.status = $1::text)
           ORDER BY o.created_at DESC LIMIT $2::int""",
        status,
        limit,
    )


async def health(
    conn: asyncpg.Connection,
    *,
    receivers: dict[str, str] | None = None,
    reasons_per_destination: int = 5,
) -> list[dict[str, Any]]:
    """Per destination: pending (and how many of them are due now or retrying), parked, the oldest pending and
    parked message's age in seconds, and the most frequent reasons messages were parked for.

    A destination is a topic; `receivers` names, for a topic whose messages go to several receivers, the payload
    field naming the receiver (a destination is then `topic:receiver`).
    """
    receivers = receivers or {}
    topics, fields = list(receivers), list(receivers.values())
    dest = """o.topic || coalesce(':' || (o.payload ->> (SELECT r.f FROM unnest($1::text[], $2::text[]) AS r(t, f)
                                                          WHERE r.t = o.topic)), '')"""
    rows = await conn.fetch(
        f"""SELECT {dest} AS destination,
                   count(*) FILTER (WHERE o.status = 'pending') AS pending,
                   count(*) FILTER (WHERE o.status = 'pending' AND o.next_attempt_at <= now()) AS due,
                   count(*) FILTER (WHERE o.status = 'pending' AND o.last_error IS NOT NULL) AS retrying,
                   count(*) FILTER (WHERE o.status = 'parked') AS parked,
                   extract(epoch FROM now() - min(o.created_at) FILTER (WHERE o.status = 'pending'))::float8
                       AS oldest_pending_age_s,
                   extract(epoch FROM now() - min(o.created_at) FILTER (WHERE o.status = 'parked'))::float8
                       AS oldest_parked_age_s
            FROM outbox o WHERE o.status IN ('pending', 'parked')
            GROUP BY 1 ORDER BY 1""",  # noqa: S608 (the expression is ours; values are parameters)
        topics,
        fields,
    )
    reasons = await conn.fetch(
        f"""SELECT {dest} AS destination, coalesce(o.last_error, '') AS reason, count(*) AS messages,
                   max(o.created_at) AS latest_at,
                   (array_agg(o.id ORDER BY o.created_at DESC))[1:20] AS message_ids
            FROM outbox o WHERE o.status = 'parked'
            GROUP BY 1, 2 ORDER BY 1, 3 DESC, 4 DESC""",  # noqa: S608
        topics,
        fields,
    )
    by_dest: dict[str, list[dict[str, Any]]] = {}
    for r in reasons:
        listed = by_dest.setdefault(r["destination"], [])
        if len(listed) < reasons_per_destination:
            listed.append(
                {
                    "reason": r["reason"],
                    "messages": r["messages"],
                    "latest_at": r["latest_at"],
                    "message_ids": [str(i) for i in r["message_ids"]],
                }
            )
    return [{**dict(r), "parked_reasons": by_dest.get(r["destination"], [])} for r in rows]

"""The audit trail: every state change appends an event (who, when, what, before/after). Append-only:
the application role may insert and read but never update or delete (enforced by grants). The database chains
each report's events as they are inserted (migration 0042, kernel/audit_chain.py verifies); personal data an
event must carry goes in `personal`: stored encrypted beside the event under a random key of its own, and only
its HMAC-SHA-256 under that key enters the chain, so erasing data and key leaves a chain that still verifies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from kernel.crypto import Keyring
from kernel.jsonenc import canonical


@dataclass(frozen=True, slots=True)
class AuditEvent:
    entity: str
    entity_id: str
    action: str
    actor: tuple[
        str, str | None
    ]  # (kind, id): ("party", "<uuid>"), ("staff", ...), ("system", "worker")
    report_id: UUID | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    personal: Mapping[str, Any] | None = (
        None  # names, numbers, phones: committed to, never chained in clear
    )


def commitment(key: bytes, personal: Mapping[str, Any]) -> bytes:
    """HMAC-SHA-256 of the data's canonical JSON under the event's own key (hiding once the key is erased)."""
    return hmac.new(key, canonical(personal), hashlib.sha256).digest()


def insert_sql(
    *,
    source: str,
    report_id: str,
    entity: str,
    entity_id: str,
    action: str,
    actor_kind: str,
    actor_id: str,
    changes: str,
) -> str:
    """The audit INSERT for a statement that also makes the change it records (a CTE, one round trip, e.g. in a
    pipelined batch): `source` is what follows FROM (rows, a join, a WHERE), the others SQL expressions over it.
    Audit rows are written only through this fragment, `record` and `record_many` (the database chains each
    one as it is inserted, whichever way it comes)."""
    return f"""INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes)
    SELECT {report_id}, {entity}, {entity_id}, {action}, {actor_kind}, {actor_id}, {changes} FROM {source}"""  # noqa: S608 (SQL written in code; values are parameters)


# In the callers' order (stable per report, see record_many).
_RECORD_MANY = insert_sql(
    source="""unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
              WITH ORDINALITY AS r(report_id, entity, entity_id, action, actor_kind, actor_id, changes, n)
              ORDER BY r.n""",
    report_id="r.report_id",
    entity="r.entity",
    entity_id="r.entity_id",
    action="r.action",
    actor_kind="r.actor_kind",
    actor_id="r.actor_id",
    changes="r.changes",
)


async def record(
    conn: asyncpg.Connection, *events: AuditEvent, keyring: Keyring | None = None
) -> None:
    """Append events in the caller's transaction, in one round trip."""
    await record_many(conn, events, keyring=keyring)


# Events with personal data keep it in audit_personal, matched to their new ids by the (random) commitment.
_INSERT = """
WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                         $8::bytea[], $9::bytea[], $10::bytea[])
         WITH ORDINALITY AS r(report_id, entity, entity_id, action, actor_kind, actor_id, changes, commitment,
                              hmac_key, data_enc, n)
), e AS (
    INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes,
                              personal_commitment)
    SELECT report_id, entity, entity_id, action, actor_kind, actor_id, changes, commitment FROM r ORDER BY n
    RETURNING id, personal_commitment
)
INSERT INTO audit_personal (event_id, hmac_key, data_enc)
SELECT e.id, r.hmac_key, r.data_enc FROM e JOIN r ON r.commitment = e.personal_commitment
"""


async def record_many(
    conn: asyncpg.Connection, events: Iterable[AuditEvent], *, keyring: Keyring | None = None
) -> None:
    # One order for the chains' head rows whatever the caller's: two batches over the same reports never
    # wait for each other crosswise.
    ordered = sorted(events, key=lambda e: "" if e.report_id is None else str(e.report_id))
    if not ordered:
        return
    rows = []
    for e in ordered:
        commit = key = data = None
        if e.personal:
            if keyring is None:
                raise ValueError(
                    "an audit event with personal data needs the keyring to encrypt it"
                )
            key = secrets.token_bytes(32)
            commit = commitment(key, e.personal)
            data = keyring.seal(canonical(e.personal))
        rows.append(
            (
                e.report_id,
                e.entity,
                e.entity_id,
                e.action,
                e.actor[0],
                e.actor[1],
                dict(e.changes),
                commit,
                key,
                data,
            )
        )
    if not any(r[7] for r in rows):
        await conn.execute(
            _RECORD_MANY, *[list(col) for col in zip(*[r[:7] for r in rows], strict=True)]
        )
        return
    await conn.execute(_INSERT, *[list(col) for col in zip(*rows, strict=True)])


async def personal_data(
    conn: asyncpg.Connection, keyring: Keyring, *, event_id: int
) -> dict[str, Any] | None:
    """The personal data an event committed to, checked against its commitment; None once erased."""
    row = await conn.fetchrow(
        """SELECT p.hmac_key, p.data_enc, e.personal_commitment FROM audit_personal p
           JOIN audit_events e ON e.id = p.event_id WHERE p.event_id = $1::bigint""",
        event_id,
    )
    if row is None:
        return None
    data = keyring.unseal(row["data_enc"])
    if not hmac.compare_digest(
        hmac.new(row["hmac_key"], data, hashlib.sha256).digest(), row["personal_commitment"]
    ):
        raise ValueError(f"audit event {event_id}: the personal data does not match its commitment")
    return orjson.loads(data)


async def for_report(
    conn: asyncpg.Connection, *, report_id: UUID, limit: int = 1000
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, entity, entity_id, action, actor_kind, actor_id, at, changes
           FROM audit_events WHERE report_id = $1::uuid ORDER BY id LIMIT $2::int""",
        report_id,
        limit,
    )

"""Idempotency-Key: the first answer to a (scope, key) is stored in the same transaction as what the
request created; a retry with the same body gets that answer, a different body is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from kernel.errors import DomainError, InvalidInput, field

MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(DomainError):
    code = "idempotency-key-reused"
    kind = "invalid"
    title_zh = "同一个幂等键用于了不同的请求"
    title_en = "Idempotency-Key reused with a different request"


@dataclass(frozen=True, slots=True)
class Stored:
    status: int
    body: Any


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key 须为1–200个可打印ASCII字符",
            "Idempotency-Key must be 1–200 printable ASCII characters",
            errors=[
                field(
                    "header:Idempotency-Key",
                    "须为1–200个可打印ASCII字符",
                    "Must be 1–200 printable ASCII characters",
                )
            ],
        )
    return key


def taken_sql(*, scope: str, key: str) -> str:
    """Whether a key is taken, as an SQL condition for a statement that claims it itself (`insert_sql`)."""
    return f"EXISTS (SELECT 1 FROM idempotency_keys WHERE scope = {scope} AND key = {key})"  # noqa: S608 (SQL written in code; values are parameters)


def insert_sql(
    *, source: str, scope: str, key: str, request_hash: str, status_code: str, response: str
) -> str:
    """The key's claim with its stored answer, for a statement that also does the work (a CTE, one round trip,
    e.g. in a pipelined batch); returns a row only when this statement took the key."""
    return f"""INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)
    SELECT {scope}, {key}, {request_hash}, {status_code}, {response} FROM {source}
    ON CONFLICT (scope, key) DO NOTHING RETURNING 1"""  # noqa: S608 (SQL written in code; values are parameters)


async def claim(
    conn: asyncpg.Connection, *, scope: str, key: str, request_hash: bytes
) -> Stored | None:
    """Inside the caller's transaction: None if this request owns the key now, else the stored answer.

    A concurrent request with the same key waits on the row until the first one commits or rolls back.
    """
    owned = await conn.fetchval(
        """INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)
           VALUES ($1::text, $2::text, $3::bytea, 0, 'null'::jsonb)
           ON CONFLICT (scope, key) DO NOTHING RETURNING true""",
        scope,
        key,
        request_hash,
    )
    if owned:
        return None
    stored = await _stored(conn, scope=scope, key=key, request_hash=request_hash)
    assert stored is not None
    return stored


async def peek(
    conn: asyncpg.Connection, *, scope: str, key: str, request_hash: bytes
) -> Stored | None:
    """Outside any transaction: the stored answer if this key was already answered, else None (also while the
    first request is still in flight). For steps that must not run again on a retry before the claim."""
    stored = await _stored(conn, scope=scope, key=key, request_hash=request_hash)
    return stored if stored is not None and stored.status != 0 else None


async def _stored(
    conn: asyncpg.Connection, *, scope: str, key: str, request_hash: bytes
) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1::text AND key = $2::text",
        scope,
        key,
    )
    if row is None:
        return None
    if bytes(row["request_hash"]) != request_hash:
        raise IdempotencyKeyReused(
            "此 Idempotency-Key 已用于另一个请求内容；重试时请发送相同内容，新请求请使用新的键",
            "This Idempotency-Key was used with a different body; retry with the same body or use a new key",
        )
    return Stored(row["status_code"], row["response"])


async def store(conn: asyncpg.Connection, *, scope: str, key: str, status: int, body: Any) -> None:
    await conn.execute(
        """UPDATE idempotency_keys SET status_code = $3::int, response = $4::jsonb
           WHERE scope = $1::text AND key = $2::text""",
        scope,
        key,
        status,
        body,
    )

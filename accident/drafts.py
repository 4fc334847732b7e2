"""Drafts of what a driver is typing, saved by the pages at every step so a reload or another tab resumes where
the driver was: one per phone before a report exists, one per party in a report. Encrypted at rest (they may
hold names, ID numbers, an address); a save based on an older revision than the stored one is refused, so two
tabs never overwrite each other's newer answers without knowing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from kernel import jsonenc
from kernel.crypto import Keyring
from kernel.errors import DomainError


class DraftNotFound(DomainError):
    code = "draft-not-found"
    kind = "not_found"
    title_zh = "没有保存的草稿"
    title_en = "No saved draft"


class DraftChanged(DomainError):
    code = "draft-changed"
    kind = "conflict"
    title_zh = "草稿已在其他页面更新"
    title_en = "The draft was changed in another tab"


def phone_scope(phone_hash: bytes) -> str:
    return f"phone:{phone_hash.hex()}"


def party_scope(party_id: UUID) -> str:
    return f"party:{party_id}"


def _view(row: asyncpg.Record, keyring: Keyring) -> dict[str, Any]:
    return {
        "step": row["step"],
        "data": json.loads(keyring.decrypt(bytes(row["data_enc"]))),
        "revision": row["revision"],
        "updated_at": row["updated_at"],
        "expires_at": row["expires_at"],
    }


async def read_draft(
    conn: asyncpg.Connection, keyring: Keyring, *, scope: str, now: datetime
) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT step, data_enc, revision, updated_at, expires_at FROM drafts
                                 WHERE scope = $1::text AND expires_at > $2::timestamptz""",
        scope,
        now,
    )
    if row is None:
        raise DraftNotFound(
            "没有保存的草稿，请从头开始填写", "No draft is saved: start from the beginning"
        )
    return _view(row, keyring)


async def save_draft(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    scope: str,
    report_id: UUID | None,
    step: str,
    data: dict[str, Any],
    based_on: int | None,
    now: datetime,
    ttl_s: int,
) -> dict[str, Any]:
    """Replace the draft (revision + 1); refused 409 with the stored draft when `based_on` is older."""
    async with conn.transaction():
        current = await conn.fetchrow(
            """SELECT step, data_enc, revision, updated_at, expires_at FROM drafts WHERE scope = $1::text
               AND expires_at > $2::timestamptz FOR UPDATE""",
            scope,
            now,
        )
        if based_on is not None and current is not None and current["revision"] != based_on:
            raise DraftChanged(
                f"草稿已在其他页面保存为第{current['revision']}版，请先查看最新内容",
                f"Another tab saved revision {current['revision']} of the draft: read it before saving",
                current=_view(current, keyring),
            )
        revision = current["revision"] + 1 if current is not None else 1
        row = await conn.fetchrow(
            """INSERT INTO drafts (scope, report_id, step, data_enc, revision, updated_at, expires_at)
               VALUES ($1::text, $2::uuid, $3::text, $4::bytea, $5::int, $6::timestamptz, $7::timestamptz)
               ON CONFLICT (scope) DO UPDATE SET step = EXCLUDED.step, data_enc = EXCLUDED.data_enc,
                   revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at
               RETURNING step, data_enc, revision, updated_at, expires_at""",
            scope,
            report_id,
            step,
            keyring.encrypt(jsonenc.dumps(data).decode()),
            revision,
            now,
            now + timedelta(seconds=ttl_s),
        )
        return _view(row, keyring)


async def delete_draft(conn: asyncpg.Connection, *, scope: str) -> bool:
    return (
        await conn.fetchval("DELETE FROM drafts WHERE scope = $1::text RETURNING true", scope)
        or False
    )


async def draft_stamp(
    conn: asyncpg.Connection, *, scope: str, now: datetime
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT step, revision, updated_at FROM drafts WHERE scope = $1::text
                                 AND expires_at > $2::timestamptz""",
        scope,
        now,
    )
    return dict(row) if row else None


async def purge_expired(pool: asyncpg.Pool) -> int:
    """Housekeeping: delete drafts past their time; returns how many."""
    async with pool.acquire() as conn:
        return len(await conn.fetch("DELETE FROM drafts WHERE expires_at <= now() RETURNING scope"))

"""Shared steps of the workbench tests: police accounts of a chosen jurisdiction, and the owner's hand on rows
the service itself may not rewrite (to put a review or an inquiry in the past)."""

from __future__ import annotations

from typing import Any

import asyncpg

from kuaichu.commands.staff import create_staff
from kuaichu.db import connect
from tests.api.evidence import keyring_of
from tests.api.fault_steps import A_REAR_ENDS_B, give_accounts, report_with_parties, respond, sign
from tests.api.flows import bearer


async def officer_of(settings: Any, username: str, zones: list[str]) -> dict[str, str]:
    """A police account reviewing `zones`, made as `kuaichu staff create --jurisdiction` makes it."""
    conn = await connect(settings.database_url)
    try:
        return bearer(
            await create_staff(
                conn,
                keyring_of(settings),
                username=username,
                role="police",
                name=None,
                insurer=None,
                jurisdiction=zones,
            )
        )
    finally:
        await conn.close()


async def as_owner(settings: Any, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(settings.migrate_database_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def agreed_report(client: Any, settings: Any, **overrides: Any) -> str:
    """A rear-end report both parties accepted and signed: its agreement exists; returns its id."""
    case = await report_with_parties(client, settings, **overrides)
    v = (await give_accounts(client, case, A_REAR_ENDS_B))["proposal"]["version"]
    for label in ("A", "B"):
        assert (await respond(client, case, label, v)).status == 200
    for label in ("A", "B"):
        assert (await sign(client, settings, case, label, v)).status == 200
    return case.report_id

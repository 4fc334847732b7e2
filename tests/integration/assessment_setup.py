"""Steps and readings of the assessment tests: the app's assessment context, a two-vehicle report, a settled
message, tasks and assessor loads, staff principals and tokens."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from assessment.service import AssessmentContext, AssessmentPolicy
from kernel.crypto import new_token
from kernel.identity import StaffPrincipal
from kernel.sessions import STAFF_PREFIX
from kuaichu.keys import SERVICES
from tests.api.evidence import keyring_of
from tests.api.flows import bearer, create_report, join


def ctx_of(client: Any, **policy: float) -> AssessmentContext:
    ctx = client.server.app[SERVICES].assessment
    return dataclasses.replace(ctx, policy=AssessmentPolicy(**policy)) if policy else ctx


async def two_vehicles(client: Any, settings: Any, **overrides: Any) -> uuid.UUID:
    """A PICC-insured party A and a CPIC-insured party B (tests/api/flows.py), in 上城区 unless overridden."""
    a = await create_report(client, settings.var_dir, **overrides)
    status, _, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    return uuid.UUID(a["report"]["id"])


def settled(report_id: uuid.UUID) -> dict[str, Any]:
    return {
        "report_id": str(report_id),
        "outcome": "agreed",
        "version": 1,
        "parties": [
            {"label": "A", "liability": "full", "share_percent": 100},
            {"label": "B", "liability": "none", "share_percent": 0},
        ],
        "mutual_self_compensation": {"A": False, "B": False},
    }


async def tasks(client: Any, report_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    pool = client.server.app[SERVICES].pool
    rows = await pool.fetch(
        "SELECT vehicle_label, insurer_code, status, assignee_id, flags, zone_kind, excluded"
        " FROM assessment_tasks WHERE report_id = $1::uuid",
        report_id,
    )
    return {r["vehicle_label"]: dict(r) for r in rows}


async def load(client: Any) -> dict[str, int]:
    rows = await client.server.app[SERVICES].pool.fetch("SELECT id, open_tasks FROM assessors")
    return {r["id"]: r["open_tasks"] for r in rows}


async def set_assessors(client: Any, sql: str, *args: Any) -> None:
    await client.server.app[SERVICES].pool.execute(sql, *args)


async def principal_of(client: Any, assessor_id: str) -> StaffPrincipal:
    row = await client.server.app[SERVICES].pool.fetchrow(
        "SELECT s.id, s.username, s.role, s.insurer_code FROM staff s JOIN assessors a ON a.staff_id = s.id"
        " WHERE a.id = $1::text",
        assessor_id,
    )
    return StaffPrincipal(row["id"], row["username"], row["role"], row["insurer_code"])


async def token_of(client: Any, settings: Any, username: str) -> dict[str, str]:
    """What `kuaichu staff rotate-token USERNAME` does: a fresh token for a loaded account."""
    token = new_token(STAFF_PREFIX)
    await set_assessors(
        client,
        "UPDATE staff SET token_hash = $2::bytea WHERE username = $1::text",
        username,
        keyring_of(settings).token_hash(token),
    )
    return bearer(token)


async def insurer_events(client: Any, report_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await client.server.app[SERVICES].pool.fetch(
        "SELECT payload FROM outbox WHERE topic = 'insurer.webhook' AND report_id = $1::uuid ORDER BY created_at",
        report_id,
    )
    return [
        (r["payload"]["insurer_code"], r["payload"]["event_type"])
        for r in rows
        if r["payload"]["event_type"].startswith("assessment.")
    ]

"""A two-vehicle report with settled liability, insurer credentials and staff, for the claims tests."""

from __future__ import annotations

import uuid
from typing import Any

from claims.service import ClaimsContext, on_report_settled
from kernel.crypto import Keyring
from kuaichu.commands.insurer import issue_credential
from kuaichu.commands.staff import create_staff
from kuaichu.db import connect, create_pool
from kuaichu.settings import Settings
from tests.api.flows import FIXTURE_ZONES, bearer, create_report, join


def keyring(settings: Settings) -> Keyring:
    return Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )


async def two_vehicle_report(client: Any, settings: Settings) -> uuid.UUID:
    """Party A insured by PICC, party B by CPIC (tests/api/flows.py)."""
    return (await two_drivers(client, settings))[0]


async def two_drivers(
    client: Any, settings: Settings
) -> tuple[uuid.UUID, dict[str, dict[str, str]]]:
    """The report and each driver's session headers by label (A: PICC, B: CPIC)."""
    a = await create_report(client, settings.var_dir)
    status, _, b_session = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    return uuid.UUID(a["report"]["id"]), {"A": bearer(a["session"]), "B": bearer(b_session)}


def settled(
    report_id: uuid.UUID,
    shares: dict[str, int],
    opt_ins: dict[str, bool] | None = None,
    version: int = 1,
) -> dict[str, Any]:
    """A report.settled payload as the fault flow queues it."""
    names = {100: "full", 70: "major", 50: "equal", 30: "minor", 0: "none"}
    return {
        "report_id": str(report_id),
        "outcome": "agreed",
        "version": version,
        "parties": [
            {"label": k, "liability": names[v], "share_percent": v} for k, v in shares.items()
        ],
        "mutual_self_compensation": opt_ins or dict.fromkeys(shares, False),
    }


async def settle(settings: Settings, payload: dict[str, Any]) -> list[uuid.UUID]:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        ctx = ClaimsContext(
            pool=pool,
            keyring=keyring(settings),
            public_base_url=settings.public_base_url,
            photo_link_ttl_s=settings.photo_link_ttl_s,
        )
        return await on_report_settled(ctx, payload=payload)
    finally:
        await pool.close()


async def opened_claims(
    client: Any, settings: Settings, shares: dict[str, int], opt_ins: dict[str, bool] | None = None
) -> tuple[uuid.UUID, dict[str, dict[str, str]], dict[str, str]]:
    """A two-vehicle report settled with `shares`: (report id, bearer headers by insurer/role, claim id by label)."""
    report_id, auth, claims, _ = await opened_case(client, settings, shares, opt_ins)
    return report_id, auth, claims


async def opened_case(
    client: Any, settings: Settings, shares: dict[str, int], opt_ins: dict[str, bool] | None = None
) -> tuple[uuid.UUID, dict[str, dict[str, str]], dict[str, str], dict[str, dict[str, str]]]:
    """As opened_claims, with the drivers' session headers by label."""
    report_id, drivers = await two_drivers(client, settings)
    auth = await tokens(settings)
    await settle(settings, settled(report_id, shares, opt_ins))
    claims = {r["label"]: str(r["id"]) for r in await sql(settings, "SELECT id, label FROM claims")}
    return report_id, auth, claims, drivers


async def tokens(settings: Settings) -> dict[str, dict[str, str]]:
    """Bearer headers: insurers PICC, CPIC and PINGAN (on no claim), and staff admin, police, court, adjuster."""
    conn = await connect(settings.database_url)
    k = keyring(settings)
    try:
        out = {
            code: bearer(await issue_credential(conn, k, code=code, revoke_others=False))
            for code in ("PICC", "CPIC", "PINGAN")
        }
        for role in ("admin", "police", "court", "adjuster"):
            out[role] = bearer(
                await create_staff(
                    conn,
                    k,
                    username=f"{role}-1",
                    role=role,
                    name=None,
                    insurer="PICC" if role == "adjuster" else None,
                    jurisdiction=FIXTURE_ZONES if role == "police" else None,
                )
            )
    finally:
        await conn.close()
    return out


async def sql(settings: Settings, query: str, *args: Any) -> list[Any]:
    conn = await connect(settings.database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()

"""`kuaichu claims replay`: stored claims' cover recomputed with today's rules; what would change is listed,
nothing is altered."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kuaichu.commands.claims import replay
from kuaichu.db import connect
from tests.api.claims_setup import opened_claims, sql

MIGRATIONS = Path(__file__).parents[2] / "kuaichu" / "migrations"
SNAPSHOT = """SELECT (SELECT json_agg(json_build_object('id', id, 'cover', cover, 'rev', cover_revision)
                      ORDER BY id) FROM claims)::text,
                     (SELECT count(*) FROM audit_events), (SELECT count(*) FROM outbox)"""


async def test_replay_lists_claims_whose_cover_changes_and_alters_nothing(client, settings):
    _, auth, claims = await opened_claims(client, settings, {"A": 100, "B": 0})
    for label, insurer, fen in (("A", "PICC", 50_000), ("B", "CPIC", 250_000)):
        body = {
            "reference": f"r-{label}",
            "items": [{"part": "bumper", "operation": "repair", "amount_fen": fen}],
            "total_fen": fen,
            "commercial_third_party": True,
        }
        r = await client.post(
            f"/v1/insurer/claims/{claims[label]}/assessment", json=body, headers=auth[insurer]
        )
        assert r.status == 201, await r.text()
    # B's cover as an earlier rule set decided it: the rest beyond 2,000 paid by A's commercial insurance.
    old_cover = {
        "mode": "liability",
        "limits_version": "2020-09-19",
        "basis": ["old"],
        "payments": [
            {
                "payee": "B",
                "payer": "A",
                "insurer_code": "PICC",
                "source": "compulsory",
                "amount_fen": 200_000,
            },
            {
                "payee": "B",
                "payer": "A",
                "insurer_code": "PICC",
                "source": "commercial_third_party",
                "amount_fen": 50_000,
            },
        ],
    }
    await sql(
        settings, "UPDATE claims SET cover = $2::jsonb WHERE id = $1::uuid", claims["B"], old_cover
    )

    conn = await connect(settings.database_url)
    try:
        before = await conn.fetchrow(SNAPSHOT)
        out = io.StringIO()
        changes = await replay(conn, since=datetime.now(UTC) - timedelta(days=1), out=out)
        assert tuple(await conn.fetchrow(SNAPSHOT)) == tuple(before)  # nothing altered
        assert (
            await replay(conn, since=datetime.now(UTC) + timedelta(days=1), out=io.StringIO()) == []
        )
    finally:
        await conn.close()
    assert [c["claim_id"] for c in changes] == [claims["B"]]  # A's cover is unchanged
    new = {(p["payer"], p["source"]): p["amount_fen"] for p in changes[0]["new"]["payments"]}
    assert new == {("A", "compulsory"): 200_000, ("A", "party"): 50_000}
    text = out.getvalue()
    assert (
        f"claim {claims['B']}" in text
        and "A commercial_third_party 500.00" in text
        and "A party 500.00" in text
    )
    assert "2 claim(s) since" in text and "1 would change; nothing was altered" in text
    assert json.loads(before[0])  # the snapshot saw the claims


async def test_replay_lists_the_lines_a_claim_opened_before_lines_existed_would_get(
    client, settings, owner_database_url
):
    _, _, claims = await opened_claims(client, settings, {"A": 70, "B": 30})
    # As a claim stored before lines existed: no line at all.
    owner = await connect(owner_database_url)
    try:
        await owner.execute("DELETE FROM claim_lines")
    finally:
        await owner.close()
    conn = await connect(settings.database_url)
    try:
        out = io.StringIO()
        changes = await replay(conn, since=datetime.now(UTC) - timedelta(days=1), out=out)
        assert await conn.fetchval("SELECT count(*) FROM claim_lines") == 0  # nothing altered
    finally:
        await conn.close()
    assert {c["claim_id"]: c["lines"] for c in changes} == {
        claims["A"]: ["open line CPIC (liability, for B)"],
        claims["B"]: ["open line PICC (liability, for A)"],
    }
    assert (
        f"claim {claims['A']}" in out.getvalue()
        and "2 would change; nothing was altered" in out.getvalue()
    )


@pytest.mark.parametrize(
    ("shares", "opt_ins"),
    [
        ({"A": 100, "B": 0}, None),
        ({"A": 50, "B": 50}, {"A": True, "B": True}),
        ({"A": 0, "B": 0}, None),
    ],
)
async def test_migration_0026_gives_claims_without_lines_the_lines_todays_rules_give(
    client, settings, owner_database_url, shares, opt_ins
):
    await opened_claims(client, settings, shares, opt_ins)
    lines = (
        "SELECT c.label, l.insurer_code, l.basis, l.payer_labels FROM claim_lines l JOIN claims c "
        "ON c.id = l.claim_id ORDER BY 1, 2"
    )
    planned = [tuple(r) for r in await sql(settings, lines)]
    assert planned  # opened by the service with today's rules
    owner = await connect(owner_database_url)
    try:
        await owner.execute("DELETE FROM claim_lines")
        await owner.execute((MIGRATIONS / "0026_claim_lines_backfill.sql").read_text())
        await owner.execute(
            (MIGRATIONS / "0026_claim_lines_backfill.sql").read_text()
        )  # twice: nothing more
    finally:
        await owner.close()
    assert [tuple(r) for r in await sql(settings, lines)] == planned
    assert (
        await sql(
            settings,
            "SELECT 1 FROM claim_lines WHERE received_at IS NOT NULL OR status <> 'opened'",
        )
        == []
    )

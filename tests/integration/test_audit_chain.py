"""The tamper-evident audit trail: per-report hash chains linked at insert, the sealer, RFC 3161 anchors from a
real (local, openssl-backed) time-stamping authority, and `kuaichu audit verify` naming what was changed."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from kernel.audit import AuditEvent, personal_data, record
from kernel.audit_chain import event_preimage, run_sealer, sha256, verify, verify_anchors
from kernel.crypto import Keyring
from kernel.timestamping import Authority, openssl_verify
from kuaichu.db import connect, create_pool
from kuaichu.timestamp_authority import LocalAuthority
from tests.api.flows import create_report

ODD = '名字 "quoted" back\\slash\ttab\nline \x01 \u2028 😀'


@pytest.fixture
async def tsa(
    tmp_path_factory: pytest.TempPathFactory, aiohttp_server
) -> tuple[LocalAuthority, str]:
    authority = LocalAuthority(tmp_path_factory.mktemp("tsa"))
    server = await aiohttp_server(authority.app())
    return authority, str(server.make_url("/"))


def _keyring(settings) -> Keyring:
    return Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )


async def _events(conn: asyncpg.Connection, report_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, chain, seq, prev_hash, hash, at, entity, entity_id, action, actor_kind, actor_id,
                  changes::text AS changes_text, personal_commitment
           FROM audit_events WHERE report_id = $1::uuid ORDER BY seq""",
        uuid.UUID(report_id),
    )


async def _seal(settings, authority: str | None = None, *, force: bool = True):
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        async with aiohttp.ClientSession() as http:
            return await run_sealer(
                pool,
                http,
                Authority(authority) if authority else None,
                anchor_every_s=300,
                anchor_every_events=10_000,
                force_anchor=force,
            )
    finally:
        await pool.close()


async def test_a_reports_events_form_one_chain_the_verifier_recomputes_from_its_own_encoding(
    client, settings
):
    a = await create_report(client, settings.var_dir)
    rid = a["report"]["id"]
    conn = await connect(settings.database_url)
    try:
        async with (
            conn.transaction()
        ):  # odd text and every kind of JSON value go through the same encoding
            await record(
                conn,
                AuditEvent(
                    "report",
                    rid,
                    "noted",
                    ("staff", ODD),
                    uuid.UUID(rid),
                    {"text": ODD, "n": 1.50, "big": 2**53 + 1, "list": [None, True, {"é": "ü"}]},
                ),
            )
        rows = await _events(conn, rid)
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 4
        assert rows[0]["prev_hash"] is None
        for before, r in itertools.pairwise(rows):
            assert bytes(r["prev_hash"]) == bytes(before["hash"])
        for r in rows:
            ours = event_preimage(r, r["prev_hash"] and bytes(r["prev_hash"]))
            theirs = await conn.fetchval(
                """SELECT audit_preimage(chain, prev_hash, at, entity, entity_id, action, actor_kind, actor_id,
                                         changes, personal_commitment) FROM audit_events WHERE id = $1""",
                r["id"],
            )
            assert ours == theirs
            assert sha256(ours) == bytes(r["hash"])
        result = await verify(conn, report_id=uuid.UUID(rid))
        assert result.ok, result.findings
        assert result.events == len(rows)
    finally:
        await conn.close()


async def test_sixty_four_concurrent_writers_to_one_report_and_to_many_keep_every_chain_whole(
    client, settings
):
    rid = uuid.UUID((await create_report(client, settings.var_dir))["report"]["id"])
    pool = await create_pool(settings.database_url, min_size=8, max_size=16)
    others = [uuid.uuid4() for _ in range(8)]
    try:

        async def write(i: int) -> None:
            async with pool.acquire() as conn, conn.transaction():
                await record(
                    conn,
                    AuditEvent("report", str(rid), "noted", ("system", "test"), rid, {"i": i}),
                    AuditEvent(
                        "report", str(others[i % 8]), "noted", ("system", "test"), others[i % 8]
                    ),
                )

        await asyncio.gather(*(write(i) for i in range(64)))
        async with pool.acquire() as conn:
            result = await verify(conn)
            assert result.ok, result.findings
            seqs = await conn.fetch(
                "SELECT seq FROM audit_events WHERE report_id = $1 ORDER BY seq", rid
            )
            assert [r["seq"] for r in seqs] == list(range(1, len(seqs) + 1))
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM audit_events WHERE report_id = ANY($1)", others
                )
                == 64
            )
    finally:
        await pool.close()


async def test_the_application_cannot_move_a_chain_head_or_unseal_what_it_sealed(client, settings):
    await create_report(client, settings.var_dir)
    conn = await connect(settings.database_url)
    try:
        for statement in (
            "UPDATE audit_chain_heads SET seq = 1",
            "DELETE FROM audit_chain_heads",
            "UPDATE audit_seal SET hash = NULL",
            "DELETE FROM audit_seal",
            "UPDATE audit_anchors SET response = ''",
            "DELETE FROM audit_personal",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        # The link columns are the trigger's: whatever the application puts there is overwritten.
        await conn.execute("""INSERT INTO audit_events (entity, entity_id, action, actor_kind, prev_hash, hash)
                              VALUES ('test', 'x', 'noted', 'system', '\\x00', '\\x00')""")
        assert (await verify(conn)).ok
    finally:
        await conn.close()


async def test_sealed_and_anchored_heads_verify_with_openssl_ts(client, settings, tsa):
    authority, url = tsa
    await create_report(client, settings.var_dir)
    run = await _seal(settings, url)
    assert run is not None and run.sealed and run.anchored == run.sealed[-1].seq
    await create_report(client, settings.var_dir)
    again = await _seal(settings, url, force=False)  # not due: a fresh anchor, few events
    assert again is not None and again.sealed and again.anchored is None
    conn = await connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM audit_unsealed") == 0
        anchor = await conn.fetchrow("SELECT seal_seq, seal_hash, response FROM audit_anchors")
        assert (
            await openssl_verify(
                bytes(anchor["response"]), bytes(anchor["seal_hash"]), ca_file=authority.ca_file
            )
            == ""
        )
        # The token is bound to its digest: another seal head does not verify with it.
        assert (
            await openssl_verify(bytes(anchor["response"]), bytes(32), ca_file=authority.ca_file)
            != ""
        )
        checked = await verify_anchors(conn, ca_file=authority.ca_file)
        assert checked.checked == 1 and not checked.problems
        assert (await verify(conn)).ok
    finally:
        await conn.close()


async def test_one_sealer_at_a_time(client, settings):
    await create_report(client, settings.var_dir)
    holder = await connect(settings.database_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1::bigint)", 0x6B75_6169_5345_414C)
        assert (
            await _seal(settings) is None
        )  # another worker's sealer is running: this one waits its turn
        await holder.execute("SELECT pg_advisory_unlock($1::bigint)", 0x6B75_6169_5345_414C)
        assert (await _seal(settings)).sealed
    finally:
        await holder.close()


async def test_erasing_an_events_personal_data_leaves_a_chain_that_verifies(
    client, settings, owner_database_url
):
    rid = (await create_report(client, settings.var_dir))["report"]["id"]
    keyring = _keyring(settings)
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            await record(
                conn,
                AuditEvent(
                    "party",
                    "A",
                    "identity_checked",
                    ("staff", "s1"),
                    uuid.UUID(rid),
                    {"checked": {"before": False, "after": True}},
                    personal={"name": "张三", "id_number": "33010219900101123X"},
                ),
                keyring=keyring,
            )
        event = await conn.fetchrow(
            "SELECT id, personal_commitment, changes::text AS c FROM audit_events "
            "WHERE action = 'identity_checked'"
        )
        assert "张三" not in event["c"] and len(event["personal_commitment"]) == 32
        stored = await conn.fetchval(
            "SELECT data_enc FROM audit_personal WHERE event_id = $1", event["id"]
        )
        assert "张三".encode() not in bytes(stored)  # encrypted at rest
        assert await personal_data(conn, keyring, event_id=event["id"]) == {
            "name": "张三",
            "id_number": "33010219900101123X",
        }
        await _seal(settings)
        owner = await connect(owner_database_url)
        try:  # erasure deletes the data and its key together
            await owner.execute("DELETE FROM audit_personal WHERE event_id = $1", event["id"])
        finally:
            await owner.close()
        assert await personal_data(conn, keyring, event_id=event["id"]) is None
        result = await verify(conn, report_id=uuid.UUID(rid))
        assert result.ok, result.findings
    finally:
        await conn.close()


async def _tamper(owner_database_url: str, *statements: str, args: tuple = ()) -> None:
    owner = await connect(owner_database_url)
    try:
        async with owner.transaction():
            for s in statements:
                await owner.execute(s, *args) if args and "$1" in s else await owner.execute(s)
    finally:
        await owner.close()


def _audit_verify(settings, tsa_ca: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_TSA_CA_FILE": str(tsa_ca),
        "KUAICHU_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", "audit", "verify", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(400)  # four runs of the CLI, each a fresh interpreter
async def test_audit_verify_names_each_edited_deleted_inserted_and_reordered_event(
    client, settings, owner_database_url, tsa
):
    authority, url = tsa
    reports = [(await create_report(client, settings.var_dir))["report"]["id"] for _ in range(5)]
    await _seal(settings, url)
    clean = await asyncio.to_thread(_audit_verify, settings, authority.ca_file)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "OK" in clean.stdout and "1 anchors verified" in clean.stdout

    conn = await connect(settings.database_url)
    try:
        chains = {rid: await _events(conn, rid) for rid in reports}
    finally:
        await conn.close()
    edited, deleted, inserted_after, reordered_a = (chains[reports[i]][1] for i in range(4))
    reordered_b = chains[reports[3]][2]
    # Edit: one word of what happened.
    await _tamper(
        owner_database_url,
        f"UPDATE audit_events SET action = 'withdrawn' WHERE id = {edited['id']}",
    )
    # Delete: an event from the middle of a chain.
    await _tamper(owner_database_url, f"DELETE FROM audit_events WHERE id = {deleted['id']}")
    # Insert: a forged event slotted after the first one, self-consistent, past the trigger.
    prev = bytes(chains[reports[2]][0]["hash"]).hex()
    await _tamper(
        owner_database_url,
        "ALTER TABLE audit_events DISABLE TRIGGER audit_chain_link",
        f"""
        INSERT INTO audit_events (report_id, entity, entity_id, action, actor_kind, actor_id, changes, chain, seq,
                                  prev_hash, at)
        VALUES ('{reports[2]}', 'report', '{reports[2]}', 'withdrawn', 'party', 'x', '{{}}', '{reports[2]}',
                {inserted_after["seq"]}, '\\x{prev}', now())""",
        """
        UPDATE audit_events SET hash = sha256(convert_to(audit_preimage(chain, prev_hash, at, entity, entity_id,
                    action, actor_kind, actor_id, changes, personal_commitment), 'UTF8'))
        WHERE hash IS NULL""",
        "ALTER TABLE audit_events ENABLE TRIGGER audit_chain_link",
    )
    # Reorder: two neighbours exchange their places in the chain.
    await _tamper(
        owner_database_url,
        f"""
        UPDATE audit_events SET seq = CASE id WHEN {reordered_a["id"]} THEN {reordered_b["seq"]}
                                              ELSE {reordered_a["seq"]} END
        WHERE id IN ({reordered_a["id"]}, {reordered_b["id"]})""",
    )

    out = await asyncio.to_thread(_audit_verify, settings, authority.ca_file)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()

    def named(kind: str, event_id: int) -> bool:
        return any(line.startswith(f"{kind}: event {event_id} ") for line in lines)

    assert named("edited", edited["id"]), out.stdout
    assert named("deleted", deleted["id"]), out.stdout
    forged = [line for line in lines if line.startswith("inserted: event ") and reports[2] in line]
    assert forged, out.stdout
    assert named("reordered", reordered_a["id"]) or named("reordered", reordered_b["id"]), (
        out.stdout
    )
    assert not any(reports[4] in line for line in lines)  # the untouched report is clean

    one = await asyncio.to_thread(
        _audit_verify, settings, authority.ca_file, "--report", reports[4]
    )
    assert one.returncode == 0, one.stdout
    only_edited = await asyncio.to_thread(
        _audit_verify, settings, authority.ca_file, "--report", reports[0]
    )
    assert only_edited.returncode == 1 and f"edited: event {edited['id']} " in only_edited.stdout

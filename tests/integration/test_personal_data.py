"""Personal data (names, ID numbers, phones) is never in clear in the database or the logs; keys rotate."""

from __future__ import annotations

import base64
import io
import logging
import os

import asyncpg
import pydantic
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from kernel.crypto import Keyring
from kuaichu.logs import configure_logging
from kuaichu.settings import DEV_DATA_KEY, Settings
from tests.api.evidence import keyring_of, outbox_done, run_worker, upload_required
from tests.api.flows import (
    CONSENT,
    ELIGIBLE_CASE,
    bearer,
    create_report,
    login,
    new_phone,
    party,
    report_body,
)

A_NAME, B_NAME = "欧阳娜娜", "司马相如"


async def _flow(client, settings) -> list[str]:
    """A (inviting B by phone) creates with an idempotency key, uploads and submits; B joins. Returns the
    personal strings both entered."""
    a_phone, b_phone = new_phone(), new_phone()
    a_party = party(a_phone, name=A_NAME)
    session = await login(client, settings.var_dir, a_phone)
    r = await client.post(
        "/v1/reports",
        json=report_body(a_phone, party=a_party, invite_phone=b_phone),
        headers={**bearer(session), "Idempotency-Key": "create-1"},
    )
    assert r.status == 201, await r.text()
    a = await r.json()
    rid = a["report"]["id"]
    await upload_required(client, rid, a["party_token"])
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert r.status == 200
    b_party = party(b_phone, plate="浙B54321", insurer="CPIC", name=B_NAME)
    body = {
        "share_code": a["share_code"]["code"],
        "case_answers": dict(ELIGIBLE_CASE),
        "party": b_party,
        "consent": dict(CONSENT),
    }
    b_session = await login(client, settings.var_dir, b_phone)
    headers = {**bearer(b_session), "Idempotency-Key": "join-1"}
    r = await client.post("/v1/reports/join", json=body, headers=headers)
    assert r.status == 201, await r.text()
    return [
        A_NAME,
        a_party["driver"]["id_number"],
        a_phone,
        B_NAME,
        b_party["driver"]["id_number"],
        b_phone,
    ]


async def _every_table_as_text(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)  # the superuser: what a stolen backup or a curious DBA sees
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        dump = {}
        for t in tables:
            name = t["tablename"]
            rows = await conn.fetch(
                f'SELECT t::text AS row FROM "{name}" t'
            )  # names from the catalog
            dump[name] = "\n".join(r["row"] for r in rows)
        return dump
    finally:
        await conn.close()


async def test_no_name_id_number_or_phone_is_stored_in_clear_anywhere(client, settings):
    personal = await _flow(client, settings)
    await run_worker(client, lambda: outbox_done(client))  # invitation texted, previews made
    dump = await _every_table_as_text(settings.migrate_database_url)
    for table in ("parties", "idempotency_keys", "outbox", "audit_events"):
        assert dump[table], table  # the flow wrote there
    leaks = {(table, s) for table, text in dump.items() for s in personal if s in text}
    assert leaks == set()


async def test_a_new_data_key_reads_old_rows_and_reencryption_moves_them_to_it(
    client, settings, aiohttp_client
):
    a = await create_report(client, settings.var_dir)
    old = keyring_of(settings)
    new_key = Fernet.generate_key().decode()
    secret = settings.secret_key.get_secret_value()
    rotating = Keyring.from_settings(secret, f"{new_key},{DEV_DATA_KEY}")
    new_only = Keyring.from_settings(secret, new_key)

    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT id, phone_enc, name_enc, id_number_enc FROM parties")
        assert [rotating.decrypt(r["name_enc"]) for r in rows] == ["张三"]
        with pytest.raises(ValueError):
            new_only.decrypt(rows[0]["name_enc"])
        columns = ("phone_enc", "name_enc", "id_number_enc", "policy_number_enc")
        for r in await conn.fetch(
            "SELECT id, phone_enc, name_enc, id_number_enc, policy_number_enc FROM parties"
        ):
            await conn.execute(
                "UPDATE parties SET phone_enc = $2, name_enc = $3, id_number_enc = $4, policy_number_enc = $5 "
                "WHERE id = $1",
                r["id"],
                *(rotating.reencrypt(r[c]) for c in columns),
            )
        for r in await conn.fetch("SELECT id, address_enc FROM reports"):
            await conn.execute(
                "UPDATE reports SET address_enc = $2 WHERE id = $1",
                r["id"],
                rotating.reencrypt(r["address_enc"]),
            )
        moved = await conn.fetchrow("SELECT phone_enc, name_enc, id_number_enc FROM parties")
    finally:
        await conn.close()
    assert new_only.decrypt(moved["name_enc"]) == "张三"
    assert new_only.decrypt(moved["phone_enc"]) == a["phone"]
    with pytest.raises(ValueError):
        old.decrypt(moved["name_enc"])

    from kuaichu.app import create_app

    rotated = await aiohttp_client(
        create_app(settings.model_copy(update={"data_keys": SecretStr(new_key)}))
    )
    r = await rotated.get(f"/v1/reports/{a['report']['id']}", headers=bearer(a["party_token"]))
    assert r.status == 200
    assert (await r.json())["parties"][0]["driver"]["name"] == "张三"


async def test_logs_of_a_whole_report_hold_no_name_id_number_or_phone(client, settings):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buf = io.StringIO()
    configure_logging(level="DEBUG", stream=buf)
    try:
        personal = await _flow(client, settings)
        await run_worker(client, lambda: outbox_done(client))
        r = await client.post("/v1/auth/session", json={"phone": personal[2], "code": "000000"})
        assert r.status in (422, 429)  # a refused login is logged too
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    logs = buf.getvalue()
    assert "POST /v1/reports/join" in logs  # the flow was logged
    assert [s for s in personal if s in logs] == []


def test_production_settings_refuse_the_development_secrets():
    good = {
        "environment": "production",
        "secret_key": "a-real-secret-from-the-vault-" + os.urandom(16).hex(),
        "data_keys": Fernet.generate_key().decode(),
        "sms_backend": "http",
        "public_base_url": "https://kuaichu.example.invalid",
        "court_url": "https://court.example.invalid",
        "sms_gateway_url": "https://sms.example.invalid/send",
        "court_outbound_secret": "whsec_" + base64.b64encode(os.urandom(32)).decode(),
        "court_inbound_secret": "whsec_" + base64.b64encode(os.urandom(32)).decode(),
    }
    Settings(**good)  # fully configured: accepted
    for missing in (
        "secret_key",
        "data_keys",
        "sms_backend",
        "court_outbound_secret",
        "court_inbound_secret",
    ):
        with pytest.raises(pydantic.ValidationError):
            Settings(**{k: v for k, v in good.items() if k != missing})
    with pytest.raises(pydantic.ValidationError):
        Settings(**good, bench_disable_rate_limits=True)
    with pytest.raises(pydantic.ValidationError):
        Settings(environment="production")

"""After whole cases (one agreed and signed, one disputed through the police to the court), nothing a database
dump or the service's files under var/ reveal holds a party's name, ID or licence number, phone, the accident
address or a policy number in clear; the agreement is still served decrypted to its parties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg

from tests.api import court_setup
from tests.api.court_setup import settings_with_court
from tests.api.evidence import keyring_of, run_worker, upload_required
from tests.api.fault_steps import (
    A_REAR_ENDS_B,
    Case,
    determine,
    give_accounts,
    police,
    respond,
    sign,
)
from tests.api.flows import CONSENT, ELIGIBLE_CASE, bearer, login, new_phone, party, report_body

settings = settings_with_court  # the settings pointing at the recording court (fixture `court`) on loopback


def _party(
    phone: str, *, name: str, id_kind: str, plate: str, insurer: str, policy: str
) -> dict[str, Any]:
    p = party(phone, plate=plate, insurer=insurer, name=name)
    p["driver"]["id_kind"] = id_kind
    p["insurance"]["policy_number"] = policy
    return p


async def _case(client, settings, tag: str) -> tuple[Case, list[str]]:
    """Two parties with their own names, ID numbers, phones, policy numbers and address, every creating step
    with an Idempotency-Key; returns the case (facts complete) and the personal strings entered."""
    a_phone, b_phone = new_phone(), new_phone()
    a = _party(
        a_phone,
        name=f"欧阳{tag}甲",
        id_kind="licence",
        plate=f"浙A{tag}001",
        insurer="PICC",
        policy=f"PDZA20263301{tag}71",
    )
    b = _party(
        b_phone,
        name=f"司马{tag}乙",
        id_kind="id_card",
        plate=f"浙B{tag}002",
        insurer="CPIC",
        policy=f"PDZB20263302{tag}82",
    )
    address = f"杭州市上城区望江东路{tag}号"
    session = await login(client, settings.var_dir, a_phone)
    r = await client.post(
        "/v1/reports",
        json=report_body(a_phone, party=a, address=address, invite_phone=b_phone),
        headers={**bearer(session), "Idempotency-Key": f"create-{tag}"},
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    rid = created["report"]["id"]
    await upload_required(client, rid, created["party_token"])
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(created["party_token"]))
    assert r.status == 200, await r.text()
    body = {
        "share_code": created["share_code"]["code"],
        "case_answers": dict(ELIGIBLE_CASE),
        "party": b,
        "consent": dict(CONSENT),
    }
    b_session = await login(client, settings.var_dir, b_phone)
    r = await client.post(
        "/v1/reports/join", json=body, headers={**bearer(b_session), "Idempotency-Key": f"j{tag}"}
    )
    assert r.status == 201, await r.text()
    joined = await r.json()
    case = Case(
        rid, {"A": created["party_token"], "B": joined["party_token"]}, {"A": a_phone, "B": b_phone}
    )
    personal = [
        a["driver"]["name"],
        a["driver"]["id_number"],
        a_phone,
        a["insurance"]["policy_number"],
        b["driver"]["name"],
        b["driver"]["id_number"],
        b_phone,
        b["insurance"]["policy_number"],
        address,
    ]
    return case, personal


async def _database_as_text(dsn: str) -> dict[str, list[str]]:
    """Every text, jsonb and bytea value of every table, read as the superuser: what a stolen backup shows.
    bytea is read as its bytes (decoded leniently), not as PostgreSQL's hex text."""
    conn = await asyncpg.connect(dsn)
    try:
        columns = await conn.fetch(
            """SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                 AND c.data_type IN ('text', 'jsonb', 'bytea', 'ARRAY', 'character varying')"""
        )
        dump: dict[str, list[str]] = {}
        for c in columns:
            table, column = c["table_name"], c["column_name"]
            cast = "" if c["data_type"] == "bytea" else "::text"
            rows = await conn.fetch(
                f'SELECT "{column}"{cast} AS v FROM "{table}" WHERE "{column}" IS NOT NULL'
            )
            values = [
                bytes(r["v"]).decode("utf-8", "replace") if c["data_type"] == "bytea" else r["v"]
                for r in rows
            ]
            dump.setdefault(table, []).extend(values)
        return dump
    finally:
        await conn.close()


def _files_as_text(var_dir: Path) -> dict[str, list[str]]:
    """The service's own files under var/ (photos, signature images, anything else it keeps). var/sms stands for
    the phone network in development (the texts as delivered), not for storage of the service."""
    return {
        str(p.relative_to(var_dir)): [p.read_bytes().decode("utf-8", "replace")]
        for p in var_dir.rglob("*")
        if p.is_file() and "sms" not in p.relative_to(var_dir).parts
    }


def _forms(value: str) -> set[str]:
    """A value as it would appear in clear: as is, and JSON-escaped."""
    return {value, json.dumps(value)[1:-1]}


async def test_a_dump_after_an_agreed_and_a_court_case_holds_no_name_id_phone_address_or_policy_in_clear(
    client, settings, court
):
    agreed, personal = await _case(client, settings, "71")
    state = await give_accounts(client, agreed, A_REAR_ENDS_B)
    version = state["proposal"]["version"]
    for label in ("A", "B"):
        r = await respond(client, agreed, label, version, key=f"accept-{label}")
        assert r.status == 200, await r.text()
    for label in ("A", "B"):
        r = await sign(client, settings, agreed, label, version)
        assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "agreed"

    disputed, more = await _case(client, settings, "93")
    personal += more
    state = await give_accounts(client, disputed, A_REAR_ENDS_B)
    r = await respond(
        client,
        disputed,
        "B",
        state["proposal"]["version"],
        "dispute",
        "对方急刹车",
        key="dispute-B",
    )
    assert r.status == 200, await r.text()
    r = await determine(client, disputed, await police(settings), {"A": "equal", "B": "equal"})
    assert r.status == 201, await r.text()
    body = {"determination_version": 1, "response": "dispute", "reason": "B车急刹车应负主要责任"}
    r = await client.post(
        disputed.url("/determination-responses"), json=body, headers=bearer(disputed.tokens["A"])
    )
    assert r.status == 200, await r.text()
    r = await client.post(
        disputed.url("/court-requests"),
        json={"reason": "不服认定，申请诉前调解"},
        headers={**bearer(disputed.tokens["A"]), "Idempotency-Key": "court-A"},
    )
    assert r.status == 201, await r.text()

    async def settled() -> bool:
        return (await court_setup.package_row(client, disputed.report_id))[
            "state"
        ] == "delivered" and not await court_setup.pool_of(client).fetchval(
            "SELECT count(*) FROM outbox WHERE status = 'pending'"
        )

    await run_worker(
        client, settled
    )  # texts, previews, claims and insurer webhooks, the court package
    assert (
        court.arrivals and personal[-1] in court.arrivals[0]["raw"].decode()
    )  # the court got it in clear

    # Served decrypted to the parties: the agreement's JSON and PDF.
    r = await client.get(
        f"/v1/reports/{agreed.report_id}/agreement", headers=bearer(agreed.tokens["B"])
    )
    assert r.status == 200
    doc = await r.json()
    assert [p["name"] for p in doc["parties"]] == [personal[0], personal[4]]
    assert doc["accident"]["place"]["address"] == personal[8]
    r = await client.get(
        f"/v1/reports/{agreed.report_id}/agreement.pdf", headers=bearer(agreed.tokens["A"])
    )
    assert r.status == 200 and (await r.read()).startswith(b"%PDF-")

    stored = await _database_as_text(settings.database_url) | _files_as_text(settings.var_dir)
    for table in (
        "parties",
        "reports",
        "fault_agreements",
        "court_packages",
        "outbox",
        "idempotency_keys",
        "audit_events",
        "claims",
    ):
        assert stored.get(table), table  # the cases wrote there
    leaks = sorted(
        {
            (where, value)
            for where, texts in stored.items()
            for text in texts
            for value in personal
            if any(form in text for form in _forms(value))
        }
    )
    assert leaks == [], "\n".join(f"{where}: {value}" for where, value in leaks)
    pdfs = sorted(where for where, texts in stored.items() for text in texts if "%PDF-" in text)
    assert pdfs == []  # no agreement PDF readable at rest


async def test_rows_written_before_encryption_covered_addresses_policies_and_agreements_still_read(
    client, settings, owner_database_url
):
    """Rows as they were before migration 0011 (address, policy number, agreement JSON and PDF in the plain
    columns) read exactly as the sealed ones do."""
    case, personal = await _case(client, settings, "55")
    state = await give_accounts(client, case, A_REAR_ENDS_B)
    for label in ("A", "B"):
        assert (await respond(client, case, label, state["proposal"]["version"])).status == 200
    for label in ("A", "B"):
        assert (
            await sign(client, settings, case, label, state["proposal"]["version"])
        ).status == 200
    url = f"/v1/reports/{case.report_id}"
    before = [
        await (await client.get(url + tail, headers=bearer(case.tokens["A"]))).read()
        for tail in ("", "/agreement", "/agreement.pdf")
    ]
    k = keyring_of(settings)
    conn = await asyncpg.connect(
        owner_database_url
    )  # the owner: agreements are append-only for the app
    try:
        async with conn.transaction():
            await conn.execute(
                "UPDATE reports SET address = $2, address_enc = NULL WHERE id = $1::uuid",
                case.report_id,
                personal[8],
            )
            for p in await conn.fetch(
                "SELECT id, policy_number_enc FROM parties WHERE report_id = $1::uuid",
                case.report_id,
            ):
                await conn.execute(
                    "UPDATE parties SET policy_number = $2, policy_number_enc = NULL WHERE id = $1",
                    p["id"],
                    k.decrypt(p["policy_number_enc"]),
                )
            row = await conn.fetchrow(
                "SELECT content_enc, pdf_enc FROM fault_agreements WHERE report_id = $1::uuid",
                case.report_id,
            )
            await conn.execute(
                """UPDATE fault_agreements SET content = $2::text::jsonb, content_enc = NULL, pdf = $3, pdf_enc = NULL
                   WHERE report_id = $1::uuid""",
                case.report_id,
                k.unseal(row["content_enc"]).decode(),
                k.unseal(row["pdf_enc"]),
            )
        assert (
            await conn.fetchval("SELECT count(*) FROM parties WHERE policy_number IS NOT NULL") == 2
        )
    finally:
        await conn.close()
    after = [
        await (await client.get(url + tail, headers=bearer(case.tokens["A"]))).read()
        for tail in ("", "/agreement", "/agreement.pdf")
    ]
    assert after == before
    report = json.loads(after[0])
    assert report["address"] == personal[8]
    assert report["parties"][0]["insurance"]["policy_number"] == personal[3]

"""交强险条例 §28 runs per line from that insurer's receipt of the application: its `claim.opened` delivered (2xx)
or its first read of the claim through the API, whichever is first; `claim.received` announces it once. Real
workers deliver to verifying receivers on loopback; the claims are read over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from claims import repository as repo
from claims.views import overdue_list
from kuaichu.db import connect
from tests.api.claims_setup import opened_case, sql
from tests.integration.delivery import point_insurer, run_workers
from tests.integration.webhook_receiver import Receiver, new_secret, start


async def receivers(settings, aiohttp_server) -> dict[str, Receiver]:
    out = {}
    for code in ("PICC", "CPIC"):
        secret = new_secret()
        out[code] = await start(aiohttp_server, [secret])
        await point_insurer(settings.database_url, out[code].url, [{"secret": secret}], code=code)
    return out


def events(rx: Receiver, event_type: str) -> list[dict]:
    return [a.event["data"] for a in rx.arrivals if a.event["type"] == event_type]


async def lines(settings) -> dict[str, dict]:
    rows = await sql(
        settings,
        "SELECT l.id, l.insurer_code, l.received_at, l.received_via, c.label "
        "FROM claim_lines l JOIN claims c ON c.id = l.claim_id",
    )
    return {r["insurer_code"]: dict(r) for r in rows}


async def idle(settings) -> bool:
    return not await sql(settings, "SELECT 1 FROM outbox WHERE status = 'pending'")


async def test_the_first_of_delivery_and_read_is_the_receipt_and_claim_received_arrives_once(
    client, settings, aiohttp_server
):
    rx = await receivers(settings, aiohttp_server)
    # A 100 % / B 0 %: PICC (A's insurer) has a line on B's claim, CPIC (B's, no-fault limit) one on A's.
    _, auth, claims, _ = await opened_case(client, settings, {"A": 100, "B": 0})
    # CPIC reads A's claim before any webhook left: that read is its receipt
    r = await client.get(f"/v1/insurer/claims/{claims['A']}", headers=auth["CPIC"])
    read = await r.json()
    assert read["line"]["received_via"] == "api_read"
    [listed] = read["deadlines"]
    assert listed["duty"] == "documents_listed" and listed["state"] == "open"

    async def announced() -> bool:
        return all(events(x, "claim.received") for x in rx.values()) and await idle(settings)

    await run_workers(settings, announced, limit_s=30)
    assert await announced()
    now = await lines(settings)
    # PICC's receipt is the delivery of its claim.opened for B's claim (2xx)
    assert (now["PICC"]["label"], now["PICC"]["received_via"]) == ("B", "webhook")
    [opened_b] = [e for e in events(rx["PICC"], "claim.opened") if e["vehicle_label"] == "B"]
    assert (
        opened_b["line"]["line_id"] == str(now["PICC"]["id"])
        and opened_b["role"] == "liable_party_insurer"
    )
    [received] = events(rx["PICC"], "claim.received")
    calendar = await _calendar(settings)
    at = now["PICC"]["received_at"]
    assert {k: received[k] for k in ("claim_id", "line_id", "insurer_code", "received_via")} == {
        "claim_id": claims["B"],
        "line_id": str(now["PICC"]["id"]),
        "insurer_code": "PICC",
        "received_via": "webhook",
    }
    assert datetime.fromisoformat(received["received_at"]) == at
    assert (
        datetime.fromisoformat(received["documents_due_at"]) == calendar.due(at, 1).at
    )  # next day's 24:00
    assert received["documents_due_provisional"] is False
    # CPIC's claim.opened was delivered after its read: the read stays the receipt, announced once
    [cpic_received] = events(rx["CPIC"], "claim.received")
    assert cpic_received["received_via"] == "api_read" and now["CPIC"]["received_via"] == "api_read"
    assert datetime.fromisoformat(cpic_received["received_at"]) == now["CPIC"]["received_at"]
    # reads after the receipt change nothing and announce nothing again
    for insurer, label in (("PICC", "B"), ("CPIC", "A")):
        r = await client.get(f"/v1/insurer/claims/{claims[label]}", headers=auth[insurer])
        assert (await r.json())["line"]["received_at"] == now[insurer]["received_at"].isoformat()
    assert (await client.get("/v1/insurer/claims", headers=auth["PICC"])).status == 200
    await run_workers(settings, lambda: asyncio.sleep(0.3, result=True))
    assert [len(events(x, "claim.received")) for x in rx.values()] == [1, 1]
    # the announcement follows the claim's opening at each insurer (one ordering key per claim)
    types = [
        a.event["type"]
        for a in rx["PICC"].arrivals
        if a.event["data"].get("claim_id") == claims["B"]
    ]
    assert types.index("claim.opened") < types.index("claim.received")


async def test_the_documents_clock_does_not_run_while_the_endpoint_is_disabled_and_the_claim_unread(
    client, settings, aiohttp_server
):
    rx = await receivers(settings, aiohttp_server)
    await sql(
        settings,
        "UPDATE insurers SET webhook_disabled_at = now(), webhook_disabled_reason = 'HTTP 410' "
        "WHERE code = 'PICC'",
    )
    _, auth, claims, drivers = await opened_case(client, settings, {"A": 100, "B": 0})
    await run_workers(settings, lambda: _received_by(settings, "CPIC"), limit_s=30)
    assert events(rx["PICC"], "claim.opened") == []  # nothing leaves for a disabled endpoint
    state = await lines(settings)
    assert state["PICC"]["received_at"] is None and state["CPIC"]["received_via"] == "webhook"
    # B, the claimant, sees why no clock runs on PICC's line yet
    [mine] = await _driver_view(client, settings, drivers["B"])
    [picc_line] = mine["lines"]
    assert (picc_line["insurer_code"], picc_line["waiting"], picc_line["deadlines"]) == (
        "PICC",
        "endpoint_disabled",
        [],
    )
    # a month on, only the line whose insurer received is late
    conn = await connect(settings.database_url)
    try:
        late = await overdue_list(
            conn, insurer_code=None, limit=10, now=datetime.now(UTC) + timedelta(days=30)
        )
    finally:
        await conn.close()
    assert [(c["label"], c["line"]["insurer_code"]) for c in late] == [("A", "CPIC")]
    # PICC reads the claim through the API: received now, its one day runs from this read
    r = await client.get(f"/v1/insurer/claims/{claims['B']}", headers=auth["PICC"])
    line = (await r.json())["line"]
    assert line["received_via"] == "api_read" and [d["state"] for d in line["deadlines"]] == [
        "open"
    ]
    # re-enabled, the endpoint gets claim.opened, then claim.received once, carrying the read as the receipt
    r = await client.post("/v1/admin/insurers/PICC/webhook/enable", headers=auth["admin"])
    assert r.status == 200
    await run_workers(settings, lambda: _arrived(rx["PICC"], "claim.received"), limit_s=30)
    [received] = events(rx["PICC"], "claim.received")
    assert received["received_via"] == "api_read" and received["line_id"] == line["id"]
    assert (await lines(settings))["PICC"]["received_via"] == "api_read"


async def _received_by(settings, code: str) -> bool:
    return (await lines(settings))[code]["received_at"] is not None


async def _arrived(rx: Receiver, event_type: str) -> bool:
    return bool(events(rx, event_type))


async def _driver_view(client, settings, headers) -> list[dict]:
    [row] = await sql(settings, "SELECT DISTINCT report_id FROM claims")
    r = await client.get(f"/v1/reports/{row['report_id']}/claims", headers=headers)
    assert r.status == 200
    return (await r.json())["claims"]


async def _calendar(settings):
    conn = await connect(settings.database_url)
    try:
        return await repo.holiday_calendar(conn)
    finally:
        await conn.close()

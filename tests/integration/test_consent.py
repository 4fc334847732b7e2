"""Consent to sharing (PIPL art. 23): without it nothing about the case reaches an insurer."""

from __future__ import annotations

import uuid

from claims.webhooks import enqueue_insurer_event
from kuaichu.db import connect
from tests.api.flows import CONSENT, bearer, create_report
from tests.integration.delivery import EVENT_AT, all_in, point_insurer, rows, run_workers
from tests.integration.webhook_receiver import new_secret, start


async def _dispute_event(dsn: str, report_id: str) -> uuid.UUID:
    conn = await connect(dsn)
    try:
        async with conn.transaction():
            return await enqueue_insurer_event(
                conn,
                insurer_code="PICC",
                event_type="report.disputed",
                occurred_at=EVENT_AT,
                report_id=uuid.UUID(report_id),
                data={"report_id": report_id, "party_label": "A", "reason": "不同意"},
                dedupe_key=f"dispute:{report_id}",
            )
    finally:
        await conn.close()


async def test_a_case_without_sharing_consent_is_held_back_until_the_party_consents(
    client, settings, aiohttp_server, admin_token
):
    secret = new_secret()
    rx = await start(aiohttp_server, [secret])
    await point_insurer(settings.database_url, rx.url, [{"secret": secret}])
    a = await create_report(client, settings.var_dir, consent={**CONSENT, "sharing": False})
    report_id = a["report"]["id"]
    msg_id = await _dispute_event(settings.database_url, report_id)

    await run_workers(settings, all_in(settings.database_url, "parked", 1))
    [row] = [r for r in await rows(settings.database_url) if r["id"] == msg_id]
    assert row["status"] == "parked" and "consent" in row["last_error"]
    assert rx.arrivals == []  # nothing left the service

    r = await client.post(
        f"/v1/reports/{report_id}/consent", json=CONSENT, headers=bearer(a["party_token"])
    )
    assert r.status == 200
    assert (await r.json()) == {"sharing": True, "parties_withholding_sharing": []}
    r = await client.post(f"/v1/admin/outbox/{msg_id}/replay", headers=admin_token)
    assert r.status == 202
    await run_workers(settings, all_in(settings.database_url, "delivered", 1))
    assert [arrival.webhook_id for arrival in rx.arrivals] == [f"msg_{msg_id.hex}"]


async def test_withdrawing_sharing_consent_is_recorded_and_audited(client, settings, admin_token):
    a = await create_report(client, settings.var_dir)
    report_id = a["report"]["id"]
    r = await client.post(
        f"/v1/reports/{report_id}/consent",
        json={**CONSENT, "sharing": False},
        headers=bearer(a["party_token"]),
    )
    assert (await r.json()) == {"sharing": False, "parties_withholding_sharing": ["A"]}
    r = await client.get(f"/v1/reports/{report_id}/audit", headers=admin_token)
    actions = [(e["entity"], e["action"]) for e in (await r.json())["events"]]
    assert ("consent", "sharing_withdrawn") in actions

"""The court's callbacks: signed with the inbound secret or refused 401, processed once per webhook-id, moving
the report through the court's stages and shown to the parties; a late older callback moves nothing back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from tests.api.flows import bearer
from tests.api.test_court_flow import court_case, package_row, pool_of


def signed(secret: str, body: dict, *, msg_id: str, at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    at = (at or datetime.now(UTC)).replace(microsecond=0)
    return raw, {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
                 "webhook-signature": Webhook(secret).sign(msg_id, at, raw.decode()),
                 "Content-Type": "application/json"}


def event(package_id: str, type_: str, sequence: int, **data) -> dict:
    return {"type": type_, "package_id": package_id, "case_number": "（2026）浙0102民诉前调7号", "sequence": sequence,
            "occurred_at": datetime.now(UTC).isoformat(), "data": data}


async def status_of(client, case) -> str:
    r = await client.get(f"/v1/reports/{case.report_id}", headers=bearer(case.tokens["A"]))
    return (await r.json())["status"]


async def test_a_callback_signed_with_another_key_or_stale_is_refused_401_and_changes_nothing(client, settings):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    inbound = settings.court_inbound_secret.get_secret_value()
    outbound = settings.court_outbound_secret.get_secret_value()
    for secret, at in ((outbound, None), (inbound, datetime.now(UTC) - timedelta(minutes=6)),
                       (inbound, datetime.now(UTC) + timedelta(minutes=6))):
        raw, headers = signed(secret, event(pkg, "accepted", 1), msg_id="cb-1", at=at)
        r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
        assert r.status == 401 and r.content_type == "application/problem+json"
    r = await client.post("/v1/court/callbacks", json=event(pkg, "accepted", 1))
    assert r.status == 401
    assert await status_of(client, case) == "court_requested"
    assert await pool_of(client).fetchval("SELECT count(*) FROM court_callbacks") == 0


async def test_callbacks_move_the_report_once_per_webhook_id_and_the_parties_see_them(client, settings):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    inbound = settings.court_inbound_secret.get_secret_value()
    raw, headers = signed(inbound, event(pkg, "accepted", 1), msg_id="cb-accepted")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 200 and (await r.json())["result"] == "processed"
    assert await status_of(client, case) == "court_accepted"
    audit_before = await pool_of(client).fetchval("SELECT count(*) FROM audit_events")
    raw, headers = signed(inbound, event(pkg, "accepted", 1), msg_id="cb-accepted")  # the court retries
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 200 and (await r.json())["result"] == "duplicate"
    assert await pool_of(client).fetchval("SELECT count(*) FROM audit_events") == audit_before

    later = event(pkg, "mediation_agreement", 3, agreement="A赔偿B 1500元")
    raw, headers = signed(inbound, later, msg_id="cb-agreement")
    assert (await client.post("/v1/court/callbacks", data=raw, headers=headers)).status == 200
    late = event(pkg, "mediation_scheduled", 2, scheduled_at="2026-05-20 09:30")
    raw, headers = signed(inbound, late, msg_id="cb-scheduled")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert (await r.json())["result"] == "recorded"
    assert await status_of(client, case) == "court_mediated"  # the older one did not move it back

    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["B"]))
    summary = await r.json()
    assert [e["type"] for e in summary["events"]] == ["accepted", "mediation_scheduled", "mediation_agreement"]
    assert "民诉前调7号" in summary["events"][0]["zh"] and "2026年5月20日 09:30" in summary["events"][1]["zh"]
    actions = await pool_of(client).fetch(
        "SELECT action, actor_kind FROM audit_events WHERE entity = 'report' AND actor_kind = 'court' ORDER BY id")
    assert [a["action"] for a in actions] == ["court_accepted", "court_mediated"]


async def test_a_callback_for_an_unknown_package_is_404_and_a_malformed_one_422(client, settings):
    inbound = settings.court_inbound_secret.get_secret_value()
    raw, headers = signed(inbound, event("pkg_doesnotexist00", "judgment", 1), msg_id="cb-x")
    assert (await client.post("/v1/court/callbacks", data=raw, headers=headers)).status == 404
    raw, headers = signed(inbound, {"type": "verdict", "package_id": "p"}, msg_id="cb-y")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 422 and any(e["pointer"] == "#/type" for e in (await r.json())["errors"])


async def test_the_parties_read_the_mediation_time_in_beijing_time_as_people_write_it(client, settings):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    inbound = settings.court_inbound_secret.get_secret_value()
    events = (("accepted", {}), ("mediation_scheduled", {"scheduled_at": "2026-12-08T09:30:00Z"}))
    for n, (type_, data) in enumerate(events, start=1):
        raw, headers = signed(inbound, event(pkg, type_, n, **data), msg_id=f"cb-{n}")
        assert (await client.post("/v1/court/callbacks", data=raw, headers=headers)).status == 200
    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["A"]))
    scheduled = (await r.json())["events"][1]
    assert scheduled["zh"] == "法院已安排调解（2026年12月8日 17:30），请按通知参加。"
    assert scheduled["en"] == "The court scheduled mediation for 8 Dec 2026, 17:30 Beijing time."

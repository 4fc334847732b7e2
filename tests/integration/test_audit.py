"""The audit trail of a whole report, from creation to the worker's deliveries: complete and append-only."""

from __future__ import annotations

import re
import uuid
from collections import Counter

import asyncpg
import pytest

from kuaichu.db import connect
from tests.api.evidence import outbox_done, run_worker, staff_token, upload_required
from tests.api.flows import bearer, create_report, join, login, new_phone, sms_messages


async def _full_flow(client, settings) -> dict:
    """A reports and invites B by phone; photos, submission, the worker's texts and previews; B joins."""
    b_phone = new_phone()
    a = await create_report(client, settings.var_dir, invite_phone=b_phone)
    rid = a["report"]["id"]
    await upload_required(client, rid, a["party_token"])
    r = await client.post(f"/v1/reports/{rid}/submit", headers=bearer(a["party_token"]))
    assert (await r.json())["status"] == "awaiting_parties"
    await run_worker(client, lambda: outbox_done(client))
    [invitation] = [m for m in sms_messages(settings.var_dir) if m["to"] == b_phone]
    code = re.search(r"分享码 (\S{4}-\S{4})", invitation["text"]).group(1)
    b_session = await login(client, settings.var_dir, b_phone)
    status, b, _ = await join(client, settings.var_dir, code, phone=b_phone, session=b_session)
    assert status == 201, b
    await run_worker(client, lambda: outbox_done(client))  # A's text that B joined
    assert b["report"]["status"] == "facts_complete"
    return {"report_id": rid, "a_party": a["party_id"], "b_party": b["party_id"]}


async def test_every_step_of_a_report_leaves_an_audit_event_with_its_actor(client, settings):
    flow = await _full_flow(client, settings)
    police = await staff_token(settings, "police")
    r = await client.get(f"/v1/reports/{flow['report_id']}/audit", headers=bearer(police))
    assert r.status == 200
    events = (await r.json())["events"]
    seen = Counter((e["entity"], e["action"], e["actor_kind"]) for e in events)
    assert seen >= Counter(
        {
            ("report", "created", "party"): 1,
            ("share_code", "issued", "party"): 1,
            ("party", "joined", "party"): 2,
            ("consent", "given", "party"): 2,
            ("photo", "uploaded", "party"): 3,
            ("report", "evidence_submitted", "party"): 1,
            ("photo", "derivatives_ready", "system"): 3,
            ("message", "delivered", "system"): 4,  # the invitation and three derivative jobs
            ("report", "facts_complete", "party"): 1,
        }
    )
    queued = {e["entity_id"] for e in events if (e["entity"], e["action"]) == ("message", "queued")}
    delivered = {
        e["entity_id"] for e in events if (e["entity"], e["action"]) == ("message", "delivered")
    }
    assert len(queued) == 5 and queued == delivered

    by_action = {(e["entity"], e["action"]): e for e in events}
    assert by_action[("report", "created")]["actor_id"] == flow["a_party"]
    assert by_action[("report", "facts_complete")]["actor_id"] == flow["b_party"]
    assert by_action[("report", "evidence_submitted")]["changes"]["status"] == {
        "before": "draft",
        "after": "awaiting_parties",
    }
    assert by_action[("report", "facts_complete")]["changes"]["status"] == {
        "before": "awaiting_parties",
        "after": "facts_complete",
    }
    joined = [e for e in events if (e["entity"], e["action"]) == ("party", "joined")]
    assert {e["changes"]["label"]["after"] for e in joined} == {"A", "B"}
    assert [e["id"] for e in events] == sorted(
        e["id"] for e in events
    )  # in the order things happened


async def test_admins_read_the_audit_trail_too(client, settings):
    a = await create_report(client, settings.var_dir)
    admin = await staff_token(settings, "admin")
    r = await client.get(f"/v1/reports/{a['report']['id']}/audit", headers=bearer(admin))
    assert r.status == 200
    assert {e["action"] for e in (await r.json())["events"]} >= {
        "created",
        "joined",
        "given",
        "issued",
    }


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'nothing_happened'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
async def test_the_application_cannot_rewrite_or_erase_the_audit_trail(client, settings, statement):
    await create_report(client, settings.var_dir)
    conn = await connect(settings.database_url)
    try:
        before = await conn.fetch("SELECT id, action FROM audit_events ORDER BY id")
        assert before
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
        assert await conn.fetch("SELECT id, action FROM audit_events ORDER BY id") == before
        await conn.execute(  # appending stays allowed
            """INSERT INTO audit_events (entity, entity_id, action, actor_kind)
               VALUES ('test', 'x', 'noted', 'system')"""
        )
    finally:
        await conn.close()


async def test_the_audit_trail_of_a_report_that_does_not_exist_is_not_found(client, settings):
    police = await staff_token(settings, "police")
    r = await client.get(f"/v1/reports/{uuid.uuid4()}/audit", headers=bearer(police))
    assert r.status == 404  # not an empty trail, which would read as "nothing happened"
    assert (await r.json())["type"] == "/problems/report-not-found"

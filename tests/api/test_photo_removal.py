"""A driver removes a wrong photo before submitting the evidence; it leaves the report's views but stays as
evidence, and cannot be removed once the evidence is submitted."""

from __future__ import annotations

from kuaichu.keys import SERVICES
from tests.api.evidence import phone_jpeg, upload, upload_required
from tests.api.flows import bearer, create_report, join


async def test_a_wrong_photo_is_removed_before_submission_and_kept_as_evidence(client, settings):
    a = await create_report(client, settings.var_dir)
    report_id, token = a["report"]["id"], a["party_token"]
    r = await upload(client, report_id, token, "impact_point", phone_jpeg(shade=40))
    assert r.status == 201
    wrong = (await r.json())["id"]
    url = f"/v1/reports/{report_id}/photos/{wrong}"

    status, b, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    r = await client.delete(url, headers=bearer(b["party_token"]))
    assert r.status == 404  # only who took it removes it

    r = await client.delete(url, headers=bearer(token))
    assert r.status == 200, await r.text()
    removed = await r.json()
    assert removed["removed"] is True and "impact_point" in removed["missing_photo_kinds"]
    again = await client.delete(url, headers=bearer(token))
    assert again.status == 200 and await again.json() == removed  # a retry answers the same
    view = await (await client.get(f"/v1/reports/{report_id}", headers=bearer(token))).json()
    assert wrong not in [p["id"] for p in view["photos"]]
    r = await upload(client, report_id, token, "impact_point", phone_jpeg(shade=40))
    assert r.status == 409 and (await r.json())["type"] == "/problems/photo-removed"

    db = client.server.app[SERVICES].pool
    assert (
        await db.fetchval("SELECT count(*) FROM photos WHERE id = $1::uuid", wrong) == 1
    )  # still evidence
    audit = await db.fetchval(
        "SELECT action FROM audit_events WHERE entity_id = $1 AND action = 'removed'", wrong
    )
    assert audit == "removed"

    await upload_required(client, report_id, token)
    r = await client.post(f"/v1/reports/{report_id}/submit", headers=bearer(token))
    assert r.status == 200, await r.text()
    kept = (await r.json())["photos"][0]["id"]
    r = await client.delete(f"/v1/reports/{report_id}/photos/{kept}", headers=bearer(token))
    assert r.status == 409  # submitted: the evidence is fixed

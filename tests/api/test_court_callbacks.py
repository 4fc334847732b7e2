"""The court's callbacks: signed with the inbound secret or refused 401, processed once per webhook-id, moving
the report through the court's stages and shown to the parties; a late older callback or an earlier stage moves
nothing back, another case number is refused and kept for operators, and a large or trickling body is refused
before it can hold the handler."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from standardwebhooks import Webhook

from tests.api.court_setup import court_case, package_row, pool_of, work
from tests.api.fault_steps import staff_token
from tests.api.flows import bearer


@pytest.fixture
def settings(settings, court):  # the recording court, and a short body timeout
    return settings.model_copy(
        update={"court_url": court.url, "court_callback_read_timeout_s": 0.5}
    )


def signed(
    secret: str, body: dict, *, msg_id: str, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    at = (at or datetime.now(UTC)).replace(microsecond=0)
    return raw, {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, raw.decode()),
        "Content-Type": "application/json",
    }


COURT_NUMBER = "（2026）浙0102民诉前调1号"  # what the recording court of court_setup answers


def event(
    package_id: str, type_: str, sequence: int, *, case_number: str = COURT_NUMBER, **data
) -> dict:
    return {
        "type": type_,
        "package_id": package_id,
        "case_number": case_number,
        "sequence": sequence,
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": data,
    }


async def delivered_case(client, settings):
    """A court case whose package the (recording) court accepted, so the package has its case number."""
    case = await court_case(client, settings)

    async def delivered() -> bool:
        return (await package_row(client, case.report_id))["state"] == "delivered"

    await work(client, delivered)
    row = await package_row(client, case.report_id)
    assert row["case_number"] == COURT_NUMBER
    return case, row["package_id"]


async def call(client, settings, body: dict, msg_id: str):
    raw, headers = signed(settings.court_inbound_secret.get_secret_value(), body, msg_id=msg_id)
    return await client.post("/v1/court/callbacks", data=raw, headers=headers)


async def status_of(client, case) -> str:
    r = await client.get(f"/v1/reports/{case.report_id}", headers=bearer(case.tokens["A"]))
    return (await r.json())["status"]


async def test_a_callback_signed_with_another_key_or_stale_is_refused_401_and_changes_nothing(
    client, settings
):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    inbound = settings.court_inbound_secret.get_secret_value()
    outbound = settings.court_outbound_secret.get_secret_value()
    for secret, at in (
        (outbound, None),
        (inbound, datetime.now(UTC) - timedelta(minutes=6)),
        (inbound, datetime.now(UTC) + timedelta(minutes=6)),
    ):
        raw, headers = signed(secret, event(pkg, "accepted", 1), msg_id="cb-1", at=at)
        r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
        assert r.status == 401 and r.content_type == "application/problem+json"
    r = await client.post("/v1/court/callbacks", json=event(pkg, "accepted", 1))
    assert r.status == 401
    assert await status_of(client, case) == "court_requested"
    assert await pool_of(client).fetchval("SELECT count(*) FROM court_callbacks") == 0


async def test_callbacks_move_the_report_once_per_webhook_id_and_the_parties_see_them(
    client, settings
):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    inbound = settings.court_inbound_secret.get_secret_value()
    raw, headers = signed(inbound, event(pkg, "accepted", 1), msg_id="cb-accepted")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 200 and (await r.json())["result"] == "processed"
    assert await status_of(client, case) == "court_accepted"
    audit_before = await pool_of(client).fetchval("SELECT count(*) FROM audit_events")
    raw, headers = signed(
        inbound, event(pkg, "accepted", 1), msg_id="cb-accepted"
    )  # the court retries
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 200 and (await r.json())["result"] == "duplicate"
    assert await pool_of(client).fetchval("SELECT count(*) FROM audit_events") == audit_before

    later = event(pkg, "mediation_agreement", 3, agreement="A赔偿B 1500元")
    raw, headers = signed(inbound, later, msg_id="cb-agreement")
    assert (await client.post("/v1/court/callbacks", data=raw, headers=headers)).status == 200
    late = event(pkg, "mediation_scheduled", 2, scheduled_at="2026-05-20 09:30")
    raw, headers = signed(inbound, late, msg_id="cb-scheduled")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert (await r.json())["result"] == "recorded_not_applied"
    assert await status_of(client, case) == "court_mediated"  # the older one did not move it back

    r = await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["B"]))
    summary = await r.json()
    assert [e["type"] for e in summary["events"]] == [
        "accepted",
        "mediation_scheduled",
        "mediation_agreement",
    ]
    assert (
        "民诉前调1号" in summary["events"][0]["zh"]
        and "2026年5月20日 09:30" in summary["events"][1]["zh"]
    )
    actions = await pool_of(client).fetch(
        "SELECT action, actor_kind FROM audit_events WHERE entity = 'report' AND actor_kind = 'court' ORDER BY id"
    )
    assert [a["action"] for a in actions] == ["court_accepted", "court_mediated"]


async def test_a_callback_for_an_unknown_package_is_404_and_a_malformed_one_422(client, settings):
    inbound = settings.court_inbound_secret.get_secret_value()
    raw, headers = signed(inbound, event("pkg_doesnotexist00", "judgment", 1), msg_id="cb-x")
    assert (await client.post("/v1/court/callbacks", data=raw, headers=headers)).status == 404
    raw, headers = signed(inbound, {"type": "verdict", "package_id": "p"}, msg_id="cb-y")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 422 and any(e["pointer"] == "#/type" for e in (await r.json())["errors"])


async def test_a_callback_naming_another_case_number_is_refused_422_kept_for_operators_and_moves_nothing(
    client, settings
):
    case, pkg = await delivered_case(client, settings)
    other = event(pkg, "judgment", 1, case_number="（2026）浙0102民初99号")
    for _ in range(2):  # the court retrying it gets the same refusal, not a "duplicate" 2xx
        r = await call(client, settings, other, "cb-other-case")
        problem = await r.json()
        assert r.status == 422 and r.content_type == "application/problem+json"
        assert (
            problem["type"].endswith("/case-number-mismatch")
            and problem["zh"]["detail"]
            and problem["en"]["detail"]
        )
    assert await status_of(client, case) == "court_requested"

    admin = bearer(await staff_token(settings, "admin"))
    view = await (await client.get(f"/v1/court/cases/{pkg}", headers=admin)).json()
    assert [(c["webhook_id"], c["outcome"], c["case_number"]) for c in view["callbacks"]] == [
        ("cb-other-case", "case_number_mismatch", "（2026）浙0102民初99号")
    ]
    assert view["events"] == []
    summary = await (
        await client.get(f"/v1/reports/{case.report_id}/court", headers=bearer(case.tokens["A"]))
    ).json()
    assert summary["events"] == []  # the parties never see another case's news

    r = await call(client, settings, event(pkg, "accepted", 1), "cb-accepted")
    assert r.status == 200 and (await r.json())["result"] == "processed"
    assert await status_of(client, case) == "court_accepted"


async def test_a_stale_sequence_or_an_earlier_stage_is_recorded_not_applied_and_shown_to_operators(
    client, settings
):
    case, pkg = await delivered_case(client, settings)
    assert (
        await call(client, settings, event(pkg, "mediation_agreement", 2), "cb-2")
    ).status == 200
    stale = await call(
        client, settings, event(pkg, "judgment", 2), "cb-2-again"
    )  # a new id, the same sequence
    assert stale.status == 200 and (await stale.json())["result"] == "recorded_not_applied"
    backwards = await call(
        client, settings, event(pkg, "accepted", 3), "cb-3"
    )  # a newer sequence, an older stage
    assert backwards.status == 200 and (await backwards.json())["result"] == "recorded_not_applied"
    assert await status_of(client, case) == "court_mediated"
    admin = bearer(await staff_token(settings, "admin"))
    view = await (await client.get(f"/v1/court/cases/{pkg}", headers=admin)).json()
    assert {c["webhook_id"]: c["outcome"] for c in view["callbacks"]} == {
        "cb-2": "applied",
        "cb-2-again": "stale",
        "cb-3": "backwards",
    }
    forward = await call(client, settings, event(pkg, "judicial_confirmation", 3), "cb-3b")
    assert (await forward.json())["result"] == "processed"
    assert await status_of(client, case) == "court_confirmed"


async def test_a_sequence_more_than_1000_above_the_last_applied_is_refused_422_and_changes_nothing(
    client, settings
):
    case, pkg = await delivered_case(client, settings)
    assert (await call(client, settings, event(pkg, "accepted", 5), "cb-5")).status == 200
    r = await call(client, settings, event(pkg, "judgment", 1006), "cb-far")
    assert r.status == 422 and any(e["pointer"] == "#/sequence" for e in (await r.json())["errors"])
    assert await status_of(client, case) == "court_accepted"
    assert await pool_of(client).fetchval("SELECT count(*) FROM court_callbacks") == 1
    assert (await call(client, settings, event(pkg, "judgment", 1005), "cb-1005")).status == 200
    assert await status_of(client, case) == "court_judged"


async def test_a_callback_body_over_the_limit_is_refused_413_whether_announced_or_chunked(
    client, settings
):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    big = event(pkg, "accepted", 1, note="x" * settings.court_callback_max_bytes)
    raw, headers = signed(settings.court_inbound_secret.get_secret_value(), big, msg_id="cb-big")
    r = await client.post("/v1/court/callbacks", data=raw, headers=headers)
    assert r.status == 413 and r.content_type == "application/problem+json"

    async def chunks():
        for i in range(0, len(raw), 8192):
            yield raw[i : i + 8192]

    r = await client.post(
        "/v1/court/callbacks", data=chunks(), headers=headers
    )  # no Content-Length
    assert r.status == 413 and (await r.json())["type"].endswith("/court-callback-too-large")
    assert await status_of(client, case) == "court_requested"
    assert await pool_of(client).fetchval("SELECT count(*) FROM court_callbacks") == 0


async def test_a_client_trickling_its_callback_body_gets_408_instead_of_holding_the_handler(
    client, settings
):
    case = await court_case(client, settings)
    pkg = (await package_row(client, case.report_id))["package_id"]
    raw, headers = signed(
        settings.court_inbound_secret.get_secret_value(),
        event(pkg, "accepted", 1),
        msg_id="cb-slow",
    )
    url = urlsplit(str(client.make_url("/v1/court/callbacks")))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [
        f"POST {url.path} HTTP/1.1",
        f"Host: {url.netloc}",
        f"Content-Length: {len(raw)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + raw[:10])  # the rest never comes
    await writer.drain()
    try:  # the answer comes at once; the server may linger before closing, so read only the answer
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
        )
        body = json.loads(await asyncio.wait_for(reader.readexactly(length), 30))
    finally:
        writer.close()
    assert head.split()[1] == b"408" and body["type"].endswith("/request-body-timeout")
    assert await status_of(client, case) == "court_requested"


async def test_the_parties_read_the_mediation_time_in_beijing_time_as_people_write_it(
    client, settings
):
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

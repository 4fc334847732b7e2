"""Photo links handed to insurers and the court are checked when they are used: a link delivered in a webhook (to
a real verifying receiver on loopback) stops working once a party withdraws its sharing consent or its insurer no
longer has a claim on the report, cannot be turned into another recipient's, and a fresh read of the claim, task
or case answers with links that work."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from claims.service import ClaimsContext, on_report_settled
from kernel.photo_links import COURT, insurer, signed_photo_link
from kuaichu.db import create_pool
from kuaichu.settings import Settings
from tests.api.claims_setup import keyring, settled, sql, tokens
from tests.api.court_setup import court_case, package_row
from tests.api.evidence import phone_jpeg, staff_token, upload
from tests.api.flows import CONSENT, bearer, create_report, join
from tests.integration.assessment_setup import ctx_of, token_of
from tests.integration.assessment_setup import settled as routing_settled
from tests.integration.delivery import point_insurer, run_workers
from tests.integration.webhook_receiver import Receiver, new_secret, start


def local(url: str) -> str:
    """The link's path and query, to fetch from the app under test (its public address is elsewhere)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def problem_of(client, url: str) -> str:
    r = await client.get(local(url))
    assert r.status == 403 and r.content_type == "application/problem+json", r.status
    body = await r.json()
    assert body["zh"]["detail"] and body["en"]["detail"]
    return body["type"].rsplit("/", 1)[-1]


async def settle(settings: Settings, report_id, shares: dict[str, int]) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        ctx = ClaimsContext(
            pool=pool,
            keyring=keyring(settings),
            public_base_url=settings.public_base_url,
            photo_link_ttl_s=settings.photo_link_ttl_s,
        )
        await on_report_settled(ctx, payload=settled(report_id, shares))
    finally:
        await pool.close()


@pytest.fixture
async def delivered(client, settings, aiohttp_server):
    """A report of A (PICC) and B (CPIC) with a photo; claims opened and `claim.opened` delivered to both."""
    a = await create_report(client, settings.var_dir)
    status, b, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    report_id = a["report"]["id"]
    photo = phone_jpeg()
    assert (
        await upload(client, report_id, a["party_token"], "front_overview", photo)
    ).status == 201
    receivers: dict[str, Receiver] = {}
    for code in ("PICC", "CPIC"):
        secret = new_secret()
        receivers[code] = await start(aiohttp_server, [secret])
        await point_insurer(
            settings.database_url, receivers[code].url, [{"secret": secret}], code=code
        )
    await settle(settings, report_id, {"A": 100, "B": 0})

    async def opened_everywhere() -> bool:
        return all("claim.opened" in rx.types() for rx in receivers.values())

    await run_workers(settings, opened_everywhere, limit_s=30)
    assert await opened_everywhere()

    def link(code: str) -> str:
        event = next(a.event for a in receivers[code].arrivals if a.event["type"] == "claim.opened")
        return event["data"]["photos"][0]["url"]

    return {"report_id": report_id, "a": a, "b": b, "photo": photo, "link": link}


async def test_a_link_from_a_delivered_webhook_answers_403_once_a_party_withdraws_sharing_consent(
    client, settings, delivered
):
    link = delivered["link"]("PICC")
    r = await client.get(local(link))
    assert r.status == 200 and await r.read() == delivered["photo"]
    r = await client.post(
        f"/v1/reports/{delivered['report_id']}/consent",
        json={**CONSENT, "sharing": False},
        headers=bearer(delivered["b"]["party_token"]),
    )
    assert r.status == 200, await r.text()
    assert await problem_of(client, link) == "photo-sharing-withdrawn"
    claim = (await sql(settings, "SELECT id FROM claims WHERE insurer_code = 'PICC'"))[0]["id"]
    picc = (await tokens(settings))["PICC"]
    fresh = (await (await client.get(f"/v1/insurer/claims/{claim}", headers=picc)).json())[
        "photos"
    ][0]["url"]
    assert (
        await problem_of(client, fresh) == "photo-sharing-withdrawn"
    )  # a fresh link cannot get round it


async def test_a_link_for_an_insurer_whose_claim_is_gone_or_presented_as_another_insurers_answers_403(
    client, settings, delivered
):
    link = delivered["link"](
        "CPIC"
    )  # CPIC: B's own insurer, and its line on A's claim (无责 limit)
    assert (await client.get(local(link))).status == 200
    assert (
        await problem_of(client, link.replace("to=insurer:CPIC", "to=insurer:PICC"))
        == "photo-link-invalid"
    )
    cpic = (await tokens(settings))["CPIC"]
    for ref, label in (("cpic-w-1", "B"), ("cpic-w-2", "A")):  # B's whole claim; CPIC's line on A's
        claim = (await sql(settings, "SELECT id FROM claims WHERE label = $1", label))[0]["id"]
        r = await client.post(
            f"/v1/insurer/claims/{claim}/withdrawal",
            json={"reference": ref, "reason": "撤案"},
            headers=cpic,
        )
        assert r.status == 200, await r.text()
        if label == "B":  # still on A's claim through its line
            assert (await client.get(local(link))).status == 200
    assert await problem_of(client, link) == "photo-link-recipient-without-case"
    # A's claim had no other line, so it is withdrawn as a whole: PICC has no claim left either
    assert (
        await problem_of(client, delivered["link"]("PICC")) == "photo-link-recipient-without-case"
    )


async def test_an_expired_link_is_refused_and_a_fresh_read_of_the_claim_returns_working_links(
    client, settings, delivered
):
    rows = await sql(
        settings, "SELECT id FROM photos WHERE report_id = $1::uuid", delivered["report_id"]
    )
    old, _ = signed_photo_link(
        keyring(settings),
        settings.public_base_url,
        report_id=delivered["report_id"],
        photo_id=rows[0]["id"],
        recipient=insurer("PICC"),
        ttl_s=60,
        at=time.time() - 3600,
    )
    assert await problem_of(client, old) == "photo-link-expired"
    claim = (await sql(settings, "SELECT id FROM claims WHERE insurer_code = 'PICC'"))[0]["id"]
    r = await client.get(f"/v1/insurer/claims/{claim}", headers=(await tokens(settings))["PICC"])
    photos = (await r.json())["photos"]
    assert [p["photo_id"] for p in photos] == [str(rows[0]["id"])]
    assert datetime.fromisoformat(photos[0]["expires_at"]) > datetime.now(UTC)
    r = await client.get(local(photos[0]["url"]))
    assert r.status == 200 and await r.read() == delivered["photo"]


async def test_a_court_link_needs_a_court_case_on_the_report(client, settings, delivered):
    rows = await sql(
        settings, "SELECT id FROM photos WHERE report_id = $1::uuid", delivered["report_id"]
    )
    link, _ = signed_photo_link(
        keyring(settings),
        settings.public_base_url,
        report_id=delivered["report_id"],
        photo_id=rows[0]["id"],
        recipient=COURT,
        ttl_s=600,
        at=time.time(),
    )
    assert await problem_of(client, link) == "photo-link-recipient-without-case"


def test_photo_links_must_outlast_the_retry_schedule_by_a_week():
    with pytest.raises(ValueError, match="KUAICHU_PHOTO_LINK_TTL_S"):
        Settings(
            photo_link_ttl_s=7 * 24 * 3600
        )  # 25 attempts an hour apart plus a week do not fit in 7 days
    assert Settings().photo_link_ttl_s >= Settings().retry_schedule_s + 7 * 24 * 3600


async def test_an_assessment_task_read_returns_working_links_for_its_insurer(client, settings):
    from assessment.service import on_report_settled as route_tasks

    a = await create_report(client, settings.var_dir)
    status, _, _ = await join(client, settings.var_dir, a["share_code"]["code"])
    assert status == 201
    report_id = a["report"]["id"]
    photo = phone_jpeg(shade=60)
    assert (
        await upload(client, report_id, a["party_token"], "front_overview", photo)
    ).status == 201
    await route_tasks(ctx_of(client), payload=routing_settled(report_id))
    task = (
        await sql(
            settings,
            "SELECT id FROM assessment_tasks WHERE report_id = $1::uuid AND vehicle_label = 'A'",
            report_id,
        )
    )[0]["id"]
    r = await client.get(
        f"/v1/assessment/tasks/{task}", headers=await token_of(client, settings, "adj.picc.2")
    )
    links = (await r.json())["photos"]
    assert "to=insurer:PICC" in links[0]["url"]  # the task's insurer, whose adjuster read it
    r = await client.get(local(links[0]["url"]))
    assert r.status == 200 and await r.read() == photo


async def test_a_court_case_read_returns_working_links_until_the_court_request_is_withdrawn(
    client, settings
):
    case = await court_case(client, settings)
    row = await package_row(client, case.report_id)
    court_staff = bearer(await staff_token(settings, "court"))
    view = await (
        await client.get(f"/v1/court/cases/{row['package_id']}", headers=court_staff)
    ).json()
    assert view["photos"] and all("to=court" in p["url"] for p in view["photos"])
    assert (await client.get(local(view["photos"][0]["url"]))).status == 200
    packaged = row["body"]["photos"][0]["url"]  # the link inside the package the court was sent
    assert (await client.get(local(packaged))).status == 200
    r = await client.post(
        case.url("/court-requests/withdrawal"),
        json={"reason": "双方已自行和解"},
        headers=bearer(case.tokens["A"]),
    )
    assert r.status == 201, await r.text()
    for link in (packaged, view["photos"][0]["url"]):
        assert await problem_of(client, link) == "photo-link-recipient-without-case"

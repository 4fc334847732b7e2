"""The police reviewer's workbench data: the queue with due times, the case file, and the citable articles."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.api.evidence import GPS_LAT, GPS_LON, phone_jpeg, upload
from tests.api.fault_steps import dispute_to_review, police, report_with_parties
from tests.api.flows import SHENGSI, bearer
from tests.api.workbench_steps import as_owner, officer_of


async def _age_review(settings, report_id: str, days: float) -> None:
    """As if the review had opened `days` ago (the owner may rewrite what the service may not)."""
    await as_owner(
        settings,
        "UPDATE fault_reviews SET opened_at = opened_at - make_interval(secs => $2::float8) "
        "WHERE report_id = $1::uuid",
        report_id,
        days * 86_400,
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_queue_is_oldest_first_with_due_times_and_the_breached_ones_flagged(
    client, settings
):
    recent = await report_with_parties(client, settings)
    late = await report_with_parties(client, settings)
    for case in (recent, late):
        await dispute_to_review(client, case)
    await _age_review(settings, late.report_id, 3.5)  # past 程序规定 §24's three days
    r = await client.get("/v1/police/reviews", headers=await police(settings))
    assert r.status == 200
    reviews = (await r.json())["reviews"]
    assert [x["report_id"] for x in reviews] == [late.report_id, recent.report_id]
    assert [x["breached"] for x in reviews] == [True, False]
    for x in reviews:
        assert _at(x["due_at"]) - _at(x["opened_at"]) == timedelta(days=3)


async def test_the_case_file_sets_both_accounts_side_by_side_and_photos_against_the_report(
    client, settings
):
    # reported 0.009° (about 1 km) north of where the phone's GPS puts the photo
    reported = {"lat": GPS_LAT + 0.009, "lon": GPS_LON}
    case = await report_with_parties(client, settings, location=reported)
    r = await upload(client, case.report_id, case.tokens["B"], "scene", phone_jpeg())
    assert r.status == 201, await r.text()
    await dispute_to_review(client, case)
    r = await client.get(f"/v1/police/reviews/{case.report_id}", headers=await police(settings))
    assert r.status == 200, await r.text()
    file = await r.json()
    assert [s["party"] for s in file["sides"]] == ["A", "B"]
    assert file["sides"][0]["account"]["facts"]["movement"] == "straight"
    assert file["sides"][1]["account"]["facts"]["movement"] == "stopped"
    assert file["sides"][1]["proposal_response"]["response"] == "dispute"
    assert file["sides"][0]["details"]["driver"]["name"] == "张三"  # police see the parties in full
    assert file["review"]["source"] == "dispute" and file["review"]["breached"] is False
    assert file["proposal"]["template_set"]["id"] == "national-online"
    scene = next(p for p in file["photos"] if p["kind"] == "scene")
    occurred = _at(file["report"]["occurred_at"])
    taken = datetime.fromisoformat("2026-05-09T14:30:05+08:00")
    assert scene["against_report"]["taken_after_report_s"] == (taken - occurred).total_seconds()
    assert (
        995 < scene["against_report"]["distance_from_report_m"] < 1006
    )  # 0.009° of latitude: 1000.8 m
    plain = next(p for p in file["photos"] if p["kind"] == "front_overview")
    assert plain["against_report"] == {"taken_after_report_s": None, "distance_from_report_m": None}
    r = await client.get(
        scene["links"]["preview"].replace("/preview", "/original"), headers=await police(settings)
    )
    assert r.status == 200
    history = [(h["entity"], h["action"]) for h in file["history"]]
    assert ("fault_account", "submitted") in history and ("fault_response", "dispute") in history, (
        history
    )
    assert [h["id"] for h in file["history"]] == sorted(h["id"] for h in file["history"])
    assert [(o["liability"], o["share_percent"]) for o in file["liability_options"]] == [
        ("full", 100),
        ("major", 70),
        ("equal", 50),
        ("minor", 30),
        ("none", 0),
    ]
    articles = {a["article"]: a for a in file["articles"]}
    assert "道路交通事故处理程序规定第六十条" in articles
    assert (
        "道路交通安全法第四十三条" in articles and articles["道路交通安全法第四十三条"]["scenarios"]
    )


async def test_a_reviewer_outside_the_jurisdiction_sees_nothing_of_the_case(client, settings):
    case = await report_with_parties(client, settings)  # 上城区
    await dispute_to_review(client, case)
    outsider = await officer_of(settings, "shengsi-2", ["zj-330922"])
    r = await client.get(f"/v1/police/reviews/{case.report_id}", headers=outsider)
    assert r.status == 404
    body = await r.json()
    r = await client.get(f"/v1/police/reviews/{uuid.uuid4()}", headers=outsider)
    absent = await r.json()  # exactly what a report that does not exist reads as
    assert (body["type"], body["zh"], body["en"]) == (absent["type"], absent["zh"], absent["en"])
    r = await client.get("/v1/police/reviews", headers=outsider)
    assert (await r.json())["reviews"] == []
    r = await client.get(f"/v1/police/reviews/{case.report_id}", headers=bearer(case.tokens["A"]))
    assert r.status == 403  # a party's token is not a reviewer's
    island = await report_with_parties(
        client, settings, location=dict(SHENGSI), address="嵊泗县菜园镇"
    )
    await dispute_to_review(client, island)
    r = await client.get(f"/v1/police/reviews/{island.report_id}", headers=outsider)
    assert r.status == 200


async def test_the_articles_list_is_for_police_and_admins(client, settings):
    r = await client.get("/v1/police/articles", headers=await police(settings))
    assert r.status == 200, await r.text()
    arts = [a["article"] for a in (await r.json())["articles"]]
    assert len(arts) == len(set(arts)) > 3
    r = await client.get("/v1/police/articles")
    assert r.status == 401

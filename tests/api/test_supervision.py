"""Supervision aggregates per county over seeded cases: counts right per county, the jurisdiction's counties
only for police, and the same table as a CSV download that Excel and csv readers take."""

from __future__ import annotations

import csv
import io
import uuid

from tests.api.evidence import staff_token
from tests.api.fault_steps import dispute_to_review, police, report_with_parties
from tests.api.flows import SHENGSI, TONGLU, bearer, create_report
from tests.api.workbench_steps import agreed_report, as_owner, officer_of
from tests.integration.assessment_setup import token_of


async def _seed(client, settings) -> dict[str, str]:
    """Shangcheng: one report agreed 20 minutes after it was made (its assessment escalated once), one disputed
    whose review ran past its three days and whose package the court accepted, one made 60 days ago (outside
    the period). Shengsi: one report with a late complaint about the insurer and one about the assessor.
    Tonglu: a draft only (not a case)."""
    agreed = await agreed_report(client, settings)
    await as_owner(
        settings,
        "UPDATE reports r SET created_at = a.created_at - interval '20 minutes' "
        "FROM fault_agreements a WHERE a.report_id = r.id AND r.id = $1::uuid",
        agreed,
    )
    await as_owner(
        settings,
        """INSERT INTO assessment_tasks (id, report_id, party_id, vehicle_label, insurer_code,
                                  zone_id, zone_kind, lat, lon, status, escalations)
                              SELECT $2::uuid, p.report_id, p.id, p.label, p.insurer_code, 'zj-330102', 'urban',
                                     30.29, 120.23, 'queued', 1
                              FROM parties p WHERE p.report_id = $1::uuid AND p.label = 'A'""",
        agreed,
        uuid.uuid4(),
    )
    disputed = await report_with_parties(client, settings)
    await dispute_to_review(client, disputed)
    await as_owner(
        settings,
        "UPDATE fault_reviews SET opened_at = opened_at - interval '4 days' "
        "WHERE report_id = $1::uuid",
        disputed.report_id,
    )
    await as_owner(
        settings,
        """INSERT INTO court_packages (package_id, revision, report_id, body, digest, sealed,
                                                        state, case_number, created_by, delivered_at)
                              VALUES ('pkg-1', 1, $1::uuid, '{}', repeat('a', 64), '\\x00', 'delivered',
                                      '(2026)浙0102民诉前调1号', 'test', now())""",
        disputed.report_id,
    )
    old = await report_with_parties(client, settings)
    await as_owner(
        settings,
        "UPDATE reports SET created_at = created_at - interval '60 days' WHERE id = $1::uuid",
        old.report_id,
    )
    island = await report_with_parties(
        client, settings, location=dict(SHENGSI), address="嵊泗县菜园镇"
    )
    url = f"/v1/reports/{island.report_id}/inquiries"
    for subject in ("insurer", "assessor"):
        r = await client.post(
            url,
            json={"kind": "complaint", "subject": subject, "text": f"投诉{subject}"},
            headers=bearer(island.tokens["A"]),
        )
        assert r.status == 201, await r.text()
    r = await client.post(
        url,
        json={"kind": "question", "about_case": False, "subject": "insurer", "text": "一般咨询"},
        headers=bearer(island.tokens["B"]),
    )
    assert r.status == 201  # a general question is no complaint
    await as_owner(
        settings,
        "UPDATE inquiries SET due_at = now() - interval '1 hour' "
        "WHERE id = (SELECT id FROM inquiries WHERE subject = 'insurer' AND kind = 'complaint')",
    )
    await create_report(
        client, settings.var_dir, location=dict(TONGLU), address="桐庐县"
    )  # a draft
    return {"agreed": agreed, "disputed": disputed.report_id, "island": island.report_id}


async def test_counts_per_county_for_the_period_and_the_jurisdiction(client, settings):
    await _seed(client, settings)
    admin = bearer(await staff_token(settings, "admin"))
    r = await client.get("/v1/supervision/counties", headers=admin)
    assert r.status == 200, await r.text()
    data = await r.json()
    assert data["scope"] == "all"
    rows = {c["zone_id"]: c for c in data["counties"]}
    assert set(rows) == {
        "zj-330102",
        "zj-330105",
        "zj-330106",
        "zj-330122",
        "zj-330922",
    }  # every county drawn
    sc, ss, tl = rows["zj-330102"], rows["zj-330922"], rows["zj-330122"]
    assert {
        k: sc[k]
        for k in (
            "cases",
            "agreed",
            "disputes",
            "court_deliveries",
            "review_breaches",
            "assessment_breaches",
            "inquiry_breaches",
            "sla_breaches",
        )
    } == {
        "cases": 2,
        "agreed": 1,
        "disputes": 1,
        "court_deliveries": 1,
        "review_breaches": 1,
        "assessment_breaches": 1,
        "inquiry_breaches": 0,
        "sla_breaches": 2,
    }
    assert (
        sc["agreement_time"]["buckets"]["15_30m"] == 1
        and 19.9 <= sc["agreement_time"]["p50_min"] <= 20.1
    )
    assert {
        k: ss[k]
        for k in (
            "cases",
            "complaints_insurer",
            "complaints_assessor",
            "inquiry_breaches",
            "sla_breaches",
            "disputes",
        )
    } == {
        "cases": 1,
        "complaints_insurer": 1,
        "complaints_assessor": 1,
        "inquiry_breaches": 1,
        "sla_breaches": 1,
        "disputes": 0,
    }
    assert tl["cases"] == 0  # the draft is no case
    assert data["totals"]["cases"] == 3 and data["totals"]["complaints_insurer"] == 1
    assert data["totals"]["agreement_time"]["count"] == 1

    r = await client.get(
        "/v1/supervision/counties?since=2020-01-01&until=2020-01-31", headers=admin
    )
    assert (await r.json())["totals"]["cases"] == 0  # another period, other cases

    shengsi = await officer_of(settings, "shengsi-s", ["zj-330922"])
    r = await client.get("/v1/supervision/counties", headers=shengsi)
    data = await r.json()
    assert data["scope"] == "jurisdiction" and [c["zone_id"] for c in data["counties"]] == [
        "zj-330922"
    ]
    assert data["totals"]["cases"] == 1  # nothing of Hangzhou's cases, not even in the totals


async def test_the_csv_download_is_the_same_table(client, settings):
    await _seed(client, settings)
    officer = await police(settings)
    r = await client.get("/v1/supervision/counties?format=csv", headers=officer)
    assert r.status == 200 and r.content_type == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    raw = await r.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese names with the BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_zone = {row["zone_id"]: row for row in rows}
    assert by_zone["zj-330102"]["zone_name"] == "上城区" and by_zone["zj-330102"]["cases"] == "2"
    assert by_zone["zj-330922"]["complaints_assessor"] == "1"
    assert by_zone["total"]["cases"] == "3" and by_zone["zj-330102"]["agreement_15_30m"] == "1"
    r2 = await client.get("/v1/supervision/counties", headers={**officer, "Accept": "text/csv"})
    assert (
        r2.content_type == "text/csv"
        and len(list(csv.reader(io.StringIO((await r2.read()).decode("utf-8-sig")))))
        == len(rows) + 1
    )


async def test_who_may_read_the_aggregates(client, settings):
    r = await client.get(
        "/v1/supervision/counties", headers=await token_of(client, settings, "coord.tonglu.1")
    )
    assert r.status == 403
    r = await client.get("/v1/supervision/counties")
    assert r.status == 401
    admin = bearer(await staff_token(settings, "admin"))
    r = await client.get(
        "/v1/supervision/counties?since=2026-02-01&until=2026-01-01", headers=admin
    )
    assert r.status == 422
    r = await client.get(
        "/v1/supervision/counties?since=2024-01-01&until=2026-01-01", headers=admin
    )
    assert r.status == 422

"""Claim deadlines in days as the law counts them (民法典 §201, §203), over the State Council's holiday
calendar; a year without data makes them provisional until an operator loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from claims.views import overdue_list
from kuaichu.db import connect
from tests.api.claims_setup import opened_claims, sql

BEIJING = timezone(timedelta(hours=8))
NOTICE_2035 = {
    "year": 2035,
    "source": {
        "title": "国务院办公厅关于2035年部分节假日安排的通知",
        "number": "国办发明电〔2034〕9号",
        "date": "2034-11-10",
    },
    "holidays": [f"2035-10-0{d}" for d in range(1, 8)],
    "workdays": ["2035-09-29"],  # a Saturday worked (调休)
}


@pytest.fixture
async def case(client, settings):
    _, auth, claims = await opened_claims(client, settings, {"A": 100, "B": 0})
    return auth, claims


def kuaichu(settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "KUAICHU_ENVIRONMENT": "test",
        "KUAICHU_VAR_DIR": str(settings.var_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def documents_deadline(client, auth, claim_id: str) -> dict:
    r = await client.get(
        f"/v1/insurer/claims/{claim_id}", headers=auth["CPIC"]
    )  # A's loss: CPIC's line
    assert r.status == 200
    return next(d for d in (await r.json())["deadlines"] if d["duty"] == "documents_listed")


async def test_a_deadline_in_an_unpublished_year_is_provisional_until_the_year_is_loaded(
    client, settings, case, tmp_path
):
    auth, claims = case
    # Received on Friday 28 September 2035, 15:00 Beijing time: no published calendar for 2035.
    await sql(
        settings,
        "UPDATE claim_lines SET received_at = $1::timestamptz, received_via = 'webhook'",
        datetime(2035, 9, 28, 15, tzinfo=BEIJING),
    )
    before = await documents_deadline(client, auth, claims["A"])
    # Weekends only: the last day, Saturday the 29th, moves to Monday 1 October; due at its 24:00.
    assert before["provisional"] is True and before["due_at"] == "2035-10-02T00:00:00+08:00"
    r = await client.get("/v1/admin/calendar", headers=auth["admin"])
    state = await r.json()
    assert {d["claim_id"] for d in state["provisional_deadlines"]} == set(claims.values())
    assert 2035 not in [y["year"] for y in state["years"]]

    notice = tmp_path / "2035.json"
    notice.write_text(json.dumps(NOTICE_2035, ensure_ascii=False))
    done = kuaichu(settings, "calendar", "load", str(notice))
    assert done.returncode == 0, done.stderr
    assert "loaded 2035: 7 holidays, 1 make-up working days" in done.stdout

    after = await documents_deadline(client, auth, claims["A"])
    # Saturday the 29th is a working day that year (调休): the period ends at its 24:00, final.
    assert after["provisional"] is False and after["due_at"] == "2035-09-30T00:00:00+08:00"
    state = await (await client.get("/v1/admin/calendar", headers=auth["admin"])).json()
    assert state["provisional_deadlines"] == []
    [loaded] = [y for y in state["years"] if y["year"] == 2035]
    assert "国办发明电〔2034〕9号" in loaded["source"]
    audit = await sql(settings, "SELECT action FROM audit_events WHERE entity = 'holiday_year'")
    assert [a["action"] for a in audit] == ["loaded"]


async def test_a_wrong_calendar_file_or_a_published_year_loads_nothing(settings, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**NOTICE_2035, "workdays": ["2035-10-03"]}))
    done = kuaichu(settings, "calendar", "load", str(bad))
    assert (
        done.returncode != 0
        and "2035-10-03 cannot be both a holiday and a make-up working day" in done.stderr
    )
    published = tmp_path / "2026.json"
    published.write_text(
        json.dumps({**NOTICE_2035, "year": 2026, "holidays": ["2026-10-01"], "workdays": []})
    )
    done = kuaichu(settings, "calendar", "load", str(published))
    assert done.returncode != 0 and "published by the chinesecalendar package" in done.stderr
    assert await sql(settings, "SELECT year FROM holiday_years") == []


async def test_the_overdue_list_is_right_across_the_national_day_holiday(client, settings, case):
    _, claims = case
    # Received on 30 September 2026 at 15:00: §28's one day ends with the holiday (1–7 October), so the
    # insurer has until 24:00 on Thursday 8 October.
    await sql(
        settings,
        "UPDATE claim_lines SET received_at = $1::timestamptz, received_via = 'webhook'",
        datetime(2026, 9, 30, 15, tzinfo=BEIJING),
    )
    conn = await connect(settings.database_url)
    try:
        on_time = await overdue_list(
            conn, insurer_code=None, limit=10, now=datetime(2026, 10, 8, 23, 59, tzinfo=BEIJING)
        )
        late = await overdue_list(
            conn, insurer_code=None, limit=10, now=datetime(2026, 10, 9, 0, 1, tzinfo=BEIJING)
        )
    finally:
        await conn.close()
    assert on_time == []
    assert sorted(c["id"] for c in late) == sorted(claims.values())
    # 24:00 Beijing time of the 8th
    assert {d["due_at"] for c in late for d in c["deadlines"]} == {"2026-10-09T00:00:00+08:00"}

"""What a driver's phone does, step by step, against the real service (shared by API tests)."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Points well inside the fixture zones (tests/fixtures/reference).
SHANGCHENG = {"lat": 30.29575, "lon": 120.23538}  # 上城区, urban
TONGLU = {"lat": 29.84066, "lon": 119.53585}  # 桐庐县, rural
SHENGSI = {"lat": 30.66376, "lon": 122.56386}  # 嵊泗县, rural, court-exempt
BEIJING = {"lat": 39.9042, "lon": 116.4074}  # outside the service area
# Every zone of the fixture reference data: the jurisdiction of the tests' police accounts.
FIXTURE_ZONES = ["zj-330102", "zj-330105", "zj-330106", "zj-330122", "zj-330922"]

_phones = itertools.count(13800000001)
_ids = itertools.count(1)


def new_phone() -> str:
    return str(next(_phones))


def id_number(seq: int | None = None) -> str:
    """A resident ID number with a valid check character."""
    body = f"330102199001{(seq or next(_ids)) % 10000:04d}1"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


ELIGIBLE_CASE = {
    "injuries": False,
    "vehicles_movable": True,
    "public_facility_damage": False,
    "intentional": False,
}
ELIGIBLE_PARTY = {
    "licence_valid": True,
    "compulsory_insurance": True,
    "inspection_mark_valid": True,
    "suspected_impairment": False,
    "has_plate": True,
    "fled": False,
    "dangerous_goods": False,
    "overloaded_passenger": False,
}
CONSENT = {"notice_version": "2026-11-01", "location": True, "sharing": True}


def party(
    phone: str, plate: str = "浙A12345", insurer: str = "PICC", name: str = "张三"
) -> dict[str, Any]:
    return {
        "answers": dict(ELIGIBLE_PARTY),
        "driver": {"name": name, "id_kind": "licence", "id_number": id_number(), "phone": phone},
        "vehicle": {"plate": plate, "type": "small_passenger"},
        "insurance": {"insurer_code": insurer, "policy_number": "PDZA2026330100001"},
    }


def report_body(phone: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "location": dict(SHANGCHENG),
        "address": "杭州市上城区解放东路",
        "weather": "clear",
        "vehicle_count": 2,
        "case_answers": dict(ELIGIBLE_CASE),
        "party": party(phone),
        "consent": dict(CONSENT),
    }
    body.update(overrides)
    return body


def sms_messages(var_dir: Path) -> list[dict[str, Any]]:
    path = var_dir / "sms" / "messages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def last_code(var_dir: Path, phone: str) -> str:
    texts = [m["text"] for m in sms_messages(var_dir) if m["to"] == phone]
    match = re.search(r"验证码 (\d{6})", texts[-1])
    assert match, texts[-1]
    return match.group(1)


async def login(client: Any, var_dir: Path, phone: str) -> str:
    """Prove the phone by one-time code; return the session token."""
    r = await client.post("/v1/auth/otp", json={"phone": phone})
    assert r.status == 202, await r.text()
    r = await client.post(
        "/v1/auth/session", json={"phone": phone, "code": last_code(var_dir, phone)}
    )
    assert r.status == 201, await r.text()
    return (await r.json())["session_token"]


async def time_passes(settings: Any, seconds: int) -> None:
    """As if `seconds` went by for every rate limit (no test waits for a clock)."""
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            "UPDATE rate_buckets SET hits = coalesce((SELECT array_agg(h - make_interval(secs => "
            "$1::int) ORDER BY h) FROM unnest(hits) AS h), hits)",
            seconds,
        )
    finally:
        await conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_report(
    client: Any, var_dir: Path, phone: str | None = None, **overrides: Any
) -> dict[str, Any]:
    phone = phone or new_phone()
    session = await login(client, var_dir, phone)
    r = await client.post(
        "/v1/reports", json=report_body(phone, **overrides), headers=bearer(session)
    )
    assert r.status == 201, await r.text()
    data = await r.json()
    data["session"] = session
    data["phone"] = phone
    return data


async def join(
    client: Any,
    var_dir: Path,
    share_code: str,
    *,
    plate: str = "浙B54321",
    phone: str | None = None,
    answers: dict | None = None,
    session: str | None = None,
) -> tuple[int, dict[str, Any], str]:
    phone = phone or new_phone()
    session = session or await login(client, var_dir, phone)
    p = party(phone, plate=plate, insurer="CPIC", name="李四")
    if answers:
        p["answers"].update(answers)
    body = {
        "share_code": share_code,
        "case_answers": dict(ELIGIBLE_CASE),
        "party": p,
        "consent": dict(CONSENT),
    }
    r = await client.post("/v1/reports/join", json=body, headers=bearer(session))
    return r.status, await r.json(), session

"""Driver-side set-up for the HTTP benches: a phone logged in by one-time code, report bodies."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import REPO

SMS_FILE = REPO / "var" / "bench" / "sms" / "messages.jsonl"
SHANGCHENG = {"lat": 30.29575, "lon": 120.23538}


def _post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _last_code(path: Path, phone: str) -> str:
    for _ in range(50):
        if path.exists():
            texts = [
                json.loads(x)["text"]
                for x in path.read_text().splitlines()
                if json.loads(x)["to"] == phone
            ]
            if texts:
                return re.search(r"验证码 (\d{6})", texts[-1]).group(1)
        time.sleep(0.1)
    raise RuntimeError("no one-time code was recorded by the development SMS sender")


def login(base_url: str, phone: str) -> str:
    """One-time-code login (set-up, outside the timed window); returns the session token."""
    _post(base_url + "/v1/auth/otp", {"phone": phone})
    return _post(
        base_url + "/v1/auth/session", {"phone": phone, "code": _last_code(SMS_FILE, phone)}
    )["session_token"]


def id_number(seq: int) -> str:
    body = f"330102199001{seq % 10000:04d}1"[:17]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def report_body(phone: str, seq: int) -> dict[str, Any]:
    """A party-A report as a phone sends it; `seq` varies the plate, name and ID number."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    plate = f"浙{letters[seq % 24]}{seq % 100000:05d}"
    return {
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "location": {**SHANGCHENG, "lat": SHANGCHENG["lat"] + (seq % 100) * 1e-5},
        "address": "杭州市上城区解放东路",
        "weather": "clear",
        "vehicle_count": 2,
        "case_answers": {
            "injuries": False,
            "vehicles_movable": True,
            "public_facility_damage": False,
            "intentional": False,
        },
        "party": {
            "answers": {
                "licence_valid": True,
                "compulsory_insurance": True,
                "inspection_mark_valid": True,
                "suspected_impairment": False,
                "has_plate": True,
                "fled": False,
                "dangerous_goods": False,
                "overloaded_passenger": False,
            },
            "driver": {
                "name": f"司机{seq}",
                "id_kind": "licence",
                "id_number": id_number(seq),
                "phone": phone,
            },
            "vehicle": {"plate": plate, "type": "small_passenger"},
            "insurance": {"insurer_code": "PICC", "policy_number": f"PDZA2026{seq:08d}"},
        },
        "consent": {"notice_version": "2026-11-01", "location": True, "sharing": True},
    }

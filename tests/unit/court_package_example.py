"""A dispute package as the builder makes it from a two-vehicle report (pure data), for the court package tests."""

from __future__ import annotations

from datetime import UTC, datetime

from court_bridge.package import build_package

T = datetime(2026, 5, 9, 6, 30, tzinfo=UTC)
REPORT = {
    "id": "7f1c0b8e-0000-4000-8000-000000000001",
    "occurred_at": T,
    "lat": 30.29575,
    "lon": 120.23538,
    "address": "杭州市上城区解放东路",
    "weather": "rain",
    "zone_id": "zj-330102",
    "zone_name": "上城区",
    "jurisdiction": "杭州市上城区交警大队",
}


def party(label: str, name: str, plate: str) -> dict:
    return {
        "label": label,
        "name": name,
        "id_kind": "licence",
        "id_number": "330102199001011234",
        "phone": "13800000001",
        "vehicle_type": "small_passenger",
        "plate": plate,
        "insurer_code": "PICC",
        "insurer_name": "中国人民财产保险",
        "policy_number": "PDZA2026330100001",
    }


def package(**overrides) -> dict:
    rear_end = {"junction": "none", "collision": "rear_end"}
    args = dict(
        package_id="pkg_0123456789abcdef",
        revision=1,
        created_at=T,
        report=REPORT,
        parties=[party("A", "张三", "浙A12345"), party("B", "李四", "浙B54321")],
        accounts={
            "A": {"context": rear_end, "facts": {"impact": "front"}},
            "B": {"context": rear_end, "facts": {"impact": "rear"}},
        },
        proposals=[
            {
                "version": 1,
                "set_id": "national-online",
                "set_version": "2026.1",
                "created_at": T,
                "result": {
                    "outcome": "determined",
                    "allocations": [
                        {"party": "A", "liability": "full", "share_percent": 100},
                        {"party": "B", "liability": "none", "share_percent": 0},
                    ],
                    "matched": [
                        {
                            "party": "A",
                            "scenario": "Q01",
                            "legal_basis": ["道路交通安全法第四十三条"],
                        }
                    ],
                },
            }
        ],
        determinations=[
            {
                "version": 1,
                "reason": "A车未保持安全距离",
                "articles": ["道路交通安全法第四十三条"],
                "created_at": T,
                "shares": [
                    {"party": "A", "liability": "equal", "share_percent": 50},
                    {"party": "B", "liability": "equal", "share_percent": 50},
                ],
            }
        ],
        answers=[
            {
                "stage": "proposal",
                "version": 1,
                "party": "B",
                "response": "dispute",
                "reason": "对方急刹车",
                "at": T,
            }
        ],
        court_request={
            "party": "A",
            "determination_version": 1,
            "reason": "不服认定",
            "created_at": T,
        },
        photos=[
            {
                "id": "p1",
                "kind": "impact_point",
                "party_label": "A",
                "sha256": "ab" * 32,
                "size_bytes": 10,
                "media_type": "image/jpeg",
                "taken_at": None,
                "url": "http://x/v1/signed/p1?sig=s",
                "expires_at": T,
            }
        ],
    )
    return build_package(**{**args, **overrides})

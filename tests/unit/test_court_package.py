"""The dispute package builder (pure): §21 elements, the liability history, the digest over canonical JSON,
and corrections as a new revision."""

from __future__ import annotations

import hashlib
import json

import pydantic
import pytest

from court_bridge.package import WITHHELD, correct, digest_of, package_bytes, verify
from tests.unit.court_package_example import T, package


def test_the_package_carries_every_element_of_article_21_and_the_liability_history():
    p = package()
    acc = p["accident"]
    assert acc["occurred_at"] == "2026-05-09T06:30:00Z" and acc["weather"] == {
        "code": "rain",
        "zh": "雨",
    }
    assert acc["place"] == {
        "lat": 30.29575,
        "lon": 120.23538,
        "address": "杭州市上城区解放东路",
        "zone_id": "zj-330102",
        "zone_name": "上城区",
        "jurisdiction": "杭州市上城区交警大队",
    }
    assert acc["collision"] == {"code": "rear_end", "zh": "追尾碰撞"}
    a = p["parties"][0]
    assert a["driver"] == {
        "name": "张三",
        "id_kind": "licence",
        "id_number": "330102199001011234",
        "phone": "13800000001",
    }
    assert (
        a["vehicle"]["plate"] == "浙A12345"
        and a["insurance"]["policy_number"] == "PDZA2026330100001"
    )
    assert a["impact_points"] == [{"code": "front", "zh": "车辆前部"}]
    proposal = p["liability"]["proposals"][0]
    assert proposal["template_set"] == {"id": "national-online", "version": "2026.1"}
    assert proposal["legal_basis"] == ["道路交通安全法第四十三条"]
    assert p["liability"]["determinations"][0]["issued_by"] == "杭州市上城区交警大队"
    assert (
        p["liability"]["answers"][0]["reason"] == "对方急刹车"
        and p["dispute"]["reason"] == "不服认定"
    )
    assert p["photos"][0]["sha256"] == "ab" * 32 and p["photos"][0]["url"].startswith(
        "http://x/v1/signed/"
    )
    assert p["assessments"] == [] and p["claims"] == [] and p["withheld"] == list(WITHHELD)


def test_the_digest_is_sha256_of_the_sorted_compact_utf8_json_without_the_integrity_member():
    p = package()
    content = {k: v for k, v in p.items() if k != "integrity"}
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert p["integrity"]["digest"] == hashlib.sha256(canonical).hexdigest() == digest_of(p)
    assert verify(json.loads(package_bytes(p)))
    assert package_bytes(p) == package_bytes(json.loads(package_bytes(p)))  # stable bytes
    tampered = {**p, "dispute": {**p["dispute"], "reason": "别的理由"}}
    assert not verify(tampered)


@pytest.mark.parametrize(
    ("collisions", "code"),
    [(("rear_end", "rear_end"), "rear_end"), (("rear_end", "side_impact"), None)],
)
def test_differing_collision_accounts_are_named_per_party(collisions, code):
    accounts = {
        label: {"context": {"collision": c}, "facts": {}}
        for label, c in zip("AB", collisions, strict=True)
    }
    collision = package(accounts=accounts)["accident"]["collision"]
    assert collision["code"] == code
    assert (code is None) == ("A方陈述：追尾碰撞" in collision["zh"])


def test_a_correction_is_the_next_revision_with_a_new_digest_and_frozen_members_stay():
    p = package()
    fixed = correct(
        p, revision=2, created_at=T, corrections=[("/accident/place/address", "解放东路8号")]
    )
    assert fixed["revision"] == 2 and fixed["accident"]["place"]["address"] == "解放东路8号"
    assert verify(fixed) and fixed["integrity"]["digest"] != p["integrity"]["digest"]
    for pointer in ("/package_id", "/integrity/digest", "/accident/nowhere", "/parties/9/label"):
        with pytest.raises(KeyError):
            correct(p, revision=2, created_at=T, corrections=[(pointer, "x")])
    with pytest.raises(pydantic.ValidationError):
        correct(p, revision=2, created_at=T, corrections=[("/accident/place/lat", 200)])


def test_claims_and_assessments_are_carried_when_the_claims_side_has_them():
    p = package(
        claims=[
            {
                "claim_id": "c1",
                "party": "B",
                "insurer_code": "CPIC",
                "status": "decided",
                "payout_fen": 150000,
                "paid_fen": None,
                "applied_at": T,
            }
        ],
        assessments=[
            {
                "claim_id": "c1",
                "party": "B",
                "revision": 2,
                "total_fen": 150000,
                "vehicle_only": True,
                "items": [{"part": "后保险杠"}],
                "assessed_at": T,
            }
        ],
    )
    assert p["claims"][0]["payout_fen"] == 150000 and p["assessments"][0]["revision"] == 2

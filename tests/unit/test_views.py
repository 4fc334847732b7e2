"""Views built as plain dicts for speed (reports, fault decisions): each must be exactly what its response
model would send."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from accident.fault import Facts, assess
from accident.fault_proposal import decision_json
from accident.views import Viewer, render_photo, render_report
from kernel import jsonenc
from kernel.crypto import Keyring
from schemas.fault import FaultDecisionRead
from schemas.reports import PhotoRead, ReportCreated, ReportRead
from tests.unit.fault_examples import EXAMPLES, NATIONAL

KEYRING = Keyring.from_settings("test-secret", base64.urlsafe_b64encode(bytes(range(32))).decode())
A, B = uuid.uuid4(), uuid.uuid4()
AT = datetime(2026, 11, 27, 9, 30, 5, 123456, tzinfo=UTC)


def _party(pid: uuid.UUID, label: str, name: str, phone: str) -> dict:
    return {
        "id": pid,
        "label": label,
        "phone_enc": KEYRING.encrypt(phone),
        "name_enc": KEYRING.encrypt(name),
        "id_number_enc": KEYRING.encrypt("330106198001011234"),
        "id_kind": "resident_id",
        "plate": f"浙A{label}1234",
        "vehicle_type": "small_passenger",
        "insurer_code": "PICC",
        "policy_number": "P-0001",
        "joined_at": AT,
    }


REPORT = {
    "id": uuid.uuid4(),
    "status": "awaiting_other_party",
    "occurred_at": AT.replace(microsecond=0),
    "lat": 30.27415,
    "lon": 120.15515,
    "address": "杭州市西湖区文三路",
    "zone_id": "330106",
    "zone_name": "西湖区",
    "zone_kind": "urban",
    "near_boundary": False,
    "weather": "rain",
    "vehicle_count": 2,
    "referral": None,
    "version": 3,
    "created_at": AT,
    "updated_at": AT,
}
PHOTOS = [
    {
        "id": uuid.uuid4(),
        "kind": "front_overview",
        "party_label": "A",
        "sha256": "ab" * 32,
        "size_bytes": 4_500_000,
        "media_type": "image/jpeg",
        "width": 4000,
        "height": 3000,
        "taken_at": AT,
        "gps_lat": 30.1,
        "gps_lon": 120.2,
        "derivatives": "ready",
        "created_at": AT,
    },
    {
        "id": uuid.uuid4(),
        "kind": "impact_point",
        "party_label": None,
        "sha256": "cd" * 32,
        "size_bytes": 10,
        "media_type": "image/png",
        "width": 1,
        "height": 1,
        "taken_at": None,
        "gps_lat": None,
        "gps_lon": None,
        "derivatives": "pending",
        "created_at": AT,
    },
]


def _as_sent(view: object) -> dict:
    return orjson.loads(jsonenc.dumps(view))


@pytest.mark.parametrize(
    "viewer", [Viewer(party_id=A), Viewer(party_id=B), Viewer(staff_role="police")]
)
def test_report_view_is_what_report_read_sends(viewer: Viewer) -> None:
    parties = [_party(A, "A", "张三", "13900000001"), _party(B, "B", "李四", "13900000002")]
    view = render_report(REPORT, parties, PHOTOS, viewer=viewer, keyring=KEYRING)
    sent = _as_sent(view)
    assert sent == orjson.loads(ReportRead.model_validate(sent).model_dump_json())
    assert (
        sent["occurred_at"] == "2026-11-27T09:30:05Z"
        and sent["created_at"] == "2026-11-27T09:30:05.123456Z"
    )
    assert sent["missing_photo_kinds"] == ["rear_overview"]
    mine = {p["label"]: p for p in sent["parties"]}
    if viewer.party_id == A:
        assert mine["A"]["is_you"] and mine["A"]["driver"]["name"] == "张三"
        assert mine["B"]["driver"]["name"] != "李四" and "13900000002" not in str(mine["B"])
    if viewer.staff_role:
        assert mine["B"]["driver"]["phone"] == "13900000002"


def test_photo_view_is_what_photo_read_sends() -> None:
    for photo in PHOTOS:
        sent = _as_sent(render_photo(photo))
        assert sent == orjson.loads(PhotoRead.model_validate(sent).model_dump_json())


def test_creation_answer_reads_back_as_its_model() -> None:
    party = {
        **_party(A, "A", "张三", "13900000001"),
        "plain": {"name": "张三", "id_number": "330106198001011234", "phone": "13900000001"},
    }
    view = render_report(REPORT, [party], [], viewer=Viewer(party_id=A), keyring=KEYRING)
    answer = {
        "report": view,
        "party_id": str(A),
        "label": "A",
        "party_token": "pt_x",
        "share_code": {"code": "ABCD-EFGH", "expires_at": AT},
    }
    sent = _as_sent(answer)
    assert sent == orjson.loads(ReportCreated.model_validate(sent).model_dump_json())
    assert sent["report"]["parties"][0]["driver"]["id_number"] == "330106198001011234"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_fault_decision_json_is_what_the_contract_model_sends(example: tuple) -> None:
    _, context, parties, *_ = example
    for order in (parties, parties[::-1]):
        decision = assess(NATIONAL, Facts.from_dict({"context": context, "parties": order}))
        sent = _as_sent(decision_json(decision))
        assert sent == orjson.loads(FaultDecisionRead.model_validate(sent).model_dump_json())

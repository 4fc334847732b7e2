"""How a report reads back to each viewer: own data in full, other parties' personal data masked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from accident.eligibility import Verdict
from kernel.crypto import Keyring
from kernel.masking import mask_id_number, mask_name, mask_phone
from schemas.eligibility import EligibilityReason, EligibilityResult
from schemas.reports import REQUIRED_PHOTO_KINDS


@dataclass(frozen=True, slots=True)
class Viewer:
    party_id: UUID | None = None
    staff_role: str | None = None

    @property
    def full_access(self) -> bool:
        return self.staff_role in ("police", "admin")


def eligibility_out(verdict: Verdict) -> dict[str, Any]:
    return EligibilityResult(
        eligible=verdict.eligible,
        action=verdict.action.value,
        reasons=[
            EligibilityReason(code=r.code, parties=list(r.parties), zh=r.zh, en=r.en)
            for r in verdict.reasons
        ],
    ).model_dump(mode="json")


# The views below are built as plain dicts in the shape of their response models (schemas.reports), not
# through pydantic: a report is rendered on every create, join and read, and the model round trip cost as much
# as the rest of the request. Datetimes stay datetime objects; kuaichu.api serialises them like pydantic does
# (RFC 3339, "Z" for UTC). tests/unit/test_views.py checks each view against its model.


def _driver(p: dict[str, Any], *, full: bool, keyring: Keyring) -> dict[str, Any]:
    plain = p.get("plain")  # just written by this request: no need to decrypt what we encrypted
    name = plain["name"] if plain else keyring.decrypt(p["name_enc"])
    number = plain["id_number"] if plain else keyring.decrypt(p["id_number_enc"])
    phone = plain["phone"] if plain else keyring.decrypt(p["phone_enc"])
    if not full:
        name, number, phone = mask_name(name), mask_id_number(number), mask_phone(phone)
    return {"name": name, "id_kind": p["id_kind"], "id_number": number, "phone": phone}


def address(r: Mapping[str, Any], keyring: Keyring) -> str | None:
    """A report's accident address (encrypted at rest; plain in rows written before that)."""
    return keyring.decrypt_or(r.get("address_enc"), r["address"])


def policy_number(p: Mapping[str, Any], keyring: Keyring) -> str:
    """A party's policy number (encrypted at rest; plain in rows written before that)."""
    plain = (
        p.get("plain") or {}
    )  # just written by this request: no need to decrypt what we encrypted
    if "policy_number" in plain:
        return plain["policy_number"]
    number = keyring.decrypt_or(p.get("policy_number_enc"), p["policy_number"])
    assert number is not None  # one of the two columns always holds it (parties_policy_number_once)
    return number


def render_party(p: dict[str, Any], *, viewer: Viewer, keyring: Keyring) -> dict[str, Any]:
    """PartyRead: the viewer's own party (and staff) in full, other parties' personal data masked."""
    mine = viewer.party_id == p["id"]
    return {
        "id": str(p["id"]),
        "label": p["label"],
        "is_you": mine,
        "driver": _driver(p, full=mine or viewer.full_access, keyring=keyring),
        "vehicle": {"plate": p["plate"], "type": p["vehicle_type"]},
        "insurance": {
            "insurer_code": p["insurer_code"],
            "policy_number": policy_number(p, keyring),
        },
        "joined_at": p["joined_at"],
    }


def render_photo(ph: dict[str, Any]) -> dict[str, Any]:
    """PhotoRead."""
    gps = None
    if ph["gps_lat"] is not None and ph["gps_lon"] is not None:
        gps = {"lat": ph["gps_lat"], "lon": ph["gps_lon"], "crs": "wgs84"}
    return {
        "id": str(ph["id"]),
        "kind": ph["kind"],
        "party_label": ph["party_label"],
        "sha256": ph["sha256"],
        "size_bytes": ph["size_bytes"],
        "media_type": ph["media_type"],
        "width": ph["width"],
        "height": ph["height"],
        "taken_at": ph["taken_at"],
        "gps": gps,
        "derivatives": ph["derivatives"],
        "created_at": ph["created_at"],
    }


def missing_photo_kinds(photos: list[dict[str, Any]]) -> list[str]:
    have = {ph["kind"] for ph in photos}
    return [k for k in REQUIRED_PHOTO_KINDS if k not in have]


def render_report(
    r: dict[str, Any],
    parties: list[dict[str, Any]],
    photos: list[dict[str, Any]],
    *,
    viewer: Viewer,
    keyring: Keyring,
) -> dict[str, Any]:
    """ReportRead, as `viewer` may see it."""
    return {
        "id": str(r["id"]),
        "status": r["status"],
        "occurred_at": r["occurred_at"],
        "location": {"lat": r["lat"], "lon": r["lon"], "crs": "wgs84"},
        "address": address(r, keyring),
        "weather": r["weather"],
        "vehicle_count": r["vehicle_count"],
        "zone": {
            "id": r["zone_id"],
            "name": r["zone_name"],
            "kind": r["zone_kind"],
            "near_boundary": r["near_boundary"],
        },
        "parties": [render_party(p, viewer=viewer, keyring=keyring) for p in parties],
        "photos": [render_photo(ph) for ph in photos],
        "missing_photo_kinds": missing_photo_kinds(photos),
        "referral": r["referral"],
        "created_at": r["created_at"],
        "updated_at": r["updated_at"],
        "version": r["version"],
    }

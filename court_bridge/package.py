"""The dispute package for the court platform, built from plain rows. PURE: no I/O, no clock, no keys.

The package carries every element of 程序规定 §21 (time, place, weather, the parties' names, licence or ID
numbers and phones, vehicle types and plates, insurers and policy numbers, collision type, impact points,
liability), the liability history (template proposals with their set and legal basis, police determinations,
every acceptance and dispute with its reason), assessments and claims where they exist, photos by SHA-256 with
signed expiring links, and the court request with its reason.

Integrity: `integrity.digest` is the SHA-256 (hex) of the canonical JSON of the package without its
`integrity` member: keys sorted, no insignificant whitespace (separators "," and ":"), UTF-8 without
\\u-escaping of non-ASCII text, numbers in their shortest round-trip form, times as RFC 3339 in UTC ("Z").
The bytes sent are the canonical JSON of the whole package, so a receiver can recompute the digest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from accident.agreement import COLLISION_ZH, IMPACT_ZH, VEHICLE_ZH, WEATHER_ZH
from kernel.canonical import canonical_json, sha256_hex
from schemas.court import SCHEMA_VERSION, DisputePackage

CANONICALIZATION = (
    "JSON; keys sorted; separators ',' ':'; UTF-8 unescaped; integrity member excluded"
)
# Personal and internal data the court does not need, left out on purpose (PIPL art. 6: no more than necessary).
WITHHELD = (
    "eligibility answers (the case passed the §13/§14 gate; impairment and similar answers are not in dispute)",
    "phone verification, sessions, tokens and share codes",
    "consent records (kept by the service, available on request)",
    "internal party and staff ids (parties by label; the issuing police unit is named instead of the officer)",
    "signature images and the agreement PDF (no agreement exists in a disputed case)",
    "photo GPS fields (the originals behind the signed links keep their EXIF)",
)
FROZEN = frozenset(
    {"schema_version", "package_id", "revision", "report_id", "created_at", "integrity"}
)


def _coded(table: Mapping[str, str], code: str | None) -> dict[str, str | None]:
    return {"code": code, "zh": table.get(code, code) if code else "未陈述"}


def _collision(accounts: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None]:
    """The collision type the parties gave; when their accounts differ, each party's version is named."""
    given = {label: a["context"].get("collision") for label, a in sorted(accounts.items())}
    kinds = set(given.values())
    if len(kinds) == 1:
        return _coded(COLLISION_ZH, kinds.pop())
    text = "；".join(
        f"{k}方陈述：{COLLISION_ZH.get(v or '', v or '未陈述')}" for k, v in given.items()
    )
    return {"code": None, "zh": "各方陈述不一致。" + text}


def _party(p: Mapping[str, Any], account: Mapping[str, Any] | None) -> dict[str, Any]:
    impact = (account or {}).get("facts", {}).get("impact")
    return {
        "label": p["label"],
        "driver": {
            "name": p["name"],
            "id_kind": p["id_kind"],
            "id_number": p["id_number"],
            "phone": p["phone"],
        },
        "vehicle": {
            "type": p["vehicle_type"],
            "type_zh": VEHICLE_ZH.get(p["vehicle_type"], p["vehicle_type"]),
            "plate": p["plate"],
        },
        "insurance": {
            "insurer_code": p["insurer_code"],
            "insurer_name": p["insurer_name"],
            "policy_number": p["policy_number"],
        },
        "impact_points": [_coded(IMPACT_ZH, impact)] if impact else [],
    }


def _proposal(row: Mapping[str, Any]) -> dict[str, Any]:
    result = row["result"]
    basis = sorted({law for m in result.get("matched", []) for law in m.get("legal_basis", [])})
    return {
        "version": row["version"],
        "template_set": {"id": row["set_id"], "version": row["set_version"]},
        "outcome": result["outcome"],
        "allocations": result.get("allocations", []),
        "matched": result.get("matched", []),
        "legal_basis": basis,
        "computed_at": row["created_at"],
    }


def _determination(row: Mapping[str, Any], jurisdiction: str) -> dict[str, Any]:
    return {
        "version": row["version"],
        "issued_by": jurisdiction,
        "reason": row["reason"],
        "legal_basis": list(row["articles"]),
        "issued_at": row["created_at"],
        "shares": [
            {"party": s["party"], "liability": s["liability"], "share_percent": s["share_percent"]}
            for s in row["shares"]
        ],
    }


def build_package(
    *,
    package_id: str,
    revision: int,
    created_at: datetime,
    report: Mapping[str, Any],
    parties: Sequence[Mapping[str, Any]],
    accounts: Mapping[str, Mapping[str, Any]],
    proposals: Sequence[Mapping[str, Any]],
    determinations: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
    court_request: Mapping[str, Any],
    photos: Sequence[Mapping[str, Any]],
    assessments: Sequence[Mapping[str, Any]] = (),
    claims: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The sealed package (a JSON-ready dict, validated against schema version 1) from decrypted rows."""
    content = {
        "schema_version": SCHEMA_VERSION,
        "package_id": package_id,
        "revision": revision,
        "report_id": str(report["id"]),
        "created_at": created_at,
        "accident": {
            "occurred_at": report["occurred_at"],
            "place": {
                "lat": report["lat"],
                "lon": report["lon"],
                "address": report["address"] or "",
                "zone_id": report["zone_id"],
                "zone_name": report["zone_name"],
                "jurisdiction": report["jurisdiction"],
            },
            "weather": _coded(WEATHER_ZH, report["weather"]),
            "collision": _collision(accounts),
        },
        "parties": [_party(p, accounts.get(p["label"])) for p in parties],
        "liability": {
            "proposals": [_proposal(r) for r in proposals],
            "determinations": [_determination(r, report["jurisdiction"]) for r in determinations],
            "answers": [dict(a) for a in answers],
        },
        "dispute": {
            "party": court_request["party"],
            "determination_version": court_request["determination_version"],
            "reason": court_request["reason"],
            "requested_at": court_request["created_at"],
        },
        "photos": [
            {
                "photo_id": str(ph["id"]),
                "kind": ph["kind"],
                "party": ph["party_label"],
                "sha256": ph["sha256"],
                "size_bytes": ph["size_bytes"],
                "media_type": ph["media_type"],
                "taken_at": ph["taken_at"],
                "url": ph["url"],
                "link_expires_at": ph["expires_at"],
            }
            for ph in photos
        ],
        "assessments": [dict(a) for a in assessments],
        "claims": [dict(c) for c in claims],
        "withheld": list(WITHHELD),
    }
    return seal(content)


def digest_of(body: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the package without its integrity member."""
    return sha256_hex(canonical_json({k: v for k, v in body.items() if k != "integrity"}))


def seal(content: Mapping[str, Any]) -> dict[str, Any]:
    """Validate against the schema, normalise to JSON types, and add the integrity digest."""
    draft = {
        **content,
        "integrity": {
            "algorithm": "sha256",
            "canonicalization": CANONICALIZATION,
            "digest": "0" * 64,
        },
    }
    body = DisputePackage.model_validate(draft).model_dump(mode="json")
    body["integrity"]["digest"] = digest_of(body)
    return body


def package_bytes(body: Mapping[str, Any]) -> bytes:
    """Exactly the bytes POSTed for this revision (the canonical JSON of the whole package)."""
    return canonical_json(dict(body))


def verify(body: Mapping[str, Any]) -> bool:
    """True when the package's digest matches its content."""
    return body.get("integrity", {}).get("digest") == digest_of(body)


def _steps(pointer: str) -> list[str]:
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]


def correct(
    body: Mapping[str, Any],
    *,
    revision: int,
    created_at: datetime,
    corrections: Sequence[tuple[str, Any]],
) -> dict[str, Any]:
    """The next revision: the given members replaced (JSON pointers to existing members), resealed.

    Raises KeyError naming the pointer that does not exist or may not be changed; the schema's own
    ValidationError when a value does not fit.
    """
    out = canonical_copy(body)
    for pointer, value in corrections:
        steps = _steps(pointer)
        if not steps or steps[0] in FROZEN:
            raise KeyError(pointer)
        try:
            node: Any = out
            for step in steps[:-1]:
                node = node[int(step)] if isinstance(node, list) else node[step]
            if isinstance(node, list):
                node[int(steps[-1])] = value
            elif steps[-1] in node:
                node[steps[-1]] = value
            else:
                raise KeyError(pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(pointer) from None
    out.update(revision=revision, created_at=created_at)
    out.pop("integrity", None)
    return seal(out)


def canonical_copy(body: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy through canonical JSON (what the court received, member for member)."""
    return json.loads(canonical_json(dict(body)))

"""The decisions of a case as evidence records: one canonical JSON document per fault proposal and per police
determination, whose SHA-256 the audit event of the decision carries (`content_sha256`). The evidence bundle
exports exactly these bytes, so a decision altered after the fact no longer matches the hash-chained trail."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from kernel.jsonenc import canonical


def proposal_record(
    *,
    report_id: UUID,
    version: int,
    set_id: str,
    set_version: str,
    facts: Any,
    result: Mapping[str, Any],
) -> dict[str, Any]:
    """A fault proposal: the accounts as given (facts), the rule template set and version, the engine's result."""
    return {
        "kind": "fault_proposal",
        "report_id": str(report_id),
        "version": version,
        "template_set": {"id": set_id, "version": set_version},
        "facts": facts,
        "result": dict(result),
    }


def determination_record(
    *,
    report_id: UUID,
    version: int,
    reason: str,
    articles: Sequence[str],
    shares: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """A police determination (认定): the shares by party label, the reason and the articles applied."""
    return {
        "kind": "police_determination",
        "report_id": str(report_id),
        "version": version,
        "reason": reason,
        "articles": list(articles),
        "shares": [dict(s) for s in shares],
    }


def record_bytes(record: Mapping[str, Any]) -> bytes:
    return canonical(record)


def record_sha256(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(record_bytes(record)).hexdigest()

"""How the fault flow of a report reads back: every party sees every account and decision (contradictory)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from accident import fault_flow_repository as frepo
from accident import fault_review_repository as rrepo
from accident import repository as repo
from accident.service import access
from kernel.identity import Principal


def _at(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def fault_state(conn: asyncpg.Connection, *, report_id: UUID) -> dict[str, Any]:
    """The report's fault flow: accounts, the current proposal and answers, signatures, determination, court."""
    row = await repo.report(conn, report_id=report_id)
    assert row is not None
    labels = [p["label"] for p in await repo.parties(conn, report_id=report_id)]
    accounts = await frepo.accounts(conn, report_id=report_id)
    proposal = await frepo.latest_proposal(conn, report_id=report_id)
    version = proposal["version"] if proposal else 0
    agreement = await frepo.agreement(conn, report_id=report_id)
    det = await rrepo.latest_determination(conn, report_id=report_id)
    det_answers = (
        await rrepo.determination_responses(conn, report_id=report_id, version=det["version"])
        if det
        else []
    )
    court = await rrepo.court_request(conn, report_id=report_id)
    have = {a["label"] for a in accounts}
    return {
        "report_id": str(report_id),
        "status": row["status"],
        "accounts": [
            {
                "party": a["label"],
                "context": a["context"],
                "facts": a["facts"],
                "declared_scenarios": list(a["declared_scenarios"]),
                "version": a["version"],
                "submitted_at": _at(a["submitted_at"]),
            }
            for a in accounts
        ],
        "missing_accounts": [label for label in labels if label not in have],
        "proposal": {
            "version": proposal["version"],
            "template_set": {"id": proposal["set_id"], "version": proposal["set_version"]},
            "facts": proposal["facts"],
            "result": proposal["result"],
            "created_at": _at(proposal["created_at"]),
        }
        if proposal
        else None,
        "responses": [
            {
                "party": r["label"],
                "response": r["response"],
                "reason": r["reason"],
                "proposal_version": r["proposal_version"],
                "at": _at(r["created_at"]),
            }
            for r in await frepo.responses(conn, report_id=report_id, version=version)
        ],
        "signatures": [
            {
                "party": s["label"],
                "signed_at": _at(s["signed_at"]),
                "code_confirmed": s["code_confirmed"],
                "image_sha256": s["image_sha256"],
                "mutual_self_compensation": s["mutual_self_compensation"],
            }
            for s in await frepo.signatures(conn, report_id=report_id, version=version)
        ],
        "agreement": {
            "proposal_version": agreement["proposal_version"],
            "json_sha256": agreement["json_sha256"],
            "pdf_sha256": agreement["pdf_sha256"],
            "created_at": _at(agreement["created_at"]),
        }
        if agreement
        else None,
        "determination": {
            "version": det["version"],
            "staff_id": str(det["staff_id"]),
            "reason": det["reason"],
            "articles": list(det["articles"]),
            "shares": [{k: v for k, v in s.items() if k != "party_id"} for s in det["shares"]],
            "created_at": _at(det["created_at"]),
        }
        if det
        else None,
        "determination_responses": [
            {
                "party": r["label"],
                "response": r["response"],
                "reason": r["reason"],
                "determination_version": r["determination_version"],
                "at": _at(r["created_at"]),
            }
            for r in det_answers
        ],
        "court_request": {
            "party": court["label"],
            "reason": court["reason"],
            "outcome": court["outcome"],
            "determination_version": court["determination_version"],
            "at": _at(court["created_at"]),
            "withdrawal": {"reason": court["withdrawal_reason"], "at": _at(court["withdrawn_at"])}
            if court["withdrawn_at"]
            else None,
        }
        if court
        else None,
    }


async def read_fault(pool: asyncpg.Pool, *, who: Principal, report_id: UUID) -> dict[str, Any]:
    """The fault flow for a party of the report, police or an admin; anyone else gets 404."""
    async with pool.acquire() as conn:
        await access(conn, who, report_id)
        return await fault_state(conn, report_id=report_id)

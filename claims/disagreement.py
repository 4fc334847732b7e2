"""A claimant records that they disagree with the insurer's decision on their claim.

The record does not replace the legal remedies, which the answer names in plain words: the insured may
apply for arbitration or sue (交强险条例 §30); a third party paid directly (§31) may sue the person liable
with the compulsory insurer as co-defendant (最高法交通事故解释(2020) §22). A court case on the report gets the
disagreement as a `claim_status` update with `status: "disputed"` and the reason.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from claims import repository as repo
from claims.callbacks import tell_court
from claims.errors import ClaimNotFound, ClaimTransitionRefused
from claims.remedies import REMEDIES_EN, REMEDIES_ZH
from kernel.audit import AuditEvent, record

__all__ = ["REMEDIES_EN", "REMEDIES_ZH", "record_disagreement"]


async def record_disagreement(
    pool: asyncpg.Pool, *, report_id: UUID, party_id: UUID, claim_id: UUID, reason: str
) -> dict[str, Any]:
    """Record it once (the same reason again answers the same record), audited, and tell the court case."""
    async with pool.acquire() as conn, conn.transaction():
        c = await repo.claim(conn, claim_id=claim_id, lock=True)
        if c is None or c["report_id"] != report_id or c["party_id"] != party_id:
            raise ClaimNotFound("没有您的这一理赔案件", "No claim of yours with this id")
        if c["status"] == "withdrawn":
            raise ClaimTransitionRefused(
                "该理赔已撤回，无需记录不同意见", "The claim was withdrawn", status=c["status"]
            )
        row = await repo.insert_disagreement(
            conn, claim_id=claim_id, party_id=party_id, reason=reason
        )
        if row["new"]:
            await record(
                conn,
                AuditEvent(
                    "claim",
                    str(claim_id),
                    "disputed",
                    ("party", str(party_id)),
                    report_id,
                    {"disagreement": {"before": None, "after": reason}},
                ),
            )
            await tell_court(
                conn,
                c,
                type_="claim_status",
                key=f"disputed:{row['id']}",
                now=row["created_at"],
                data={"status": "disputed", "previous_status": c["status"], "reason": reason},
            )
    return {
        "id": str(row["id"]),
        "claim_id": str(claim_id),
        "recorded_at": row["created_at"],
        "remedies": {"zh": REMEDIES_ZH, "en": REMEDIES_EN},
    }

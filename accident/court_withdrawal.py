"""A party that asked for court handling withdraws the request (before the court has decided anything).

Only the requesting party may, and only while the case is requested, in offline mediation, or accepted or in
mediation at the court; the report becomes court_withdrawn and the court hears it as the package's next
numbered update, queued in the same transaction.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from accident import fault_review_repository as rrepo
from accident.fault_errors import NotTheRequester
from accident.fault_flow import FaultFlow, acting_party, answer, replayed, set_status
from accident.model import Status, ensure
from accident.service import Idempotency
from kernel.audit import AuditEvent, record
from kernel.identity import Principal

WITHDRAWABLE = frozenset(
    {
        Status.COURT_REQUESTED,
        Status.OFFLINE_MEDIATION,
        Status.COURT_ACCEPTED,
        Status.COURT_MEDIATION,
    }
)


async def withdraw_court_request(
    flow: FaultFlow, *, who: Principal, report_id: UUID, reason: str, idem: Idempotency | None
) -> dict[str, Any]:
    """The requesting party withdraws its request for court handling; the court is told (update `withdrawal`)."""
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        if (stored := await replayed(conn, idem)) is not None:
            return stored
        a = await acting_party(conn, who, report_id)
        ensure(
            a.status,
            WITHDRAWABLE,
            action_zh="撤回法院处理申请",
            action_en="withdraw the request for court handling",
        )
        request = await rrepo.court_request(conn, report_id=report_id)
        assert request is not None  # every withdrawable status comes from a court request
        if request["party_id"] != a.party_id:
            raise NotTheRequester()
        now = flow.intake.now()
        await rrepo.insert_court_withdrawal(
            conn, report_id=report_id, party_id=a.party_id, reason=reason, at=now
        )
        await record(
            conn,
            AuditEvent(
                "court_request",
                str(request["id"]),
                "withdrawn",
                a.actor,
                report_id,
                {
                    "withdrawn_at": {"before": None, "after": now.isoformat()},
                    "reason": {"before": None, "after": reason},
                },
            ),
        )
        await set_status(conn, a, Status.COURT_WITHDRAWN, a.actor, "court_request_withdrawn")
        await flow.court.update(
            conn,
            report_id=report_id,
            type="withdrawal",
            occurred_at=now,
            key="withdrawal",
            data={"party": a.label, "reason": reason, "previous_status": a.status.value},
        )
        return await answer(conn, idem, report_id)

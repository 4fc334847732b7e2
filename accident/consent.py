"""Consent after joining: a party may give or withdraw its sharing consent at any time (PIPL arts. 15, 23)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from accident import repository as repo
from accident.errors import ReportNotFound
from accident.service import Intake, access, check_consent
from kernel.audit import AuditEvent, record
from kernel.identity import Principal
from schemas.reports import ConsentIn


async def update_consent(
    intake: Intake, *, who: Principal, report_id: UUID, consent: ConsentIn
) -> dict[str, Any]:
    """Record the party's new consent (an appended row; the latest one counts) and say who still withholds."""
    check_consent(consent)
    async with intake.pool.acquire() as conn, conn.transaction():
        viewer = await access(conn, who, report_id)
        if viewer.party_id is None:
            raise ReportNotFound()
        await repo.insert_consent(
            conn,
            id=uuid.uuid4(),
            report_id=report_id,
            party_id=viewer.party_id,
            notice_version=consent.notice_version,
            location=consent.location,
            sharing=consent.sharing,
        )
        await record(
            conn,
            AuditEvent(
                "consent",
                str(viewer.party_id),
                "given" if consent.sharing else "sharing_withdrawn",
                ("party", str(viewer.party_id)),
                report_id,
                {
                    "sharing": {"before": None, "after": consent.sharing},
                    "notice_version": {"before": None, "after": consent.notice_version},
                },
            ),
        )
        withholding = await repo.parties_without_sharing(conn, report_id=report_id)
    return {"sharing": consent.sharing, "parties_withholding_sharing": withholding}

"""The court's callbacks: verified with the inbound court secret, processed once per webhook-id, moving the
report through the court's stages (an older callback arriving late is recorded but moves nothing back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accident import repository as reports
from accident.model import Status
from court_bridge import repository as repo
from court_bridge.errors import BadCallbackSignature, UnknownPackage
from kernel.audit import AuditEvent, record
from schemas.court import CourtCallback

STATUS_BY_TYPE: dict[str, Status] = {
    "accepted": Status.COURT_ACCEPTED,
    "mediation_scheduled": Status.COURT_MEDIATION,
    "mediation_agreement": Status.COURT_MEDIATED,
    "judicial_confirmation": Status.COURT_CONFIRMED,
    "judgment": Status.COURT_JUDGED,
    "payout_ordered": Status.COURT_PAYOUT_ORDERED,
}
# Only a report that went to the court is moved by the court.
WITH_COURT = frozenset({Status.COURT_REQUESTED, *STATUS_BY_TYPE.values()})


def verify(*, secret: str, raw: bytes, headers: Mapping[str, str]) -> str:
    """The webhook-id of a callback signed with the inbound secret within 5 minutes; else BadCallbackSignature."""
    wanted = {k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")}
    try:
        Webhook(secret).verify(raw, wanted, json_parse=False)
        raw.decode()
    except (WebhookVerificationError, ValueError):
        raise BadCallbackSignature() from None
    return wanted["webhook-id"]


async def process(pool: asyncpg.Pool, *, webhook_id: str, callback: CourtCallback) -> dict[str, Any]:
    """Record the callback once and move the report; a webhook-id seen before changes nothing."""
    async with pool.acquire() as conn, conn.transaction():
        if await repo.callback_seen(conn, webhook_id=webhook_id):
            return {"webhook_id": webhook_id, "result": "duplicate"}
        package = await repo.current(conn, package_id=callback.package_id)
        if package is None:
            raise UnknownPackage()
        report_id = package["report_id"]
        report = await reports.report(conn, report_id=report_id, lock=True)
        assert report is not None
        last = await repo.last_applied_sequence(conn, package_id=callback.package_id)
        applied = last is None or callback.sequence > last
        fresh = await repo.insert_callback(
            conn, webhook_id=webhook_id, package_id=callback.package_id, report_id=report_id, type_=callback.type,
            case_number=callback.case_number, sequence=callback.sequence, occurred_at=callback.occurred_at,
            data=callback.data, applied=applied)
        if not fresh:
            return {"webhook_id": webhook_id, "result": "duplicate"}
        actor = ("court", callback.case_number)
        await record(conn, AuditEvent("court_callback", webhook_id, callback.type, actor, report_id,
                                      {"sequence": {"before": last, "after": callback.sequence},
                                       "case_number": {"before": None, "after": callback.case_number},
                                       "applied": {"before": None, "after": applied}}))
        before, after = Status(report["status"]), STATUS_BY_TYPE[callback.type]
        if applied and before in WITH_COURT and before is not after:
            await reports.set_status(conn, report_id=report_id, status=after.value)
            await record(conn, AuditEvent("report", str(report_id), after.value, actor, report_id,
                                          {"status": {"before": before.value, "after": after.value}}))
        return {"webhook_id": webhook_id, "result": "processed" if applied else "recorded",
                "report_status": after.value if applied and before in WITH_COURT else before.value}

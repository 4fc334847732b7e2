"""The court's callbacks: verified with the inbound court secret, processed once per webhook-id, moving the
report through the court's stages. An older callback arriving late, or one naming an earlier stage, is recorded
but moves nothing back; one naming another case number is refused and kept for operators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accident import repository as reports
from accident.model import Status
from accident.notifications import notify
from court_bridge import repository as repo
from court_bridge.errors import (
    BadCallbackSignature,
    CaseNumberMismatch,
    SequenceTooFar,
    UnknownPackage,
)
from kernel.audit import AuditEvent, record
from kernel.errors import field
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


# Stages in the order a case goes through them; a callback naming an earlier stage than the report's would move
# the case backwards and is recorded without being applied.
STAGE_ORDER: dict[Status, int] = {
    st: i for i, st in enumerate((Status.COURT_REQUESTED, *STATUS_BY_TYPE.values()))
}
# A sequence this far above the last applied one is not a gap the court could have made: refused (422).
MAX_SEQUENCE_JUMP = 1000
MISMATCH = "case_number_mismatch"


async def process(
    pool: asyncpg.Pool, *, webhook_id: str, callback: CourtCallback
) -> dict[str, Any]:
    """Record the callback once and move the report (PRODUCT.md "Court → us").

    A webhook-id seen before changes nothing. A case number other than the package's is recorded for operators
    and refused (CaseNumberMismatch, also for a retry of it); a sequence more than MAX_SEQUENCE_JUMP above the
    last applied one is refused and not recorded; a stale sequence or a stage behind the report's is recorded
    and not applied (`recorded_not_applied`).
    """
    async with pool.acquire() as conn, conn.transaction():
        seen = await repo.callback_outcome(conn, webhook_id=webhook_id)
        if seen is None:
            package = await repo.current(conn, package_id=callback.package_id)
            if package is None:
                raise UnknownPackage()
            report_id = package["report_id"]
            report = await reports.report(conn, report_id=report_id, lock=True)
            assert report is not None
            seen, answer = await _record(
                conn, webhook_id, callback, report_id, Status(report["status"])
            )
            if seen is None:
                return answer
    if seen == MISMATCH:
        raise CaseNumberMismatch(
            f"回调中的案号{callback.case_number}与案件材料{callback.package_id}的案号不一致，未予处理",
            f"Case number {callback.case_number} is not package {callback.package_id}'s; the callback was not applied",
        )
    return {"webhook_id": webhook_id, "result": "duplicate"}


async def _record(
    conn: asyncpg.Connection,
    webhook_id: str,
    callback: CourtCallback,
    report_id: Any,
    before: Status,
) -> tuple[str | None, dict[str, Any]]:
    """(outcome to answer as a repeat, ...) for a mismatch or a lost race; (None, answer) otherwise."""
    last = await repo.last_applied_sequence(conn, package_id=callback.package_id)
    expected = await repo.case_number(conn, package_id=callback.package_id)
    after = STATUS_BY_TYPE[callback.type]
    if expected is not None and callback.case_number != expected:
        outcome = MISMATCH
    elif callback.sequence > (last or 0) + MAX_SEQUENCE_JUMP:
        raise SequenceTooFar(
            f"回调序号{callback.sequence}比上次已处理的序号{last or 0}大{MAX_SEQUENCE_JUMP}以上，未予处理",
            f"Sequence {callback.sequence} is more than {MAX_SEQUENCE_JUMP} above the last applied ({last or 0})",
            errors=[
                field(
                    "#/sequence",
                    f"序号最大为{(last or 0) + MAX_SEQUENCE_JUMP}",
                    f"at most {(last or 0) + MAX_SEQUENCE_JUMP}",
                )
            ],
        )
    elif last is not None and callback.sequence <= last:
        outcome = "stale"
    elif before in WITH_COURT and STAGE_ORDER[after] < STAGE_ORDER[before]:
        outcome = "backwards"
    else:
        outcome = "applied"
    fresh = await repo.insert_callback(
        conn,
        webhook_id=webhook_id,
        package_id=callback.package_id,
        report_id=report_id,
        type_=callback.type,
        case_number=callback.case_number,
        sequence=callback.sequence,
        occurred_at=callback.occurred_at,
        data=callback.data,
        outcome=outcome,
    )
    if not fresh:
        return await repo.callback_outcome(conn, webhook_id=webhook_id) or "applied", {}
    actor = ("court", callback.case_number)
    await record(
        conn,
        AuditEvent(
            "court_callback",
            webhook_id,
            callback.type,
            actor,
            report_id,
            {
                "sequence": {"before": last, "after": callback.sequence},
                "case_number": {"before": expected, "after": callback.case_number},
                "outcome": {"before": None, "after": outcome},
            },
        ),
    )
    if outcome == MISMATCH:
        return MISMATCH, {}
    applied = outcome == "applied"
    if applied and before in WITH_COURT and before is not after:
        await reports.set_status(conn, report_id=report_id, before=before, status=after)
        await record(
            conn,
            AuditEvent(
                "report",
                str(report_id),
                after.value,
                actor,
                report_id,
                {"status": {"before": before.value, "after": after.value}},
            ),
        )
    if applied and callback.type == "mediation_scheduled":
        await notify(
            conn,
            report_id=report_id,
            event="mediation_scheduled",
            key=f"{callback.package_id}:{callback.sequence}",
        )
    return None, {
        "webhook_id": webhook_id,
        "result": "processed" if applied else "recorded_not_applied",
        "report_status": after.value if applied and before in WITH_COURT else before.value,
    }

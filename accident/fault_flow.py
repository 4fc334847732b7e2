"""Use cases of the fault flow, party side: accounts → proposal, accept or dispute, and court handling.

Each use case owns its transaction; every change appends audit events and, where others must hear of it,
an outbox message in that same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from accident import fault_flow_repository as frepo
from accident import fault_review_repository as rrepo
from accident import repository as repo
from accident.evidence_records import proposal_record, record_sha256
from accident.fault import TemplateSet
from accident.fault_errors import FaultInputRefused, NotYourAccount, StaleVersion, UnknownParty
from accident.fault_model import Outcome
from accident.fault_proposal import Account, decision_json, facts_json, propose
from accident.fault_view import fault_state
from accident.identity import OtpPolicy
from accident.model import Status, ensure, not_allowed
from accident.ports import CourtCases
from accident.service import Idempotency, Intake, access
from accident.storage import PhotoStore
from kernel import idempotency, outbox
from kernel.audit import AuditEvent, record
from kernel.errors import field
from kernel.identity import Principal
from kernel.sms import SmsSender

SETTLED = "report.settled"
DISPUTED = "report.disputed"
OPEN_FOR_ACCOUNTS = frozenset({Status.FACTS_COMPLETE, Status.PROPOSED})


@dataclass(frozen=True, slots=True)
class FaultFlow:
    """What the fault flow needs from the composition root."""

    intake: Intake
    sets: Mapping[str, TemplateSet]
    sms: SmsSender
    otp: OtpPolicy
    photos: PhotoStore
    court: CourtCases
    set_id: str = "national-online"

    @property
    def template_set(self) -> TemplateSet:
        return self.sets[self.set_id]


@dataclass(frozen=True, slots=True)
class Acting:
    """The party acting on a locked report."""

    party_id: UUID
    label: str
    report: asyncpg.Record
    labels: dict[str, UUID]

    @property
    def status(self) -> Status:
        return Status(self.report["status"])

    @property
    def actor(self) -> tuple[str, str]:
        return "party", str(self.party_id)


async def acting_party(conn: asyncpg.Connection, who: Principal, report_id: UUID) -> Acting:
    """The caller as a party of this report, with the report row locked for the transaction."""
    viewer = await access(conn, who, report_id)
    if viewer.party_id is None:
        raise NotYourAccount(
            "只有本事故的当事人可以这样做", "Only a party to this report may do this"
        )
    row = await repo.report(conn, report_id=report_id, lock=True)
    assert row is not None
    labels = {p["label"]: p["id"] for p in await repo.parties(conn, report_id=report_id)}
    label = next(k for k, v in labels.items() if v == viewer.party_id)
    return Acting(viewer.party_id, label, row, labels)


async def replayed(conn: asyncpg.Connection, idem: Idempotency | None) -> dict[str, Any] | None:
    """The stored answer when this Idempotency-Key was already used (inside the caller's transaction)."""
    if idem is None:
        return None
    stored = await idempotency.claim(
        conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
    )
    return stored.body if stored else None


async def answer(
    conn: asyncpg.Connection, idem: Idempotency | None, report_id: UUID, **extra: Any
) -> dict[str, Any]:
    """The fault state as the answer, remembered under the Idempotency-Key."""
    body = {**await fault_state(conn, report_id=report_id), **extra}
    if idem is not None:
        await idempotency.store(conn, scope=idem.scope, key=idem.key, status=200, body=body)
    return body


async def set_status(
    conn: asyncpg.Connection,
    a: Acting | asyncpg.Record,
    new: Status,
    actor: tuple[str, str],
    action: str,
) -> None:
    row = a.report if isinstance(a, Acting) else a
    await repo.set_status(conn, report_id=row["id"], before=Status(row["status"]), status=new)
    await record(
        conn,
        AuditEvent(
            "report",
            str(row["id"]),
            action,
            actor,
            row["id"],
            {"status": {"before": row["status"], "after": new.value}},
        ),
    )


async def enqueue_settled(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    outcome: str,
    version: int,
    shares: list[dict[str, Any]],
    opt_ins: dict[str, bool],
    dedupe_suffix: str = "",
) -> None:
    """Tell the claims and assessment side that liability is settled (agreed or determined); a suffix marks the
    same version told again with the parties' 互碰自赔 opt-ins given on accepting a determination."""
    key = f"{SETTLED}:{report_id}:{version}" + (f":{dedupe_suffix}" if dedupe_suffix else "")
    await outbox.enqueue(
        conn,
        topic=SETTLED,
        dedupe_key=key,
        report_id=report_id,
        payload={
            "report_id": str(report_id),
            "outcome": outcome,
            "version": version,
            "parties": [
                {
                    "label": s["party"],
                    "liability": s["liability"],
                    "share_percent": s["share_percent"],
                }
                for s in shares
            ],
            "mutual_self_compensation": opt_ins,
        },
    )


async def enqueue_disputed(
    conn: asyncpg.Connection, *, report_id: UUID, stage: str, version: int, label: str, reason: str
) -> None:
    await outbox.enqueue(
        conn,
        topic=DISPUTED,
        dedupe_key=f"{DISPUTED}:{report_id}:{stage}-{version}:{label}",
        report_id=report_id,
        payload={
            "report_id": str(report_id),
            "disputed_by": label,
            "stage": stage,
            "version": version,
            "reason": reason,
        },
    )


def need_reason(response: str, reason: str | None) -> None:
    """A dispute says why (police and the court read it); an acceptance needs no reason."""
    if response == "dispute" and not (reason or "").strip():
        raise FaultInputRefused(
            "提出异议时请说明理由",
            "Give a reason when disputing",
            errors=[field("#/reason", "提出异议时请说明理由", "Give a reason when disputing")],
        )


def _check_declared(ts: TemplateSet, declared: list[str]) -> None:
    bad = [
        field(
            f"#/declared_scenarios/{j}",
            f"“{c}”不是情形列表（{ts.id}）中的情形，请从列表中选择",
            f"{c!r} is not a scenario of set {ts.id}: pick one from the list",
        )
        for j, c in enumerate(declared)
        if c not in ts.codes
    ]
    if bad:
        raise FaultInputRefused("所选情形不在情形列表中", "Unknown scenario code", errors=bad)


async def submit_account(
    flow: FaultFlow, *, who: Principal, report_id: UUID, label: str, account: dict[str, Any]
) -> dict[str, Any]:
    """A party submits or changes its own account; once every party's is in, the proposal is (re)computed."""
    ts = flow.template_set
    _check_declared(ts, account.get("declared_scenarios") or [])
    context, declared = account.pop("context"), account.pop("declared_scenarios", [])
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        a = await acting_party(conn, who, report_id)
        if label not in a.labels:
            raise UnknownParty()
        if label != a.label:
            raise NotYourAccount(
                f"您是{a.label}方，不能提交{label}方的陈述", f"You are party {a.label}, not {label}"
            )
        ensure(
            a.status,
            OPEN_FOR_ACCOUNTS,
            action_zh="提交或修改事故陈述",
            action_en="submit or change an account",
        )
        before = {r["label"]: r for r in await frepo.accounts(conn, report_id=report_id)}
        old = before.get(label)
        if old and (old["context"], old["facts"], list(old["declared_scenarios"])) == (
            context,
            account,
            declared,
        ):
            return await fault_state(conn, report_id=report_id)
        await _refuse_after_acceptance(conn, a)
        now = flow.intake.now()
        version = await frepo.save_account(
            conn,
            report_id=report_id,
            party_id=a.party_id,
            context=context,
            facts=account,
            declared=declared,
            at=now,
        )
        await record(
            conn,
            AuditEvent(
                "fault_account",
                str(a.party_id),
                "changed" if old else "submitted",
                a.actor,
                report_id,
                {
                    "version": {"before": old and old["version"], "after": version},
                    "account": {"before": old and old["facts"], "after": account},
                    "context": {"before": old and old["context"], "after": context},
                },
            ),
        )
        accounts = await frepo.accounts(conn, report_id=report_id)
        if len(accounts) >= a.report["vehicle_count"]:
            await recompute(
                conn,
                flow,
                a,
                [
                    Account(r["label"], r["context"], r["facts"], tuple(r["declared_scenarios"]))
                    for r in accounts
                ],
                at=now,
            )
        return await fault_state(conn, report_id=report_id)


async def _refuse_after_acceptance(conn: asyncpg.Connection, a: Acting) -> None:
    """Accounts may change until every party accepted the proposal (then only signing is left)."""
    proposal = await frepo.latest_proposal(conn, report_id=a.report["id"])
    if a.status is Status.PROPOSED and proposal is not None:
        answers = await frepo.responses(conn, report_id=a.report["id"], version=proposal["version"])
        if len([r for r in answers if r["response"] == "accept"]) >= len(a.labels):
            raise not_allowed(
                a.status,
                action_zh="在各方接受后修改陈述",
                action_en="change an account after every party accepted",
            )


async def recompute(
    conn: asyncpg.Connection, flow: FaultFlow, a: Acting, accounts: list[Account], *, at: datetime
) -> None:
    """Run the engine on every account; store the proposal; void earlier acceptances; proposed or in review."""
    ts = flow.template_set
    report_id = a.report["id"]
    decision = propose(ts, accounts)
    latest = await frepo.latest_proposal(conn, report_id=report_id)
    version = latest["version"] + 1 if latest else 1
    result = decision_json(decision)
    await frepo.insert_proposal(
        conn,
        report_id=report_id,
        version=version,
        set_id=ts.id,
        set_version=ts.version,
        facts=facts_json(accounts),
        result=result,
        at=at,
    )
    voided = await frepo.void_responses(conn, report_id=report_id, before=version)
    review = decision.outcome is Outcome.NEEDS_REVIEW or a.report["vehicle_count"] >= 3
    await record(
        conn,
        AuditEvent(
            "fault_proposal",
            f"{report_id}:{version}",
            "computed",
            a.actor,
            report_id,
            {
                "version": {"before": latest and latest["version"], "after": version},
                "outcome": {
                    "before": latest and latest["result"]["outcome"],
                    "after": result["outcome"],
                },
                "template_set": {"before": None, "after": f"{ts.id}@{ts.version}"},
                "voided_responses": {"before": None, "after": voided},
                "content_sha256": {
                    "before": None,
                    "after": record_sha256(
                        proposal_record(
                            report_id=report_id,
                            version=version,
                            set_id=ts.id,
                            set_version=ts.version,
                            facts=facts_json(accounts),
                            result=result,
                        )
                    ),
                },
            },
        ),
    )
    if review:
        await frepo.open_review(
            conn, report_id=report_id, source="engine", reasons=result["review_reasons"], at=at
        )
    await set_status(
        conn,
        a,
        Status.IN_REVIEW if review else Status.PROPOSED,
        a.actor,
        "review_opened" if review else "proposed",
    )


async def _answered_already(
    conn: asyncpg.Connection, a: Acting, *, version: int, response: str, reason: str | None
) -> bool:
    """This party gave this very answer to this version (and it still stands)."""
    mine = [
        r
        for r in await frepo.responses(conn, report_id=a.report["id"], version=version)
        if r["party_id"] == a.party_id and r["voided_at"] is None
    ]
    return (
        bool(mine)
        and mine[0]["response"] == response
        and (mine[0]["reason"] or None) == (reason or None)
    )


async def respond_to_proposal(
    flow: FaultFlow,
    *,
    who: Principal,
    report_id: UUID,
    version: int,
    response: str,
    reason: str | None,
    idem: Idempotency | None,
) -> dict[str, Any]:
    """Accept or dispute the current proposal version; a dispute sends the case to police review."""
    need_reason(response, reason)
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        if (stored := await replayed(conn, idem)) is not None:
            return stored
        a = await acting_party(conn, who, report_id)
        if await _answered_already(conn, a, version=version, response=response, reason=reason):
            return await fault_state(
                conn, report_id=report_id
            )  # a retry after a lost answer gets the answer
        ensure(
            a.status,
            frozenset({Status.PROPOSED}),
            action_zh="答复责任建议",
            action_en="answer the proposal",
        )
        current = await frepo.latest_proposal(conn, report_id=report_id)
        assert current is not None
        if version != current["version"]:
            v = current["version"]
            raise StaleVersion(
                f"责任建议已更新为第{v}版", f"The proposal is now v{v}", current_version=v
            )
        now = flow.intake.now()
        await frepo.insert_response(
            conn,
            report_id=report_id,
            version=version,
            party_id=a.party_id,
            response=response,
            reason=reason,
            at=now,
        )
        await record(
            conn,
            AuditEvent(
                "fault_response",
                f"{report_id}:{version}:{a.label}",
                response,
                a.actor,
                report_id,
                {
                    "proposal_version": {"before": None, "after": version},
                    "reason": {"before": None, "after": reason},
                },
            ),
        )
        if response == "dispute":
            assert reason
            reasons = [
                {
                    "code": "dispute",
                    "party": a.label,
                    "zh": f"{a.label}方提出异议：{reason}",
                    "en": f"Party {a.label} disputes: {reason}",
                }
            ]
            await frepo.open_review(
                conn, report_id=report_id, source="dispute", reasons=reasons, at=now
            )
            await enqueue_disputed(
                conn,
                report_id=report_id,
                stage="proposal",
                version=version,
                label=a.label,
                reason=reason,
            )
            await set_status(conn, a, Status.IN_REVIEW, a.actor, "disputed")
        return await answer(conn, idem, report_id)


def court_message(*, outcome: Status, zone: str, exempt_reason: str | None) -> dict[str, str]:
    """What the party is told after asking for court handling (seed 四(三): mountain and island exemption)."""
    if outcome is Status.OFFLINE_MEDIATION:
        why_zh = {"island": "海岛", "mountain": "山区"}.get(exempt_reason or "", "山区、海岛")
        why_en = {"island": "an island", "mountain": "a mountain area"}.get(
            exempt_reason or "", "a mountain or island area"
        )
        return {
            "zh": f"{zone}属于{why_zh}地区，道路交通纠纷较少，暂不接入法院网上一体化处理平台；"
            "交警部门将安排线下调解，请保持电话畅通。",
            "en": f"{zone} is {why_en} with few traffic disputes and is not connected to the courts' online "
            "platform; the traffic police will arrange mediation in person. Keep your phone reachable.",
        }
    return {
        "zh": "已受理您的法院处理申请，案件材料将提交法院网上数据一体化处理平台（在线调解、司法确认或诉讼）。",
        "en": "Your request is recorded; the case goes to the courts' online platform (mediation, judicial "
        "confirmation or litigation).",
    }


async def request_court_handling(
    conn: asyncpg.Connection,
    a: Acting,
    *,
    determination_version: int,
    reason: str,
    at: datetime,
    court: CourtCases,
) -> dict[str, str]:
    """Record a disputing party's request for court handling and move the report on, in the caller's transaction.

    Court-exempt zones (zones.court_exempt) go to offline mediation instead; elsewhere the dispute package's
    revision 1 is built and queued for the court platform in this same transaction.
    """
    zone = await rrepo.zone_exemption(conn, zone_id=a.report["zone_id"])
    outcome = Status.OFFLINE_MEDIATION if zone["court_exempt"] else Status.COURT_REQUESTED
    request_id = await rrepo.insert_court_request(
        conn,
        report_id=a.report["id"],
        version=determination_version,
        party_id=a.party_id,
        reason=reason,
        outcome=outcome.value,
        at=at,
    )
    await record(
        conn,
        AuditEvent(
            "court_request",
            str(request_id),
            "requested",
            a.actor,
            a.report["id"],
            {
                "outcome": {"before": None, "after": outcome.value},
                "reason": {"before": None, "after": reason},
            },
        ),
    )
    await set_status(conn, a, outcome, a.actor, outcome.value)
    if outcome is Status.COURT_REQUESTED:
        await court.open_case(conn, report_id=a.report["id"], actor=a.actor, now=at)
    return court_message(outcome=outcome, zone=zone["name"], exempt_reason=zone["exempt_reason"])

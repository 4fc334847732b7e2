"""Police review (在线认定, 程序规定 §20, §60–§61): the queue, the determination, the parties' answers to it,
and a disputing party's request for court handling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from accident import fault_review_repository as rrepo
from accident import repository as repo
from accident.errors import ReportNotFound
from accident.evidence_records import determination_record, record_sha256
from accident.fault_errors import FaultInputRefused, StaleVersion
from accident.fault_flow import (
    FaultFlow,
    acting_party,
    answer,
    enqueue_disputed,
    enqueue_settled,
    need_reason,
    replayed,
    request_court_handling,
    set_status,
)
from accident.fault_sets import LEGAL_BASIS
from accident.model import Status, ensure, not_allowed
from accident.notifications import notify
from accident.service import Idempotency, access
from kernel.audit import AuditEvent, record
from kernel.errors import field
from kernel.identity import Principal, StaffPrincipal

SHARES = {"full": 100, "major": 70, "equal": 50, "minor": 30, "none": 0}


async def review_queue(
    flow: FaultFlow, *, who: StaffPrincipal, sla_s: float
) -> list[dict[str, Any]]:
    """Reports of the officer's jurisdiction waiting for a police determination, oldest first, with why and
    when each is due (`sla_s` after it opened; `breached` once that is past)."""
    async with flow.intake.pool.acquire() as conn:
        rows = await rrepo.review_queue(conn, staff_id=who.staff_id)
    now = flow.intake.now()
    return [
        {
            "report_id": str(r["report_id"]),
            "opened_at": r["opened_at"],
            "source": r["source"],
            "reasons": r["reasons"],
            "zone": r["zone"],
            "vehicle_count": r["vehicle_count"],
            **review_due(r["opened_at"], sla_s, now),
        }
        for r in rows
    ]


def review_due(opened_at: datetime, sla_s: float, now: datetime) -> dict[str, Any]:
    due_at = opened_at + timedelta(seconds=sla_s)
    return {"due_at": due_at, "breached": now >= due_at}


def check_determination(
    labels: list[str], shares: list[dict[str, str]], articles: list[str]
) -> None:
    """Every party once, shares adding to 100, every article in the §4 legal-basis format; else 422."""
    errors = []
    given = [s["party"] for s in shares]
    for i, s in enumerate(shares):
        if s["party"] not in labels or given.count(s["party"]) > 1:
            errors.append(
                field(
                    f"#/shares/{i}/party",
                    f"当事人“{s['party']}”不存在或重复",
                    f"Unknown or repeated party {s['party']!r}",
                )
            )
    if missing := [label for label in labels if label not in given]:
        errors.append(
            field(
                "#/shares",
                f"缺少当事人：{'、'.join(missing)}",
                f"Missing parties: {', '.join(missing)}",
            )
        )
    if not errors and sum(SHARES[s["liability"]] for s in shares) != 100:
        errors.append(field("#/shares", "各方责任比例之和应为100", "The shares must add up to 100"))
    errors += [
        field(
            f"#/articles/{i}",
            "请按“道路交通安全法第四十三条”的格式填写法条",
            "Write the article like 道路交通安全法第四十三条",
        )
        for i, art in enumerate(articles)
        if not LEGAL_BASIS.match(art)
    ]
    if errors:
        raise FaultInputRefused(
            "认定内容有误：" + "；".join(e["detail"] for e in errors[:3]),
            "The determination is invalid: " + "; ".join(e["detail"] for e in errors[:3]),
            errors=errors,
        )


async def determine(
    flow: FaultFlow,
    *,
    who: StaffPrincipal,
    report_id: UUID,
    shares: list[dict[str, str]],
    reason: str,
    articles: list[str],
    idem: Idempotency | None,
) -> dict[str, Any]:
    """A police officer issues the determination (认定); the report is determined and report.settled queued."""
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        if (stored := await replayed(conn, idem)) is not None:
            return stored
        await access(conn, who, report_id)  # the officer's jurisdiction
        row = await repo.report(conn, report_id=report_id, lock=True)
        if row is None:
            raise ReportNotFound()
        ensure(
            Status(row["status"]),
            frozenset({Status.IN_REVIEW}),
            action_zh="出具责任认定",
            action_en="issue a determination",
        )
        parties = {p["label"]: p["id"] for p in await repo.parties(conn, report_id=report_id)}
        check_determination(sorted(parties), shares, articles)
        latest = await rrepo.latest_determination(conn, report_id=report_id)
        version = latest["version"] + 1 if latest else 1
        now = flow.intake.now()
        rows = [(parties[s["party"]], s["liability"], SHARES[s["liability"]]) for s in shares]
        await rrepo.insert_determination(
            conn,
            report_id=report_id,
            version=version,
            staff_id=who.staff_id,
            reason=reason,
            articles=articles,
            shares=rows,
            at=now,
        )
        await rrepo.close_review(conn, report_id=report_id, at=now)
        out = [
            {
                "party": s["party"],
                "liability": s["liability"],
                "share_percent": SHARES[s["liability"]],
            }
            for s in sorted(shares, key=lambda s: s["party"])
        ]
        await record(
            conn,
            AuditEvent(
                "determination",
                f"{report_id}:{version}",
                "issued",
                who.actor,
                report_id,
                {
                    "shares": {"before": None, "after": out},
                    "articles": {"before": None, "after": articles},
                    "content_sha256": {
                        "before": None,
                        "after": record_sha256(
                            determination_record(
                                report_id=report_id,
                                version=version,
                                reason=reason,
                                articles=articles,
                                shares=out,
                            )
                        ),
                    },
                },
            ),
        )
        await set_status(conn, row, Status.DETERMINED, who.actor, "determined")
        await notify(conn, report_id=report_id, event="police_determination", key=f"v{version}")
        await enqueue_settled(
            conn,
            report_id=report_id,
            outcome="determined",
            version=version,
            shares=out,
            opt_ins={label: False for label in sorted(parties)},
        )
        await flow.court.update(
            conn,
            report_id=report_id,
            type="determination",
            occurred_at=now,
            key=f"d{version}",
            data={"version": version, "shares": out, "reason": reason, "legal_basis": articles},
        )
        return await answer(conn, idem, report_id)


async def respond_to_determination(
    flow: FaultFlow,
    *,
    who: Principal,
    report_id: UUID,
    version: int,
    response: str,
    reason: str | None,
    idem: Idempotency | None,
    mutual: bool = False,
) -> dict[str, Any]:
    """A party accepts or disputes the current determination; accepting, it may opt in to 互碰自赔. Once every
    party accepted with an opt-in, the claims side hears the determination again with the opt-ins (the
    conditions of 互碰自赔 are checked there)."""
    need_reason(response, reason)
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        if (stored := await replayed(conn, idem)) is not None:
            return stored
        a = await acting_party(conn, who, report_id)
        ensure(
            a.status,
            frozenset({Status.DETERMINED}),
            action_zh="答复责任认定",
            action_en="answer the determination",
        )
        current = await rrepo.latest_determination(conn, report_id=report_id)
        assert current is not None
        if version != current["version"]:
            v = current["version"]
            raise StaleVersion(
                f"认定已更新为第{v}版", f"The determination is now v{v}", current_version=v
            )
        await rrepo.insert_determination_response(
            conn,
            report_id=report_id,
            version=version,
            party_id=a.party_id,
            response=response,
            reason=reason,
            at=flow.intake.now(),
            mutual_opt_in=mutual,
        )
        await record(
            conn,
            AuditEvent(
                "determination_response",
                f"{report_id}:{version}:{a.label}",
                response,
                a.actor,
                report_id,
                {
                    "determination_version": {"before": None, "after": version},
                    "reason": {"before": None, "after": reason},
                    "mutual_self_compensation": {"before": None, "after": mutual},
                },
            ),
        )
        answers = await rrepo.determination_responses(conn, report_id=report_id, version=version)
        if len(answers) == len(a.labels) and all(r["mutual_opt_in"] for r in answers):
            await enqueue_settled(
                conn,
                report_id=report_id,
                outcome="determined",
                version=version,
                shares=current["shares"],
                opt_ins={r["label"]: True for r in answers},
                dedupe_suffix="mutual",
            )
        if response == "dispute":
            assert reason
            await enqueue_disputed(
                conn,
                report_id=report_id,
                stage="determination",
                version=version,
                label=a.label,
                reason=reason,
            )
        return await answer(conn, idem, report_id)


async def ask_for_court(
    flow: FaultFlow, *, who: Principal, report_id: UUID, reason: str, idem: Idempotency | None
) -> dict[str, Any]:
    """A party that disputed the determination asks for court handling (or offline mediation when exempt)."""
    async with flow.intake.pool.acquire() as conn, conn.transaction():
        if (stored := await replayed(conn, idem)) is not None:
            return stored
        a = await acting_party(conn, who, report_id)
        ensure(
            a.status,
            frozenset({Status.DETERMINED}),
            action_zh="申请法院处理",
            action_en="ask for court handling",
        )
        current = await rrepo.latest_determination(conn, report_id=report_id)
        assert current is not None
        answers = await rrepo.determination_responses(
            conn, report_id=report_id, version=current["version"]
        )
        if not any(r["party_id"] == a.party_id and r["response"] == "dispute" for r in answers):
            raise not_allowed(
                a.status,
                action_zh="在未对认定提出异议时申请法院处理",
                action_en="ask for court handling without disputing the determination",
            )
        message = await request_court_handling(
            conn,
            a,
            determination_version=current["version"],
            reason=reason,
            at=flow.intake.now(),
            court=flow.court,
        )
        return await answer(conn, idem, report_id, message=message)

"""Use cases after creation: further parties join, share codes, evidence submission, a phone's reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg

from accident import repository as repo
from accident.errors import (
    AlreadyParty,
    EvidenceIncomplete,
    ReportFull,
    ReportNotFound,
    WrongShareCode,
)
from accident.model import OPEN_FOR_PARTIES, Status, after_join, after_submit, ensure, next_label
from accident.notifications import notify
from accident.service import (
    Idempotency,
    Intake,
    access,
    check_consent,
    check_phone,
    new_consent,
    new_party,
    new_share_code,
    normalise_share_code,
    party_audit,
    sealed_answer,
    unseal_answer,
    verdict_for,
)
from accident.views import Viewer, eligibility_out, missing_photo_kinds, render_report
from kernel import idempotency, ratelimit
from kernel.audit import AuditEvent, record
from kernel.crypto import new_token
from kernel.errors import field
from kernel.identity import PhonePrincipal, Principal
from kernel.sessions import PARTY_PREFIX
from schemas.reports import REQUIRED_PHOTO_KINDS, ReportJoin


async def join_report(
    intake: Intake, *, who: PhonePrincipal, body: ReportJoin, ip: str, idem: Idempotency | None
) -> tuple[int, bytes]:
    """A further party joins with the share code; failing the gate refers the whole case to 122."""
    check_consent(body.consent)
    k = intake.keyring
    check_phone(k, who, body.party)
    n = intake.policy.share_code_max_attempts
    limits = (
        ratelimit.Limit(
            f"share:ip:{ip}",
            (
                ratelimit.Window(
                    "share-code-attempts-per-address-per-hour",
                    n,
                    3600,
                    f"同一网络地址每小时最多尝试{n}次分享码",
                    f"One network address tries at most {n} share codes an hour",
                ),
            ),
        ),
        ratelimit.Limit(
            f"share:phone:{who.phone_hash.hex()}",
            (
                ratelimit.Window(
                    "share-code-attempts-per-phone-per-hour",
                    n,
                    3600,
                    f"每个手机号每小时最多尝试{n}次分享码",
                    f"A phone tries at most {n} share codes an hour",
                ),
            ),
        ),
    )
    guessed_wrong = False
    async with intake.pool.acquire() as conn:
        # Every attempt takes a hit first (atomically, committed), and only a wrong code keeps it: guesses made
        # at the same time cannot slip past the limit.
        at = await ratelimit.take(conn, *limits, enabled=intake.policy.rate_limits)
        try:
            async with conn.transaction():
                if idem:
                    stored = await idempotency.claim(
                        conn, scope=idem.scope, key=idem.key, request_hash=idem.request_hash
                    )
                    if stored is not None:
                        return stored.status, unseal_answer(k, stored.body)
                code = normalise_share_code(body.share_code)
                report_id = await repo.share_code_report(conn, code_hash=k.token_hash(code))
                if report_id is None:
                    guessed_wrong = True
                    raise WrongShareCode(
                        "分享码不正确或已过期，请向对方核对",
                        "Wrong or expired share code; check it with the other driver",
                        errors=[
                            field(
                                "#/share_code",
                                "没有使用这个分享码的事故，请向对方核对",
                                "No open report has this code: check it with the other driver",
                            )
                        ],
                    )
                status, response = await _join_locked(
                    intake, conn, who=who, body=body, report_id=report_id
                )
                answer, sealed = sealed_answer(k, response)
                if idem:
                    await idempotency.store(
                        conn, scope=idem.scope, key=idem.key, status=status, body={"enc": sealed}
                    )
                return status, answer
        finally:
            if not guessed_wrong:
                await ratelimit.give_back(conn, at, *(lim.bucket for lim in limits))


async def tell_referred(
    conn: asyncpg.Connection, *, report_id: UUID, parties: list[asyncpg.Record], action: str
) -> None:
    """Text the parties already in the report that the case went to 122 when another party joined (the other's
    reasons are theirs, not told); once per party, through the outbox."""
    await notify(
        conn,
        report_id=report_id,
        event="referred_to_122",
        key="join",
        labels=[p["label"] for p in parties],
        detail={"action": action},
    )


async def _join_locked(
    intake: Intake,
    conn: asyncpg.Connection,
    *,
    who: PhonePrincipal,
    body: ReportJoin,
    report_id: UUID,
) -> tuple[int, dict[str, Any]]:
    k = intake.keyring
    row = await repo.report(conn, report_id=report_id, lock=True)
    assert row is not None
    status = Status(row["status"])
    ensure(status, OPEN_FOR_PARTIES, action_zh="加入", action_en="join")
    parties = await repo.parties(conn, report_id=report_id)
    if any(bytes(p["phone_hash"]) == who.phone_hash for p in parties):
        raise AlreadyParty(
            "您已是本事故的当事人，请直接查看报告",
            "You are already a party; open the report instead",
        )
    if len(parties) >= row["vehicle_count"]:
        raise ReportFull()
    label = next_label([p["label"] for p in parties])
    verdict = verdict_for(body.case_answers, body.party, label)
    if not verdict.eligible:
        referral = eligibility_out(verdict)
        await repo.set_status(
            conn,
            report_id=report_id,
            before=status,
            status=Status.REFERRED_TO_122,
            referral=referral,
        )
        await repo.expire_share_codes(conn, report_id=report_id)
        await record(
            conn,
            AuditEvent(
                "report",
                str(report_id),
                "referred_to_122",
                who.actor,
                report_id,
                {
                    "status": {"before": status.value, "after": "referred_to_122"},
                    "reasons": {"before": None, "after": [r.code for r in verdict.reasons]},
                },
            ),
        )
        await tell_referred(conn, report_id=report_id, parties=parties, action=referral["action"])
        return 200, {"status": "referred_to_122", "eligibility": referral}
    party_id = uuid.uuid4()
    token = new_token(PARTY_PREFIX)
    await repo.insert_party(
        conn,
        repo.JoiningParty(
            party=new_party(
                k,
                body.party,
                party_id=party_id,
                report_id=report_id,
                label=label,
                phone_hash=who.phone_hash,
            ),
            consent=new_consent(body.consent),
            token_hash=k.token_hash(token),
        ),
    )
    events = [
        AuditEvent(e, str(party_id), a, ("party", str(party_id)), report_id, ch)
        for e, a, ch in party_audit(label, body.party, body.consent)
    ]
    new_status = after_join(status, vehicle_count=row["vehicle_count"], joined=len(parties) + 1)
    if new_status is not status:
        await repo.set_status(conn, report_id=report_id, before=status, status=new_status)
        events.append(
            AuditEvent(
                "report",
                str(report_id),
                "facts_complete",
                ("party", str(party_id)),
                report_id,
                {"status": {"before": status.value, "after": new_status.value}},
            )
        )
    if len(parties) + 1 >= row["vehicle_count"]:
        await repo.expire_share_codes(conn, report_id=report_id)
    await record(conn, *events)
    await notify(
        conn,
        report_id=report_id,
        event="party_joined",
        key=str(party_id),
        labels=[p["label"] for p in parties],
        detail={"label": label},
    )
    view = await _view(conn, intake, report_id, Viewer(party_id=party_id))
    return 201, {"report": view, "party_id": str(party_id), "label": label, "party_token": token}


async def _view(
    conn: asyncpg.Connection, intake: Intake, report_id: UUID, viewer: Viewer
) -> dict[str, Any]:
    row = await repo.report(conn, report_id=report_id)
    assert row is not None
    parties = await repo.parties(conn, report_id=report_id)
    photos = await repo.photos(conn, report_id=report_id)
    return render_report(
        dict(row),
        [dict(p) for p in parties],
        [dict(p) for p in photos],
        viewer=viewer,
        keyring=intake.keyring,
    )


async def _party_in_open_report(
    conn: asyncpg.Connection, who: Principal, report_id: UUID
) -> tuple[Viewer, Any]:
    viewer = await access(conn, who, report_id)
    if viewer.party_id is None:
        raise ReportNotFound()
    row = await repo.report(conn, report_id=report_id, lock=True)
    if row is None:
        raise ReportNotFound()
    return viewer, row


async def reissue_share_code(intake: Intake, *, who: Principal, report_id: UUID) -> dict[str, Any]:
    """A new share code (the old ones stop working) while parties are still missing."""
    code = new_share_code()
    expires = intake.now() + timedelta(seconds=intake.policy.share_code_ttl_s)
    async with intake.pool.acquire() as conn, conn.transaction():
        viewer, row = await _party_in_open_report(conn, who, report_id)
        ensure(
            Status(row["status"]),
            OPEN_FOR_PARTIES,
            action_zh="生成分享码",
            action_en="issue a share code",
        )
        joined = len(await repo.parties(conn, report_id=report_id))
        if joined >= row["vehicle_count"]:
            raise ReportFull()
        await repo.expire_share_codes(conn, report_id=report_id)
        await repo.insert_share_code(
            conn, code_hash=intake.keyring.token_hash(code), report_id=report_id, expires_at=expires
        )
        await record(
            conn,
            AuditEvent(
                "share_code",
                str(report_id),
                "issued",
                ("party", str(viewer.party_id)),
                report_id,
                {"expires_at": {"before": None, "after": expires.isoformat()}},
            ),
        )
    return {"share_code": {"code": code, "expires_at": expires.isoformat()}}


async def submit_evidence(intake: Intake, *, who: Principal, report_id: UUID) -> dict[str, Any]:
    """Leave the draft stage: needs the three overview/impact photos (the vehicles may then be moved)."""
    async with intake.pool.acquire() as conn, conn.transaction():
        viewer, row = await _party_in_open_report(conn, who, report_id)
        status = Status(row["status"])
        if status in (Status.AWAITING_PARTIES, Status.FACTS_COMPLETE):
            return await _view(
                conn, intake, report_id, viewer
            )  # submitted already: a retry gets the answer
        ensure(
            status,
            frozenset({Status.DRAFT}),
            action_zh="提交现场证据",
            action_en="submit the evidence",
        )
        photos = await repo.photos(conn, report_id=report_id)
        missing = missing_photo_kinds([dict(p) for p in photos])
        if missing:
            raise EvidenceIncomplete(
                "还缺少以下照片：" + "、".join(_PHOTO_ZH[m] for m in missing),
                "Still missing: " + ", ".join(missing),
                missing=missing,
            )
        joined = len(await repo.parties(conn, report_id=report_id))
        new_status = after_submit(vehicle_count=row["vehicle_count"], joined=joined)
        await repo.set_status(conn, report_id=report_id, before=status, status=new_status)
        await record(
            conn,
            AuditEvent(
                "report",
                str(report_id),
                "evidence_submitted",
                ("party", str(viewer.party_id)),
                report_id,
                {"status": {"before": status.value, "after": new_status.value}},
            ),
        )
        return await _view(conn, intake, report_id, viewer)


_PHOTO_ZH = {
    "front_overview": "侧前方全景",
    "rear_overview": "侧后方全景",
    "impact_point": "碰撞部位",
}
assert set(_PHOTO_ZH) == set(REQUIRED_PHOTO_KINDS)


async def my_reports(intake: Intake, *, who: PhonePrincipal) -> dict[str, Any]:
    async with intake.pool.acquire() as conn:
        rows = await repo.reports_of_phone(conn, phone_hash=who.phone_hash)
        if (
            who.host_phone_hash is not None
        ):  # on another's phone: only the reports shared with that phone
            shared = {
                r["id"] for r in await repo.reports_of_phone(conn, phone_hash=who.host_phone_hash)
            }
            rows = [r for r in rows if r["id"] in shared]
    return {
        "reports": [
            {
                "report_id": str(r["id"]),
                "label": r["label"],
                "status": r["status"],
                "occurred_at": r["occurred_at"].isoformat(),
                "plate": r["plate"],
            }
            for r in rows
        ]
    }

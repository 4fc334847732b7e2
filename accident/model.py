"""The report lifecycle and its guards. PURE."""

from __future__ import annotations

from enum import StrEnum

from accident.errors import IllegalTransition


class Status(StrEnum):
    DRAFT = "draft"  # party A is collecting evidence
    AWAITING_PARTIES = "awaiting_parties"  # A's evidence is in; other parties still to join
    FACTS_COMPLETE = "facts_complete"  # every party joined and the evidence is complete
    REFERRED_TO_122 = "referred_to_122"  # a party failed the eligibility gate: police handle it
    WITHDRAWN = "withdrawn"
    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_REVIEW = "in_review"
    DETERMINED = "determined"
    COURT_REQUESTED = "court_requested"
    OFFLINE_MEDIATION = "offline_mediation"
    CLOSED = "closed"
    # Moved by the court platform's callbacks (court bridge).
    COURT_ACCEPTED = "court_accepted"
    COURT_MEDIATION = "court_mediation"
    COURT_MEDIATED = "court_mediated"
    COURT_CONFIRMED = "court_confirmed"
    COURT_JUDGED = "court_judged"
    COURT_PAYOUT_ORDERED = "court_payout_ordered"
    COURT_WITHDRAWN = (
        "court_withdrawn"  # the requesting party withdrew its request for court handling
    )


# Where the report's handling in the service is over: nothing moves it further (closed, withdrawn), the police
# took it offline (122), or the court's part ended (request withdrawn, agreement confirmed, payout ordered).
# Party tokens stop working a retention period after the report entered one of these.
FINISHED = frozenset(
    {
        Status.CLOSED,
        Status.WITHDRAWN,
        Status.REFERRED_TO_122,
        Status.COURT_WITHDRAWN,
        Status.COURT_CONFIRMED,
        Status.COURT_PAYOUT_ORDERED,
    }
)

# Where parties may still join and evidence may still be added.
OPEN_FOR_PARTIES = frozenset({Status.DRAFT, Status.AWAITING_PARTIES})
OPEN_FOR_PHOTOS = frozenset({Status.DRAFT, Status.AWAITING_PARTIES, Status.FACTS_COMPLETE})


S = Status
_COURT_STAGES = (
    S.COURT_REQUESTED,
    S.COURT_ACCEPTED,
    S.COURT_MEDIATION,
    S.COURT_MEDIATED,
    S.COURT_CONFIRMED,
    S.COURT_JUDGED,
    S.COURT_PAYOUT_ORDERED,
)
# Every move a report may make, and nothing else: a status change anywhere goes through `transition` (the
# repository's set_status calls it). The court's stages only move forward (its callbacks skip stages freely);
# a court request may be withdrawn until the court's part ended.
NEXT: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset(
        {S.AWAITING_PARTIES, S.FACTS_COMPLETE, S.REFERRED_TO_122}
    ),  # evidence submitted; 122
    S.AWAITING_PARTIES: frozenset(
        {S.FACTS_COMPLETE, S.REFERRED_TO_122}
    ),  # the last party joined; 122
    S.FACTS_COMPLETE: frozenset(
        {S.PROPOSED, S.IN_REVIEW}
    ),  # every account in: the engine proposes or refers
    S.PROPOSED: frozenset(
        {S.PROPOSED, S.AGREED, S.IN_REVIEW}
    ),  # an account changed; all signed; disputed
    S.IN_REVIEW: frozenset({S.DETERMINED}),  # the police determination
    S.DETERMINED: frozenset(
        {S.COURT_REQUESTED, S.OFFLINE_MEDIATION}
    ),  # a party asks for court handling
    S.OFFLINE_MEDIATION: frozenset({S.COURT_WITHDRAWN}),
    **{
        stage: frozenset(_COURT_STAGES[i + 1 :])
        | (
            frozenset({S.COURT_WITHDRAWN})
            if stage not in (S.COURT_CONFIRMED, S.COURT_PAYOUT_ORDERED)
            else frozenset()
        )
        for i, stage in enumerate(_COURT_STAGES)
    },
    S.AGREED: frozenset(),
    S.REFERRED_TO_122: frozenset(),
    S.COURT_WITHDRAWN: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
}


def transition(before: Status, after: Status) -> Status:
    """The one check of every status change: `after` must be a move NEXT allows from `before` (409 otherwise)."""
    if after not in NEXT[before]:
        raise IllegalTransition(
            f"报告当前状态为“{STATUS_ZH[before]}”，不能变为“{STATUS_ZH[after]}”",
            f"The report is {before.value}; it cannot become {after.value}",
            status=before.value,
        )
    return after


def not_allowed(status: Status, *, action_zh: str, action_en: str) -> IllegalTransition:
    """The 409 for an action the report's current status does not allow, in both languages."""
    return IllegalTransition(
        f"报告当前状态为“{STATUS_ZH[status]}”，不能{action_zh}",
        f"The report is {status.value}; cannot {action_en}",
        status=status.value,
    )


def ensure(status: Status, allowed: frozenset[Status], *, action_zh: str, action_en: str) -> None:
    """Refuse an action the current status does not allow (409), never a silent no-op."""
    if status not in allowed:
        raise not_allowed(status, action_zh=action_zh, action_en=action_en)


def after_submit(*, vehicle_count: int, joined: int) -> Status:
    """Evidence submitted by party A: wait for the others unless everyone is in."""
    return Status.FACTS_COMPLETE if joined >= vehicle_count else Status.AWAITING_PARTIES


def after_join(status: Status, *, vehicle_count: int, joined: int) -> Status:
    """A party joined: the facts are complete once A submitted and every vehicle's party is in."""
    if status is Status.AWAITING_PARTIES and joined >= vehicle_count:
        return Status.FACTS_COMPLETE
    return status


def next_label(taken: list[str]) -> str:
    """Parties are labelled A, B, C ... in the order they join."""
    for code in range(ord("A"), ord("Z") + 1):
        if chr(code) not in taken:
            return chr(code)
    raise IllegalTransition("参与方过多", "Too many parties")


STATUS_ZH: dict[Status, str] = {
    Status.DRAFT: "草稿（收集证据）",
    Status.AWAITING_PARTIES: "等待其他当事人加入",
    Status.FACTS_COMPLETE: "事实已齐全",
    Status.REFERRED_TO_122: "已转122处理",
    Status.WITHDRAWN: "已撤回",
    Status.PROPOSED: "已出具责任建议",
    Status.AGREED: "已达成协议",
    Status.IN_REVIEW: "交警审核中",
    Status.DETERMINED: "交警已认定",
    Status.COURT_REQUESTED: "已申请法院处理",
    Status.OFFLINE_MEDIATION: "线下调解",
    Status.CLOSED: "已结案",
    Status.COURT_ACCEPTED: "法院已受理",
    Status.COURT_MEDIATION: "法院调解中",
    Status.COURT_MEDIATED: "已达成调解协议",
    Status.COURT_CONFIRMED: "调解协议已司法确认",
    Status.COURT_JUDGED: "法院已判决",
    Status.COURT_PAYOUT_ORDERED: "法院已裁定赔付",
    Status.COURT_WITHDRAWN: "已撤回法院处理申请",
}

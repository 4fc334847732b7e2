"""The claim lifecycle and the statutory deadlines of 交强险条例 §28–§29. PURE.

§28: within 1 day of receiving the claim application the insurer lists the documents it needs.
§29: within 5 days of complete documents it decides whether the loss is covered (with reasons if not);
within 10 days of agreeing the payout with the claimant it pays.
Days are counted as 民法典 §201, §203 say (claims.calendar): from the next day, to 24:00 Beijing time,
a last day on a rest day moved to the next working day. The statute states these duties towards the
insured (被保险人); towards a third party the insurer pays directly (§31) they are kuaichu's service
commitment, held to the same clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from claims.calendar import HolidayCalendar


class ClaimStatus(StrEnum):
    OPENED = "opened"
    DOCUMENTS_REQUESTED = "documents_requested"
    DOCUMENTS_COMPLETE = "documents_complete"
    DECIDED = "decided"
    PAYOUT_AGREED = "payout_agreed"
    PAID = "paid"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    NOT_OWING = "not_owing"  # a line whose insurer owes nothing under the decided cover


S = ClaimStatus
TERMINAL = frozenset({S.CLOSED, S.WITHDRAWN, S.NOT_OWING})
NEXT: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    # documents_complete at once: the insurer states none are needed, or says it has them all (PRODUCT.md)
    S.OPENED: frozenset({S.DOCUMENTS_REQUESTED, S.DOCUMENTS_COMPLETE, S.WITHDRAWN}),
    S.DOCUMENTS_REQUESTED: frozenset(
        {S.DOCUMENTS_REQUESTED, S.DOCUMENTS_COMPLETE, S.WITHDRAWN}
    ),  # more items
    S.DOCUMENTS_COMPLETE: frozenset({S.DECIDED, S.WITHDRAWN}),
    S.DECIDED: frozenset({S.PAYOUT_AGREED, S.CLOSED, S.WITHDRAWN}),  # closed: not covered
    S.PAYOUT_AGREED: frozenset({S.PAYOUT_AGREED, S.PAID, S.WITHDRAWN}),  # revisable until paid
    S.PAID: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.NOT_OWING: frozenset(),
}

# How a claim's status reads to a person (messages; the API keeps the values above).
STATUS_ZH: dict[ClaimStatus, str] = {
    S.OPENED: "已受理",
    S.DOCUMENTS_REQUESTED: "已告知需提供的材料",
    S.DOCUMENTS_COMPLETE: "材料已齐全",
    S.DECIDED: "已核定",
    S.PAYOUT_AGREED: "已达成赔偿协议",
    S.PAID: "已赔付",
    S.CLOSED: "已结案",
    S.WITHDRAWN: "已撤回",
    S.NOT_OWING: "无需该保险公司赔付",
}
STATUS_EN: dict[ClaimStatus, str] = {
    S.OPENED: "opened",
    S.DOCUMENTS_REQUESTED: "documents requested",
    S.DOCUMENTS_COMPLETE: "documents complete",
    S.DECIDED: "decided",
    S.PAYOUT_AGREED: "payout agreed",
    S.PAID: "paid",
    S.CLOSED: "closed",
    S.WITHDRAWN: "withdrawn",
    S.NOT_OWING: "not owing (this insurer pays nothing)",
}

DOCUMENTS_LISTED_DAYS = 1  # §28
DECISION_DAYS = 5  # §29
PAYMENT_DAYS = 10  # §29
# Lower bounds of the periods (a period of n days ends more than n days after its event), for narrowing scans.
DOCUMENTS_LISTED_WITHIN = timedelta(days=DOCUMENTS_LISTED_DAYS)
DECISION_WITHIN = timedelta(days=DECISION_DAYS)
PAYMENT_WITHIN = timedelta(days=PAYMENT_DAYS)


class IllegalClaimTransition(ValueError):
    """The claim's status does not allow this step."""

    def __init__(self, current: ClaimStatus, wanted: ClaimStatus) -> None:
        super().__init__(f"a claim that is {current.value} cannot become {wanted.value}")
        self.current = current
        self.wanted = wanted


def ensure_transition(current: ClaimStatus, wanted: ClaimStatus) -> None:
    """Refuse a step the lifecycle does not allow."""
    if wanted not in NEXT[current]:
        raise IllegalClaimTransition(current, wanted)


@dataclass(frozen=True, slots=True)
class Moments:
    """The recorded moments the deadlines run from (None until they happen). `applied_at` is when the insurer
    received the application (§28 runs from it): a line's receipt, None while it has not received it."""

    applied_at: datetime | None
    documents_requested_at: datetime | None = None
    documents_complete_at: datetime | None = None
    decided_at: datetime | None = None
    payout_agreed_at: datetime | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    duty: str  # documents_listed | decision | payment
    due_at: datetime
    met_at: datetime | None
    basis: str
    provisional: bool = False  # counted without the holiday data of its year (weekends only)

    def overdue(self, now: datetime) -> bool:
        """Late if not met by the due time, or met after it is still a breach but no longer open."""
        return self.met_at is None and now > self.due_at


def _deadline(
    duty: str,
    start: datetime,
    days: int,
    met_at: datetime | None,
    basis: str,
    calendar: HolidayCalendar,
) -> Deadline:
    due = calendar.due(start, days)
    return Deadline(duty, due.at, met_at, f"{basis}; 民法典 §201, §203", due.provisional)


def deadlines(m: Moments, calendar: HolidayCalendar) -> list[Deadline]:
    """Each duty whose clock has started, with its due time and when it was met."""
    out = []
    if m.applied_at is not None:
        out.append(
            _deadline(
                "documents_listed",
                m.applied_at,
                DOCUMENTS_LISTED_DAYS,
                m.documents_requested_at,
                "交强险条例 §28",
                calendar,
            )
        )
    if m.documents_complete_at is not None:
        out.append(
            _deadline(
                "decision",
                m.documents_complete_at,
                DECISION_DAYS,
                m.decided_at,
                "交强险条例 §29",
                calendar,
            )
        )
    if m.payout_agreed_at is not None:
        out.append(
            _deadline(
                "payment", m.payout_agreed_at, PAYMENT_DAYS, m.paid_at, "交强险条例 §29", calendar
            )
        )
    return out


def duty_state(d: Deadline, *, now: datetime, ended_at: datetime | None) -> str:
    """How a duty stands: `met` or `met_late` (met after its due time: it stays visible as such), `open` or
    `overdue` while owed, and once its line ended unmet (closed, withdrawn, not owing) `breached` if it was
    already past due then, else `ended`."""
    if d.met_at is not None:
        return "met_late" if d.met_at > d.due_at else "met"
    if ended_at is not None:
        return "breached" if ended_at > d.due_at else "ended"
    return "overdue" if now > d.due_at else "open"


def overdue(
    m: Moments, *, status: ClaimStatus, now: datetime, calendar: HolidayCalendar
) -> list[Deadline]:
    """Open duties past due; a withdrawn or closed claim owes nothing more."""
    if status in TERMINAL:
        return []
    return [d for d in deadlines(m, calendar) if d.overdue(now)]

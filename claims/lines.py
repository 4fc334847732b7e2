"""Lines of a claim: which insurers could owe on a damaged vehicle's loss, and what each owes once cover is
decided. PURE.

PRODUCT.md "Claims under 交强险": a claim opens with a line for every insurer that could owe on it — the
other vehicles' insurers under the liability rules (交强险条例 §21, §23; a no-fault vehicle never pays a no-fault
one: industry rule, not statute), plus the vehicle's own insurer when every party opted in to 互碰自赔
(《交强险财产损失“互碰自赔”处理办法》 2009). When cover is decided (every loss assessed) a line that owes nothing
closes as `not_owing`. While no party bears liability, cover is not computed (a person decides), so every
other vehicle's insurer keeps its line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from claims.model import PartyCover
from claims.rules import payers_of

LIABILITY = "liability"
MUTUAL = "mutual_self_compensation"
# Cover payments an insurer makes (a party's own payments and the self-borne rest are no line's).
INSURER_SOURCES = frozenset({"compulsory", "own_insurer"})
LINE_TERMINAL = frozenset({"closed", "withdrawn", "not_owing"})


@dataclass(frozen=True, slots=True)
class LinePlan:
    """One insurer that could owe on a claim: why, and for which of its insured vehicles."""

    insurer_code: str
    basis: str  # liability | mutual_self_compensation
    payer_labels: tuple[str, ...]


def planned_lines(parties: Sequence[PartyCover], label: str) -> list[LinePlan]:
    """The lines a claim on vehicle `label` opens with, one per insurer, in insurer-code order."""
    victim = next(p for p in parties if p.label == label)
    nobody_liable = all(p.share_percent == 0 for p in parties)
    payers = (
        [p for p in parties if p.label != label] if nobody_liable else payers_of(victim, parties)
    )
    by_insurer: dict[str, list[str]] = {}
    basis: dict[str, str] = {}
    for p in payers:
        if (
            p.insurer_code and p.has_compulsory
        ):  # an uninsured payer pays as a party (SPC 2020 §16): no line
            by_insurer.setdefault(p.insurer_code, []).append(p.label)
            basis.setdefault(p.insurer_code, LIABILITY)
    if len(parties) > 1 and victim.insurer_code and all(p.opted_in_mutual for p in parties):
        by_insurer.setdefault(victim.insurer_code, []).append(label)
        basis.setdefault(victim.insurer_code, MUTUAL)
    return [
        LinePlan(code, basis[code], tuple(sorted(labels)))
        for code, labels in sorted(by_insurer.items())
    ]


def owed_by(cover: Mapping[str, Any] | None, insurer_code: str) -> int | None:
    """What one insurer owes on a claim under its decided cover (that claim's payments); None while cover is
    not decided or waits for a person (no party liable)."""
    if not cover or cover.get("mode") == "manual_decision":
        return None
    return sum(
        p["amount_fen"]
        for p in cover["payments"]
        if p["insurer_code"] == insurer_code and p["source"] in INSURER_SOURCES
    )


def owes_nothing(cover: Mapping[str, Any] | None, insurer_code: str) -> bool:
    """The line closes as not_owing: cover is decided and gives this insurer nothing to pay."""
    return owed_by(cover, insurer_code) == 0


def claim_status_of(line_statuses: Sequence[str]) -> str:
    """The claim's status summed up from its lines: closed when every line is done (withdrawn if every one was
    withdrawn), else opened. A claim without lines (a single vehicle) stays opened."""
    if not line_statuses or any(s not in LINE_TERMINAL for s in line_statuses):
        return "opened"
    return "withdrawn" if all(s == "withdrawn" for s in line_statuses) else "closed"

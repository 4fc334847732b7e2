"""The fact vocabulary (FAULT_RULES.md §2) and the decision shape (§4) of the fault engine. PURE."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

from schemas.fault_vocabulary import (
    Collision,
    Direction,
    FaultLiability,
    FaultOutcome,
    Flag,
    Impact,
    Junction,
    Movement,
    Priority,
    ReviewCode,
    Signal,
)

# §2's values, as schemas.fault_vocabulary declares them.
JUNCTIONS = frozenset(get_args(Junction))
COLLISIONS = frozenset(get_args(Collision))
MOVEMENTS = frozenset(get_args(Movement))
IMPACTS = frozenset(get_args(Impact))
SIGNALS = frozenset(get_args(Signal))
PRIORITIES = frozenset(get_args(Priority))
DIRECTIONS = frozenset(get_args(Direction))
FLAGS = frozenset(get_args(Flag))

CONTEXT_FACTS: dict[str, frozenset] = {"junction": JUNCTIONS, "collision": COLLISIONS}
CASE_FACTS: dict[str, frozenset] = {"party_count": frozenset({1, 2})}
PARTY_FACTS: dict[str, frozenset] = {
    "movement": MOVEMENTS,
    "impact": IMPACTS,
    "signal": SIGNALS,
    "priority": PRIORITIES,
    "other_from": DIRECTIONS,
    "flags": FLAGS,
}
SET_FACTS = frozenset(
    {"flags"}
)  # facts whose value is a set of names, tested with contains/not_contains


Outcome = FaultOutcome
Liability = FaultLiability

SHARE_PERCENT = {Liability.FULL: 100, Liability.EQUAL: 50, Liability.NONE: 0}


@dataclass(frozen=True, slots=True)
class Context:
    junction: str
    collision: str


@dataclass(frozen=True, slots=True)
class Party:
    """One party's own facts; None is unknown, never assumed."""

    id: str
    movement: str
    impact: str | None = None
    signal: str | None = None
    priority: str | None = None
    other_from: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    declared_scenarios: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    context: Context
    parties: tuple[Party, ...]

    @classmethod
    def from_dict(cls, data: dict) -> Facts:
        """Facts from the §2 JSON shape (already validated, e.g. as stored with a decision)."""
        ctx = data["context"]
        return cls(
            Context(ctx["junction"], ctx["collision"]),
            tuple(
                Party(
                    id=p["id"],
                    movement=p["movement"],
                    impact=p.get("impact"),
                    signal=p.get("signal"),
                    priority=p.get("priority"),
                    other_from=p.get("other_from"),
                    flags=frozenset(p.get("flags") or ()),
                    declared_scenarios=tuple(p.get("declared_scenarios") or ()),
                )
                for p in data["parties"]
            ),
        )


@dataclass(frozen=True, slots=True)
class Match:
    party: str
    code: str
    title_zh: str
    title_en: str
    legal_basis: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Allocation:
    party: str
    liability: Liability

    @property
    def share_percent(self) -> int:
        return SHARE_PERCENT[self.liability]


@dataclass(frozen=True, slots=True)
class ReviewReason:
    code: ReviewCode
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine decided, naming the set (id + version) and every matched row."""

    outcome: Outcome
    allocations: tuple[Allocation, ...]
    matched: tuple[Match, ...]
    set_id: str
    set_version: str
    review_reasons: tuple[ReviewReason, ...]

"""`POST /v1/fault/assess` (FAULT_RULES.md §2 facts in, §4 decision out; both fixed contracts)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Out, Strict
from schemas.common import Text
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


class FaultContext(Strict):
    junction: Junction
    collision: Collision = Field(description="事故形态, after GA/T 16.2")


class FaultParty(Strict):
    """One party's own facts; an absent impact, signal, priority or other_from is unknown."""

    id: str = Field(
        min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$", description="e.g. A, B"
    )
    movement: Movement = Field(description="行驶状态, after GA 16.9")
    impact: Impact | None = Field(None, description="where this party's vehicle was hit")
    signal: Signal | None = Field(None, description="the light facing this party")
    priority: Priority | None = Field(
        None, description="signs or markings on this party's approach"
    )
    other_from: Direction | None = Field(
        None, description="where the other party came from, from this heading"
    )
    flags: list[Flag] = Field(default_factory=list, max_length=12)
    declared_scenarios: list[Text] = Field(
        default_factory=list,
        max_length=40,
        description="codes this party picked as applying to its own driving",
    )


class FaultAssess(Strict):
    context: FaultContext
    parties: list[FaultParty] = Field(min_length=1, max_length=10)
    template_set: Text | None = Field(
        None, max_length=64, description="a template set id; the national default"
    )


class Title(Out):
    zh: str
    en: str


class AllocationRead(Out):
    party: str
    liability: FaultLiability
    share_percent: Literal[100, 50, 0]


class MatchedScenario(Out):
    party: str
    scenario: str
    title: Title
    legal_basis: list[str]


class TemplateSetRef(Out):
    id: str
    version: str


class ReviewReasonRead(Out):
    code: ReviewCode
    zh: str
    en: str


class FaultDecisionRead(Out):
    outcome: FaultOutcome
    allocations: list[AllocationRead]
    matched: list[MatchedScenario]
    template_set: TemplateSetRef
    review_reasons: list[ReviewReasonRead]

"""The fault engine's vocabulary, declared once: the facts of FAULT_RULES.md §2 (a fixed contract: these names
and values are what the phone UI asks for) and the decision's words of §4. The HTTP models (schemas/fault.py,
schemas/fault_flow.py) take these types; the pure engine (accident/fault_model.py) derives its sets and enums
from them, so this module is plain Python: no pydantic, nothing the engine may not import."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Junction = Literal["none", "signalised", "unsignalised", "roundabout"]
Collision = Literal[
    "rear_end",
    "head_on",
    "side_impact",
    "sideswipe_same_direction",
    "sideswipe_opposite_direction",
    "single_vehicle",
]
Movement = Literal[
    "straight",
    "turning_left",
    "turning_right",
    "u_turn",
    "reversing",
    "changing_lane",
    "overtaking",
    "entering_road",
    "entering_roundabout",
    "in_roundabout",
    "stopped",
    "parked",
    "rolling",
]
Impact = Literal["front", "rear", "left", "right"]
Signal = Literal["green", "yellow", "red", "none"]
Priority = Literal["major_road", "yield_sign", "none"]
Direction = Literal["ahead", "behind", "left", "right", "opposite"]
Flag = Literal[
    "wrong_way",
    "u_turn_prohibited",
    "wrong_guide_lane",
    "reserved_lane",
    "prohibited_road",
    "ignored_officer",
    "door_opened",
    "emergency_on_duty",
    "overtook_on_right",
    "lawfully_parked",
    "stopped_unlawfully",
    "no_hazard_lights",
]


class FaultOutcome(StrEnum):
    DETERMINED = "determined"
    NEEDS_REVIEW = "needs_review"


class FaultLiability(StrEnum):
    FULL = "full"
    EQUAL = "equal"
    NONE = "none"


class ReviewCode(StrEnum):
    """The closed set of review reasons of §4, in the order §3 lists them."""

    MULTI_VEHICLE = "multi_vehicle"
    CONTRADICTORY_FACTS = "contradictory_facts"
    DECLARED_MISMATCH = "declared_mismatch"
    MODIFIER = "modifier"
    NO_SCENARIO = "no_scenario"

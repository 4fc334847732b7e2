"""`POST /v1/eligibility/check` (FAULT_RULES.md §1, a fixed contract)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, field_validator

from schemas.base import Out, Strict
from schemas.common import Text
from schemas.messages import field_error


class PartyAnswersIn(Strict):
    """The eligibility questions about one party's own vehicle and driver (FAULT_RULES.md §1)."""

    licence_valid: StrictBool
    compulsory_insurance: StrictBool
    inspection_mark_valid: StrictBool
    suspected_impairment: StrictBool
    has_plate: StrictBool
    fled: StrictBool
    dangerous_goods: StrictBool
    overloaded_passenger: StrictBool


class EligibilityParty(PartyAnswersIn):
    id: Text = Field(
        min_length=1, max_length=16, description="Short label unique in the case, e.g. A, B"
    )


class CaseAnswersIn(Strict):
    injuries: StrictBool
    vehicles_movable: StrictBool
    public_facility_damage: StrictBool
    intentional: StrictBool


class EligibilityCheck(CaseAnswersIn):
    parties: list[EligibilityParty] = Field(min_length=1, max_length=10)

    @field_validator("parties")
    @classmethod
    def _unique_ids(cls, parties: list[EligibilityParty]) -> list[EligibilityParty]:
        seen: set[str] = set()
        for p in parties:
            if p.id in seen:
                raise field_error(
                    "duplicate_party",
                    f"当事人编号 {p.id} 重复，每位当事人的编号须不同",
                    f"Duplicate party id {p.id!r}: each party needs its own id",
                )
            seen.add(p.id)
        return parties


Action = Literal["self_handle", "call_122_stay", "move_then_call_122"]


class EligibilityReason(Out):
    code: str
    parties: list[str]
    zh: str
    en: str


class EligibilityResult(Out):
    eligible: bool
    action: Action
    reasons: list[EligibilityReason]

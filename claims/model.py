"""Claims: amounts in integer fen, the parties' cover facts, and the decided payments. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

Fen = NewType("Fen", int)


def yuan(amount: int) -> Fen:
    """Whole yuan to fen (exact: no floats anywhere near money)."""
    return Fen(amount * 100)


class Mode(StrEnum):
    MUTUAL = "mutual_self_compensation"  # 互碰自赔: each insurer its own insured's vehicle
    LIABILITY = "liability"  # 交强险 of the others within limits, remainder by liability share
    SINGLE_VEHICLE = "single_vehicle"  # no third party: 交强险 does not cover one's own vehicle
    MANUAL = "manual_decision"  # no party bears liability: not computed, a person decides


class Source(StrEnum):
    COMPULSORY = "compulsory"  # 交强险 of the payer's vehicle
    COMPULSORY_UNINSURED = "compulsory_uninsured"  # no 交强险: the party itself, within the limit
    PARTY = "party"  # the liable party itself, for what 交强险 leaves (commercial insurance is outside kuaichu)
    OWN_INSURER = "own_insurer"  # 互碰自赔: the damaged vehicle's own insurer
    SELF_BORNE = "self_borne"  # the damaged party's own share of the remainder


@dataclass(frozen=True, slots=True)
class PartyCover:
    """One vehicle's party: its liability share and what its policies and answers allow."""

    label: str
    insurer_code: str | None
    share_percent: int  # 0..100; all parties sum to 100
    has_compulsory: bool = True
    opted_in_mutual: bool = False


@dataclass(frozen=True, slots=True)
class Loss:
    """A damaged vehicle's assessed loss; `vehicle_only` is false when property off the vehicles was hit."""

    label: str
    amount_fen: Fen
    vehicle_only: bool = True
    insured_first: bool = (
        False  # the claimant asks the insured payers to pay first (SPC 2020 §18 第三款)
    )


@dataclass(frozen=True, slots=True)
class Payment:
    """Who pays what towards one damaged vehicle's loss, and under which cover."""

    payee: str
    payer: str
    insurer_code: str | None
    source: Source
    amount_fen: Fen


@dataclass(frozen=True, slots=True)
class Cover:
    """The decided cover of one accident: mode, every payment, and the rules that produced it."""

    mode: Mode
    limits_version: str
    payments: tuple[Payment, ...]
    basis: tuple[str, ...]

    def for_payee(self, label: str) -> tuple[Payment, ...]:
        return tuple(p for p in self.payments if p.payee == label)

    def total_for(self, label: str) -> Fen:
        return Fen(sum(p.amount_fen for p in self.payments if p.payee == label))

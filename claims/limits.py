"""交强险 property-damage limits as versioned data, each row with the date it took effect. PURE.

Source: 交强险条例 §23 (uniform national limits, split into property and no-fault property limits, set by
the regulator). 2006-07-01: 财产损失 2,000 yuan, 无责 400 yuan (保监发〔2006〕51号); 2008-02-01: 2,000 / 100
(保监发〔2007〕125号); 2020-09-19: 2,000 / 100 kept by the comprehensive reform (银保监发〔2020〕41号). The
互碰自赔 ceiling follows the at-fault property limit (《交强险财产损失“互碰自赔”处理办法》, 2009).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from claims.model import Fen, yuan


@dataclass(frozen=True, slots=True)
class PropertyLimits:
    """The limits in force from `effective` until the next row's date."""

    version: str
    effective: date
    at_fault_fen: Fen  # 有责任财产损失赔偿限额
    no_fault_fen: Fen  # 无责任财产损失赔偿限额
    mutual_ceiling_fen: Fen  # 互碰自赔: each party's loss at most this


LIMITS: tuple[PropertyLimits, ...] = (
    PropertyLimits("2006-07-01", date(2006, 7, 1), yuan(2000), yuan(400), yuan(2000)),
    PropertyLimits("2008-02-01", date(2008, 2, 1), yuan(2000), yuan(100), yuan(2000)),
    PropertyLimits("2020-09-19", date(2020, 9, 19), yuan(2000), yuan(100), yuan(2000)),
)


class NoLimitsInForce(ValueError):
    """The accident predates every configured row."""


def limits_on(day: date, table: tuple[PropertyLimits, ...] = LIMITS) -> PropertyLimits:
    """The row in force on the day of the accident (the latest effective on or before it)."""
    current = None
    for row in sorted(table, key=lambda r: r.effective):
        if row.effective <= day:
            current = row
    if current is None:
        raise NoLimitsInForce(f"no 交强险 limits configured for {day.isoformat()}")
    return current

"""Anomaly signals as police and admins read them: for human review, never verdicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from schemas.base import Out


class AnomalyFlag(Out):
    id: int
    report_id: str
    kind: Literal["near_duplicate_photo"]
    subject: str
    evidence: dict[str, Any]
    zone: str
    created_at: datetime


class AnomalyList(Out):
    note: str = "Signals for a person to look at, never a finding: each carries the evidence that raised it."
    flags: list[AnomalyFlag]

"""Operators: the outbox listing and its actions, and the process's runtime state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import Out, Strict
from schemas.operations import WorkerHeartbeat


class OutboxQuery(Strict):
    status: Literal["parked", "pending", "delivered", "discarded"] | None = "parked"
    limit: int = Field(100, ge=1, le=1000)


class OutboxMessage(Out):
    id: str
    topic: str
    dedupe_key: str
    report_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status: int | None
    created_at: datetime
    delivered_at: datetime | None
    ordering_key: str | None
    sequence: int | None
    blocked_by: str | None = Field(
        None,
        description="A pending message held back by this parked message of its ordering key: replaying or "
        "discarding that one releases it",
    )


class OutboxList(Out):
    messages: list[OutboxMessage]


class OutboxDiscard(Strict):
    reason: str = Field(
        min_length=1, max_length=500, description="Why the message is never to be sent"
    )


class RuntimeQuery(Strict):
    window_s: float = Field(60.0, gt=0, le=300)


class LoopLagStats(Out):
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float


class RuntimeState(Out):
    loop_lag: LoopLagStats
    workers: list[WorkerHeartbeat] = Field(
        description="Outbox workers by their heartbeat (running, stalled, or stopped within the last day)"
    )


class MessageState(Out):
    """A message after an operator's action on it."""

    id: str
    status: Literal["pending", "discarded"]

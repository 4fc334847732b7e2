"""What the accident flow publishes to features above it, as ports the composition root supplies.

accident sits below court_bridge, claims and assessment: it never imports them. A change others must hear of
goes to the outbox (report.settled, report.disputed), or, where the court case must change in the same
transaction, through `CourtCases`, implemented by `court_bridge.service.CourtCases`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg


class CourtCases(Protocol):
    """The court case of a report, written in the caller's transaction."""

    async def open_case(
        self, conn: asyncpg.Connection, *, report_id: UUID, actor: tuple[str, str], now: datetime
    ) -> str:
        """Build the report's dispute package (revision 1) and queue it; return the package id."""
        ...

    async def update(
        self,
        conn: asyncpg.Connection,
        *,
        report_id: UUID,
        type: str,
        data: dict[str, Any],
        occurred_at: datetime,
        key: str | None = None,
    ) -> int | None:
        """Queue the next numbered update of the report's case; None when there is no case or it was queued."""
        ...

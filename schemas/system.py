"""Health of a process."""

from __future__ import annotations

from schemas.base import Out


class Health(Out):
    status: str
    database: str
    schema_version: int

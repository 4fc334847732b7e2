"""The public list of insurers a driver chooses from (code and name only)."""

from __future__ import annotations

from pydantic import Field

from schemas.base import Out


class InsurerRead(Out):
    code: str = Field(description="The code a report's `insurer_code` takes")
    name: str = Field(description="The insurer's registered Chinese name")
    name_en: str | None = Field(None, description="Its English name, where the reference data has one")


class InsurerList(Out):
    insurers: list[InsurerRead]

"""Stored versions of fault template sets: record what the service runs with, load any of them back."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from accident.fault_sets import TemplateSet, load_set_json, load_shipped_sets
from kernel.errors import DomainError

RECORD = """
INSERT INTO fault_template_sets (id, version, content, digest)
SELECT s.id, s.version, s.content::jsonb, s.digest
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS s (id, version, content, digest)
ON CONFLICT ON CONSTRAINT fault_template_sets_pkey DO NOTHING
RETURNING id, version
"""

CLASHES = """
SELECT t.id, t.version
FROM fault_template_sets t
JOIN unnest($1::text[], $2::text[], $3::text[]) AS s (id, version, digest)
  ON t.id = s.id AND t.version = s.version AND t.digest <> s.digest
"""

LOAD = """
SELECT content::text AS content, digest FROM fault_template_sets WHERE id = $1::text AND version = $2::text
"""


class TemplateVersionClash(DomainError):
    code = "template-version-clash"
    kind = "conflict"
    title_zh = "事故情形模板版本冲突"
    title_en = "A template set version is stored with different content"


async def record_template_versions(
    conn: asyncpg.Connection, sets: Iterable[TemplateSet]
) -> list[tuple[str, str]]:
    """Record each set's current version (idempotent); return the (id, version) pairs recorded now."""
    rows = list(sets)
    columns = (
        [s.id for s in rows],
        [s.version for s in rows],
        [s.content for s in rows],
        [s.digest for s in rows],
    )
    recorded = await conn.fetch(RECORD, *columns)
    clashes = await conn.fetch(CLASHES, columns[0], columns[1], columns[3])
    if clashes:
        ids = ", ".join(f"{r['id']}@{r['version']}" for r in clashes)
        raise TemplateVersionClash(
            f"已存储的模板版本内容不同：{ids}", f"Stored versions differ in content: {ids}"
        )
    return [(r["id"], r["version"]) for r in recorded]


async def load_template_version(
    conn: asyncpg.Connection, *, set_id: str, version: str
) -> TemplateSet | None:
    """A stored version of a set, compiled as it was (for replaying stored decisions); None if unknown."""
    row = await conn.fetchrow(LOAD, set_id, version)
    if row is None:
        return None
    ts = load_set_json(row["content"])
    if (ts.id, ts.version, ts.digest) != (set_id, version, row["digest"]):
        raise TemplateVersionClash(
            f"模板 {set_id}@{version} 的内容与其摘要不符",
            f"Stored set {set_id}@{version} does not hash to its version",
        )
    return ts


async def install_template_sets(pool: asyncpg.Pool) -> dict[str, TemplateSet]:
    """Start-up: load the shipped sets (refusing defective ones) and record their versions."""
    sets = load_shipped_sets()
    async with pool.acquire() as conn, conn.transaction():
        await record_template_versions(conn, sets.values())
    return sets

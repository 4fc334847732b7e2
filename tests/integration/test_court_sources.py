"""What a dispute package is built from is read as the schema defines it: a table the package needs but cannot
find is an error that fails the transaction, never a package silently built without the court's material."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from court_bridge import sources


@pytest.mark.parametrize("read", [sources.claims, sources.assessments])
async def test_a_missing_table_fails_the_read_instead_of_reading_as_none(
    database_url: str, read
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            assert await read(conn, report_id=uuid.uuid4()) == []  # present and empty: no rows
        with pytest.raises(asyncpg.UndefinedTableError):
            async with conn.transaction():
                await conn.execute(
                    "SET LOCAL search_path TO pg_catalog"
                )  # the feature's tables out of sight
                await read(conn, report_id=uuid.uuid4())
    finally:
        await conn.close()

"""Load a reference directory into the database: validate everything first, then write in one transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from geo.reference import ReferenceSet, read_reference_dir
from geo.service import apply_reference
from kuaichu.db import connect


async def load_reference_dir(dsn: str, path: Path) -> dict[str, Any]:
    """Validate `path` (ReferenceFileError: nothing written), load it in one transaction, return a summary."""
    # Parsing and shapely validation of a province's polygons take a moment: keep them off the event loop.
    reference, source = await asyncio.to_thread(_read, path)
    conn = await connect(dsn)
    try:
        return await apply_reference(conn, reference=reference, source=source)
    finally:
        await conn.close()


def _read(path: Path) -> tuple[ReferenceSet, str]:
    return read_reference_dir(path), str(path.resolve())

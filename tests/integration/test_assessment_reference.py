"""Outlets, adjusters and coordinators through the reference loader: linked staff accounts, refused whole."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from geo.errors import ReferenceFileError
from kuaichu.reference_loader import load_reference_dir

REFERENCE_DIR = Path(__file__).parents[1] / "fixtures" / "reference"


async def _counts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "outlets": await conn.fetchval("SELECT count(*) FROM insurer_outlets"),
            "assessors": dict(
                await conn.fetch("SELECT kind, count(*) FROM assessors GROUP BY kind")
            ),
            "staff": dict(await conn.fetch("SELECT role, count(*) FROM staff GROUP BY role")),
            "versions": await conn.fetchval("SELECT count(*) FROM reference_versions"),
        }
    finally:
        await conn.close()


def _copy_with(tmp_path: Path, file: str, mutate: Callable[[Any], None]) -> Path:
    target = tmp_path / "ref"
    shutil.copytree(REFERENCE_DIR, target)
    doc = json.loads((target / file).read_text(encoding="utf-8"))
    mutate(doc)
    (target / file).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return target


async def test_the_fixture_adjusters_and_coordinators_are_loaded_with_their_staff_accounts(
    database_url,
):
    counts = await _counts(database_url)
    assert counts["outlets"] == 3
    assert counts["assessors"] == {"adjuster": 5, "coordinator": 3}
    assert counts["staff"] == {"adjuster": 5, "coordinator": 3}
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT s.role, s.insurer_code, a.capacity, a.open_tasks FROM assessors a JOIN staff s ON s.id = a.staff_id"
            " WHERE a.id = 'adj-picc-1'"
        )
    finally:
        await conn.close()
    assert dict(row) == {"role": "adjuster", "insurer_code": "PICC", "capacity": 3, "open_tasks": 0}


async def test_loading_again_changes_no_assessor_and_keeps_open_tasks(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE assessors SET open_tasks = 2 WHERE id = 'adj-cpic-1'")
        summary = await load_reference_dir(database_url, REFERENCE_DIR)
        held = await conn.fetchval("SELECT open_tasks FROM assessors WHERE id = 'adj-cpic-1'")
    finally:
        await conn.close()
    assert summary["new_version"] is False and summary["assessors"]["unchanged"] == 8
    assert held == 2


def _row(index: int, **changes: Any) -> Callable[[list], None]:
    def mutate(doc: list) -> None:
        doc[index].update(changes)

    return mutate


BAD = [
    pytest.param(
        "adjusters.json",
        _row(1, insurer_code="NOPE"),
        "[1] (id='adj-picc-2')",
        "unknown insurer 'NOPE'",
        id="adjuster-unknown-insurer",
    ),
    pytest.param(
        "adjusters.json",
        _row(2, id="adj-picc-1"),
        "[2] (id='adj-picc-1')",
        "duplicate id, first at [0]",
        id="adjuster-duplicate-id",
    ),
    pytest.param(
        "adjusters.json",
        _row(0, lat=95.0),
        "[0] (id='adj-picc-1')",
        "field lat",
        id="adjuster-bad-point",
    ),
    pytest.param(
        "adjusters.json",
        _row(0, lon="east"),
        "[0] (id='adj-picc-1')",
        "field lon",
        id="adjuster-lon-text",
    ),
    pytest.param(
        "coordinators.json",
        _row(1, zones=["zj-999999"]),
        "[1] (id='coord-tonglu-2')",
        "unknown zone 'zj-999999'",
        id="coordinator-unknown-zone",
    ),
    pytest.param(
        "coordinators.json",
        _row(0, zones=["zj-330102"]),
        "[0] (id='coord-tonglu-1')",
        "coordinators serve rural zones",
        id="coordinator-urban-zone",
    ),
    pytest.param(
        "coordinators.json",
        _row(2, username="adj.picc.1"),
        "[2] (id='coord-shengsi-1')",
        "already used at adjusters.json [0]",
        id="username-twice",
    ),
    pytest.param(
        "outlets.json",
        _row(0, insurer_code="ZZZ"),
        "[0] (id='out-picc-hz-1')",
        "unknown insurer",
        id="outlet-unknown-insurer",
    ),
]


@pytest.mark.parametrize(("file", "mutate", "where", "reason"), BAD)
async def test_a_bad_row_refuses_the_whole_directory_naming_file_row_and_reason(
    database_url, tmp_path, file, mutate, where, reason
):
    before = await _counts(database_url)
    with pytest.raises(ReferenceFileError) as caught:
        await load_reference_dir(database_url, _copy_with(tmp_path, file, mutate))
    err = caught.value
    assert (err.file, err.where) == (file, where)
    assert reason in err.reason
    assert await _counts(database_url) == before


async def test_a_username_of_an_existing_police_account_refuses_the_load(database_url, tmp_path):
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO staff (id, username, role, display_name, token_hash)"
            " VALUES (gen_random_uuid(), 'officer.li', 'police', 'Li', '\\x01'::bytea)"
        )
    finally:
        await conn.close()
    before = await _counts(database_url)
    with pytest.raises(ReferenceFileError) as caught:
        await load_reference_dir(
            database_url, _copy_with(tmp_path, "adjusters.json", _row(3, username="officer.li"))
        )
    assert (
        caught.value.file == "adjusters.json" and "existing police account" in caught.value.reason
    )
    assert await _counts(database_url) == before

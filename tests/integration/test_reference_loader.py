"""The reference loader against a real PostgreSQL: idempotent, all-or-nothing, and precise about bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from geo.errors import ReferenceFileError
from geo.service import build_zone_index
from kuaichu.db import connect
from kuaichu.reference_loader import load_reference_dir

REFERENCE_DIR = Path(__file__).parents[1] / "fixtures" / "reference"

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.1, 30.1], [120.1, 30.0], [120.0, 30.1], [120.0, 30.0]]],
}


async def _snapshot(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "zones": await conn.fetchval("SELECT count(*) FROM zones"),
            "insurers": await conn.fetchval("SELECT count(*) FROM insurers"),
            "versions": await conn.fetchval("SELECT count(*) FROM reference_versions"),
            "zones_touched": await conn.fetchval("SELECT max(updated_at) FROM zones"),
            "insurers_touched": await conn.fetchval("SELECT max(updated_at) FROM insurers"),
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


async def test_the_test_template_holds_the_five_fixture_zones_and_three_insurers(
    database_url: str,
) -> None:
    snap = await _snapshot(database_url)
    assert (snap["zones"], snap["insurers"], snap["versions"]) == (5, 3, 1)


async def test_loading_the_same_directory_again_changes_nothing(database_url: str) -> None:
    before = await _snapshot(database_url)
    summary = await load_reference_dir(database_url, REFERENCE_DIR)
    assert await _snapshot(database_url) == before
    assert summary["new_version"] is False
    assert summary["zones"]["unchanged"] == 5 and summary["insurers"]["unchanged"] == 3
    assert summary["zones"]["inserted"] == summary["zones"]["updated"] == []


async def test_a_changed_load_updates_rows_records_a_version_and_keeps_absent_zones(
    database_url: str, tmp_path: Path
) -> None:
    def rename_and_drop(doc: dict) -> None:
        doc["features"][0]["properties"]["jurisdiction"] = "杭州市公安局交警支队上城大队"
        del doc["features"][4]

    target = _copy_with(tmp_path, "zones.geojson", rename_and_drop)
    coordinators = json.loads((target / "coordinators.json").read_text(encoding="utf-8"))
    kept = [
        c for c in coordinators if "zj-330922" not in c["zones"]
    ]  # a file may only name its own zones
    (target / "coordinators.json").write_text(
        json.dumps(kept, ensure_ascii=False), encoding="utf-8"
    )
    summary = await load_reference_dir(database_url, target)
    assert summary["new_version"] is True and summary["version"] == 2
    assert summary["zones"]["updated"] == ["zj-330102"]
    assert summary["zones"]["absent_kept"] == ["zj-330922"]
    snap = await _snapshot(database_url)
    assert (snap["zones"], snap["versions"]) == (5, 2)


def _set_geometry(geometry: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["features"][2]["geometry"] = geometry

    return mutate


def _set_property(key: str, value: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc["features"][2]["properties"][key] = value

    return mutate


def _duplicate_id(doc: dict) -> None:
    doc["features"][2]["properties"]["id"] = "zj-330102"


BAD_ZONES = [
    pytest.param(_set_geometry(BOW_TIE), "Self-intersection", id="bow-tie"),
    pytest.param(
        _set_geometry({"type": "Point", "coordinates": [120.1, 30.2]}), "not Polygon", id="point"
    ),
    pytest.param(
        _set_geometry(
            {"type": "Polygon", "coordinates": [[[200, 30], [201, 30], [201, 31], [200, 30]]]}
        ),
        "outside WGS-84",
        id="out-of-range",
    ),
    pytest.param(_set_property("kind", "suburban"), "field kind", id="unknown-kind"),
    pytest.param(_set_property("court_exempt", "yes"), "field court_exempt", id="exempt-not-bool"),
    pytest.param(_duplicate_id, "duplicate id, first at features[0]", id="duplicate-id"),
]


@pytest.mark.parametrize(("mutate", "reason"), BAD_ZONES)
async def test_a_bad_zones_file_is_refused_whole_naming_the_feature_and_why(
    database_url: str, tmp_path: Path, mutate: Callable[[dict], None], reason: str
) -> None:
    before = await _snapshot(database_url)
    with pytest.raises(ReferenceFileError) as caught:
        await load_reference_dir(database_url, _copy_with(tmp_path, "zones.geojson", mutate))
    err = caught.value
    assert err.file == "zones.geojson"
    assert err.where.startswith("features[2] (id=")
    assert reason in err.reason
    assert "features[2]" in str(err) and "zones.geojson" in str(err)
    assert await _snapshot(database_url) == before


def test_a_bow_tie_polygon_is_refused_with_the_self_intersection_point() -> None:
    from geo.reference import check_geometry

    with pytest.raises(ValueError, match=r"invalid geometry: Self-intersection\[120\.05 30\.05\]"):
        check_geometry(BOW_TIE)


def _bad_secret(doc: list) -> None:
    doc[1]["webhook_secrets"][0]["secret"] = "whsec_short"


def _duplicate_code(doc: list) -> None:
    doc[2]["code"] = "PICC"


@pytest.mark.parametrize(
    ("mutate", "where", "reason"),
    [
        pytest.param(
            _bad_secret, "[1] (code='CPIC')", "field webhook_secrets.0.secret", id="bad-secret"
        ),
        pytest.param(
            _duplicate_code,
            "[2] (code='PICC')",
            "duplicate code, first at [0]",
            id="duplicate-code",
        ),
    ],
)
async def test_a_bad_insurers_file_is_refused_whole_naming_the_row_and_field(
    database_url: str, tmp_path: Path, mutate: Callable[[list], None], where: str, reason: str
) -> None:
    before = await _snapshot(database_url)
    with pytest.raises(ReferenceFileError) as caught:
        await load_reference_dir(database_url, _copy_with(tmp_path, "insurers.json", mutate))
    assert (caught.value.file, caught.value.where) == ("insurers.json", where)
    assert reason in caught.value.reason
    assert await _snapshot(database_url) == before


async def test_malformed_json_is_refused_with_its_line_and_column(
    database_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "ref"
    shutil.copytree(REFERENCE_DIR, target)
    (target / "insurers.json").write_text(
        '[\n  {"code": "PICC",\n   "name": }\n]\n', encoding="utf-8"
    )
    with pytest.raises(ReferenceFileError) as caught:
        await load_reference_dir(database_url, target)
    assert (caught.value.file, caught.value.where) == ("insurers.json", "line 3 column 12")


def test_the_cli_prints_the_error_to_stderr_and_exits_1_on_a_bad_file(
    database_url: str, tmp_path: Path
) -> None:
    bad = _copy_with(tmp_path, "zones.geojson", _set_geometry(BOW_TIE))
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", "load-reference", str(bad)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert (
        "zones.geojson: features[2] (id='zj-330106')" in run.stderr
        and "Self-intersection" in run.stderr
    )
    ok = subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", "load-reference", str(REFERENCE_DIR)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "unchanged, same digest" in ok.stdout


async def test_the_zone_index_built_from_the_database_routes_a_west_lake_point(
    database_url: str,
) -> None:
    conn = await connect(database_url)
    try:
        index, names = await build_zone_index(conn)
    finally:
        await conn.close()
    hit = index.lookup(30.21968, 120.08150)
    assert (index.version, len(index), hit and hit.zone_id) == (1, 5, "zj-330106")
    assert names["zj-330106"] == "西湖区"

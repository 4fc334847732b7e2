"""Template set versions on a real PostgreSQL: recorded at start-up, idempotently, and loadable for replay."""

from __future__ import annotations

import copy
import json

import asyncpg
import pytest

from accident.fault import Facts, assess, load_shipped_sets, parse_set
from accident.fault_repository import load_template_version, record_template_versions
from kuaichu.db import connect


@pytest.fixture
async def conn(database_url):
    c = await connect(database_url)
    yield c
    await c.close()


async def test_the_service_records_each_shipped_version_at_start_up(client, database_url):
    del client  # the app has started
    c = await connect(database_url)
    try:
        rows = await c.fetch("SELECT id, version FROM fault_template_sets")
    finally:
        await c.close()
    assert {(r["id"], r["version"]) for r in rows} == {
        (s.id, s.version) for s in load_shipped_sets().values()
    }


async def test_recording_twice_is_a_no_op_and_a_changed_set_is_a_new_version(conn):
    national = load_shipped_sets()["national-online"]
    assert await record_template_versions(conn, [national]) == [(national.id, national.version)]
    assert await record_template_versions(conn, [national]) == []
    data = json.loads(national.content)
    data["rows"][0]["title"]["en"] = "Hits the vehicle in front"
    edited = parse_set(copy.deepcopy(data))
    assert await record_template_versions(conn, [edited]) == [(edited.id, edited.version)]
    assert (
        await conn.fetchval("SELECT count(*) FROM fault_template_sets WHERE id = 'national-online'")
        == 2
    )


async def test_a_stored_version_replays_to_the_same_decision(conn):
    national = load_shipped_sets()["national-online"]
    await record_template_versions(conn, [national])
    stored = await load_template_version(conn, set_id=national.id, version=national.version)
    assert stored is not None and stored.digest == national.digest
    facts = Facts.from_dict(
        {
            "context": {"junction": "none", "collision": "rear_end"},
            "parties": [
                {"id": "A", "movement": "straight", "impact": "front"},
                {"id": "B", "movement": "stopped", "impact": "rear"},
            ],
        }
    )
    assert assess(stored, facts) == assess(national, facts)
    assert await load_template_version(conn, set_id=national.id, version="0+000000000000") is None


async def test_stored_versions_are_immutable_for_the_application(conn):
    await record_template_versions(conn, load_shipped_sets().values())
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("DELETE FROM fault_template_sets")

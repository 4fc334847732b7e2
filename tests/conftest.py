"""Fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL), a fresh database per test cloned from a
migrated template, and the app on a real loopback server."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from kuaichu.settings import Settings

REFERENCE_DIR = Path(__file__).parent / "fixtures" / "reference"
_counter = itertools.count()


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def pg_server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from kuaichu.embedded import start_embedded

    base = Path(os.environ.get("KUAICHU_TEST_PGDATA_PARENT", str(tmp_path_factory.getbasetemp())))
    yield start_embedded(base / f"pgdata-{os.getpid()}", cleanup="delete")


async def _admin(dsn: str, *sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_app_dsn(pg_server_dsn: str) -> str:
    """The service's login (kuaichu_app) on the same server, provisioned as `kuaichu up` does it."""
    from kuaichu.login_role import provision_dev_login

    return asyncio.run(provision_dev_login(pg_server_dsn))


@pytest.fixture(scope="session")
def template_db(pg_server_dsn: str, pg_app_dsn: str) -> Iterator[str]:
    """A database with every migration (grants included) and the test reference data; each test clones it."""
    from kuaichu.db import connect
    from kuaichu.migrate import migrate

    name = f"kuaichu_tpl_{os.getpid()}"

    async def build() -> None:
        await _admin(
            pg_server_dsn, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'
        )
        conn = await connect(with_database(pg_server_dsn, name))
        try:
            await migrate(conn)
        finally:
            await conn.close()
        await load_test_reference(with_database(pg_app_dsn, name))

    asyncio.run(build())
    yield name
    asyncio.run(_admin(pg_server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def load_test_reference(dsn: str) -> None:
    """The small reference set under tests/fixtures/reference, through the real loader."""
    from kuaichu.reference_loader import load_reference_dir

    await load_reference_dir(dsn, REFERENCE_DIR)


@pytest.fixture
async def owner_database_url(pg_server_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A fresh database of this test, as its owner (what migrations and test set-up beyond the grants use)."""
    name = f"kuaichu_t_{os.getpid()}_{next(_counter)}"
    await _admin(pg_server_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield with_database(pg_server_dsn, name)
    await _admin(pg_server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(owner_database_url: str, pg_app_dsn: str) -> str:
    """The same database as the service logs in to it: kuaichu_app, held to the grants."""
    return with_database(pg_app_dsn, urlsplit(owner_database_url).path.lstrip("/"))


@pytest.fixture
def settings(database_url: str, owner_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        migrate_database_url=owner_database_url,
        var_dir=tmp_path / "var",
        db_pool_min=1,
        db_pool_max=4,
        outbox_backoff_base_s=0.05,
        outbox_backoff_max_s=0.5,
        outbox_poll_s=0.05,
        metrics_port=None,  # tests that read metrics start a listener on a free port
        worker_metrics_port=None,
    )


@pytest.fixture
async def client(settings: Settings, aiohttp_client):
    """The service on a loopback port; every 2xx JSON answer is checked against its route's declared model."""
    # settings (and its database) first, so the database outlives the app's pool at teardown
    from kuaichu.app import create_app
    from tests.contract import declared_responses

    app = create_app(settings)
    mismatches: list[str] = []
    app.middlewares.append(declared_responses(mismatches))
    yield await aiohttp_client(app)
    assert not mismatches, "answers unlike their declared response models:\n" + "\n".join(
        mismatches
    )


# Page tests drive a browser over the same database; CI's second pass (`-m db`, another PostgreSQL) skips them.
NOT_DB_PASS = ("browser",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            any(item.get_closest_marker(m) for m in NOT_DB_PASS)
            or Path(str(item.fspath)).parent.name in NOT_DB_PASS
        ):
            continue
        if {"database_url", "owner_database_url", "pg_server_dsn"} & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.db)

"""Fixtures of the database and delivery tests: an admin's token and settings with short HTTP timeouts."""

from __future__ import annotations

import pytest

from kuaichu.db import connect
from kuaichu.settings import Settings


@pytest.fixture
async def admin_token(settings: Settings) -> dict[str, str]:
    from kernel.crypto import Keyring
    from kuaichu.commands.staff import create_staff

    keyring = Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )
    conn = await connect(settings.database_url)
    try:
        token = await create_staff(
            conn, keyring, username="ops", role="admin", name=None, insurer=None
        )
    finally:
        await conn.close()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(update={"http_timeout_s": 0.5})

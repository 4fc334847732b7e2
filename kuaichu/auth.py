"""Authentication of bearer tokens against the database."""

from __future__ import annotations

from aiohttp import web

from kernel.identity import Principal
from kernel.sessions import principal_for
from kuaichu.keys import SERVICES


async def authenticate(request: web.Request, token: str) -> Principal | None:
    services = request.app[SERVICES]
    if len(token) > 200:
        return None
    async with services.pool.acquire() as conn:
        return await principal_for(conn, token=token, token_hash=services.keyring.token_hash(token))

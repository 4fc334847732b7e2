"""Authentication of bearer tokens against the database, with a short in-process cache.

A token's principal is cached for `auth_cache_ttl_s` seconds (10 by default; 0 disables): a phone on a bad
network retries and polls, and every request would otherwise cost a database round trip before its real
work. The price is that a revoked token or a deactivated staff account keeps working for at most that long.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from aiohttp import web

from kernel.identity import Principal
from kernel.sessions import principal_for
from kuaichu.keys import SERVICES

MAX_ENTRIES = 50_000


class TokenCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    def get(self, key: bytes) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: bytes, who: Principal) -> None:
        if self.ttl_s <= 0:
            return
        self._entries[key] = (time.monotonic() + self.ttl_s, who)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


TOKEN_CACHE: web.AppKey[TokenCache] = web.AppKey("token_cache", TokenCache)


async def authenticate(request: web.Request, token: str) -> Principal | None:
    services = request.app[SERVICES]
    if len(token) > 200:
        return None
    token_hash = services.keyring.token_hash(token)
    cache = request.app[TOKEN_CACHE]
    who = cache.get(token_hash)
    if who is None:
        async with services.pool.acquire() as conn:
            who = await principal_for(conn, token=token, token_hash=token_hash)
        if who is not None:
            cache.put(token_hash, who)
    return who

"""Authentication of bearer tokens against the database, with a short in-process cache.

A token's principal is cached for at most `auth_cache_ttl_s` seconds (1 by default and at most; 0 disables): a
phone on a bad network retries and polls, and every request would otherwise cost a database round trip before
its real work. The time is counted from the moment the lookup was sent, so a lookup that read the database
before a revocation committed serves no request that starts more than that long after the commit: a revoked
token, an ended phone session or a deactivated staff account is refused by every process within 1 s. Lookups
of one token that arrive together share one round trip.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from aiohttp import web

from kernel.identity import Principal
from kernel.sessions import principal_for
from kuaichu.keys import SERVICES, SETTINGS

MAX_ENTRIES = 50_000


class TokenCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        # token hash -> (valid until, on the monotonic clock; the lookup, done or under way)
        self._entries: OrderedDict[bytes, tuple[float, asyncio.Future[Principal | None]]] = (
            OrderedDict()
        )

    def fresh(self, key: bytes) -> asyncio.Future[Principal | None] | None:
        """A lookup sent less than ttl_s ago, finished or still under way."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def start(
        self, key: bytes, lookup: asyncio.Future[Principal | None], *, sent_at: float
    ) -> None:
        if self.ttl_s <= 0:
            return
        self._entries[key] = (sent_at + self.ttl_s, lookup)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def forget(self, key: bytes, lookup: asyncio.Future[Principal | None] | None = None) -> None:
        """Drop a token (only if its entry is `lookup`, when given): revoked here, or its lookup failed."""
        entry = self._entries.get(key)
        if entry is not None and (lookup is None or entry[1] is lookup):
            del self._entries[key]


TOKEN_CACHE: web.AppKey[TokenCache] = web.AppKey("token_cache", TokenCache)


async def authenticate(request: web.Request, token: str) -> Principal | None:
    services = request.app[SERVICES]
    if len(token) > 200:
        return None
    token_hash = services.keyring.token_hash(token)
    cache = request.app[TOKEN_CACHE]
    pending = cache.fresh(token_hash)
    if pending is not None:
        return await asyncio.shield(pending)
    sent_at = time.monotonic()
    lookup = asyncio.ensure_future(_lookup(request.app, token, token_hash))
    cache.start(token_hash, lookup, sent_at=sent_at)

    def drop_if_failed(done: asyncio.Future[Principal | None]) -> None:
        if (
            done.cancelled() or done.exception() is not None
        ):  # a failed lookup (database down) is not kept
            cache.forget(token_hash, done)

    lookup.add_done_callback(drop_if_failed)
    return await asyncio.shield(lookup)


async def _lookup(app: web.Application, token: str, token_hash: bytes) -> Principal | None:
    services = app[SERVICES]
    settings = app[SETTINGS]
    retention_s = settings.party_token_retention_days * 86_400
    async with services.pool.acquire() as conn:
        return await principal_for(
            conn,
            token=token,
            token_hash=token_hash,
            party_retention_s=retention_s,
            staff_idle_s=settings.staff_idle_s,
        )

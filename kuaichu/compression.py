"""Compressed JSON answers for clients that accept gzip or deflate: a phone on a weak network, a workbench page
reading a province's aggregates. Small answers are left alone (compression would not pay), and so are answers
marked `Cache-Control: no-store` (sessions, anti-forgery tokens, secrets shown once), so that no secret shares a
compressed body with text a request put there (BREACH)."""

from __future__ import annotations

from aiohttp import web

MIN_BYTES = 1024


@web.middleware
async def compression_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    response = await handler(request)
    if (
        isinstance(response, web.Response)
        and not response.prepared
        and response.body is not None
        and response.content_type in ("application/json", "text/csv")
        and len(response.body) >= MIN_BYTES  # type: ignore[arg-type]
        and "no-store" not in response.headers.get("Cache-Control", "")
        and "Content-Encoding" not in response.headers
    ):
        response.enable_compression()
    return response

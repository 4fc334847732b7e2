"""Typed application keys: the one place where app-wide resources are named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web

if TYPE_CHECKING:
    from kuaichu.context import Services
    from kuaichu.settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
POOL: web.AppKey[asyncpg.Pool] = web.AppKey("pool", asyncpg.Pool)
SERVICES: web.AppKey[Services] = web.AppKey("services")

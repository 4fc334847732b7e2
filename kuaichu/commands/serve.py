"""serve the HTTP API"""

from __future__ import annotations

import argparse

from aiohttp import web

from kuaichu.app import create_app
from kuaichu.commands import require_db
from kuaichu.httplog import JsonAccessLogger
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Links in SMS and webhooks follow the address actually served (unless KUAICHU_PUBLIC_BASE_URL says otherwise).
    settings = settings.listening_on(args.host or settings.host, args.port or settings.port)
    settings = settings.model_copy(update={"database_url": require_db(settings)})
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log_class=JsonAccessLogger,
        print=None,
    )
    return 0

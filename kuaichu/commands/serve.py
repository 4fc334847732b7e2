"""serve the HTTP API"""

from __future__ import annotations

import argparse

from aiohttp import web

from kuaichu.app import create_app
from kuaichu.httplog import JsonAccessLogger
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host")
    p.add_argument("--port", type=int)


def run(args: argparse.Namespace, settings: Settings) -> int:
    web.run_app(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log_class=JsonAccessLogger,
        print=None,
    )
    return 0

"""run a local RFC 3161 time-stamping authority (development and tests only: `openssl ts -reply`)"""

from __future__ import annotations

import argparse
from pathlib import Path

from aiohttp import web

from kuaichu.settings import Settings
from kuaichu.timestamp_authority import LocalAuthority


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8091)
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where its keys and certificates live (default: VAR_DIR/tsa; made on first use)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment == "production":
        print(
            "kuaichu tsa-sim: refused with KUAICHU_ENVIRONMENT=production (its key is on disk, unprotected)"
        )
        return 2
    tsa = LocalAuthority(args.dir or settings.var_dir / "tsa")
    print(
        f"time-stamping authority on http://{args.host}:{args.port}/ (trust {tsa.ca_file})",
        flush=True,
    )
    web.run_app(tsa.app(), host=args.host, port=args.port, print=None, access_log=None)
    return 0

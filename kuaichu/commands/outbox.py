"""show outbox messages (parked ones first) and replay parked messages"""

from __future__ import annotations

import argparse
import json
import uuid

import asyncpg

from kernel import outbox
from kuaichu.commands import with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="outbox_command", required=True)
    ls = sub.add_parser("list", help="list messages (default: parked)")
    ls.add_argument("--status", default="parked", choices=["parked", "pending", "delivered", "all"])
    ls.add_argument("--limit", type=int, default=50)
    rp = sub.add_parser("replay", help="queue parked messages again")
    rp.add_argument("ids", nargs="+", help="message ids")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.outbox_command == "list":
        status = None if args.status == "all" else args.status
        rows = with_conn(settings, lambda conn: outbox.listing(conn, status=status, limit=args.limit))
        for r in rows:
            print(json.dumps({k: (str(v) if v is not None else None) for k, v in dict(r).items()}, ensure_ascii=False))
        return 0

    async def replay(conn: asyncpg.Connection) -> list[str]:
        missing = []
        for raw in args.ids:
            async with conn.transaction():
                if not await outbox.replay(conn, msg_id=uuid.UUID(raw), actor=("staff", "cli")):
                    missing.append(raw)
        return missing

    missing = with_conn(settings, replay)
    for m in missing:
        print(f"not parked (or unknown): {m}")
    return 1 if missing else 0

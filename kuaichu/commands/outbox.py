"""show outbox messages (parked ones first), replay or discard parked messages"""

from __future__ import annotations

import argparse
import json
import uuid

import asyncpg

from court_bridge.service import UNDISCARDABLE_TOPICS
from kernel import outbox
from kuaichu.commands import with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="outbox_command", required=True)
    ls = sub.add_parser("list", help="list messages (default: parked)")
    ls.add_argument(
        "--status", default="parked", choices=["parked", "pending", "delivered", "discarded", "all"]
    )
    ls.add_argument("--limit", type=int, default=50)
    rp = sub.add_parser("replay", help="queue parked messages again")
    rp.add_argument("ids", nargs="+", help="message ids")
    dc = sub.add_parser(
        "discard", help="never send parked insurer messages (the ones queued behind them go on)"
    )
    dc.add_argument("ids", nargs="+", help="message ids")
    dc.add_argument("--reason", required=True, help="why (kept in the audit trail)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.outbox_command == "list":
        status = None if args.status == "all" else args.status
        rows = with_conn(
            settings, lambda conn: outbox.listing(conn, status=status, limit=args.limit)
        )
        for r in rows:
            print(
                json.dumps(
                    {k: (str(v) if v is not None else None) for k, v in dict(r).items()},
                    ensure_ascii=False,
                )
            )
        return 0

    async def act(conn: asyncpg.Connection) -> list[str]:
        missing = []
        for raw in args.ids:
            async with conn.transaction():
                msg_id = uuid.UUID(raw)
                if args.outbox_command == "replay":
                    done = await outbox.replay(conn, msg_id=msg_id, actor=("staff", "cli"))
                else:
                    done = await outbox.topic_of(
                        conn, msg_id=msg_id
                    ) not in UNDISCARDABLE_TOPICS and await outbox.discard(
                        conn, msg_id=msg_id, actor=("staff", "cli"), reason=args.reason
                    )
                if not done:
                    missing.append(raw)
        return missing

    missing = with_conn(settings, act)
    for m in missing:
        print(
            f"not parked (or unknown, or a court message, which is corrected rather than discarded): {m}"
        )
    return 1 if missing else 0

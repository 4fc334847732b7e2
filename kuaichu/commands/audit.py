"""verify the audit trail's hash chains, seal and timestamp anchors; seal and anchor now"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

import aiohttp
import asyncpg

from kernel.audit_chain import verify, verify_anchors
from kuaichu.commands import require_db, with_conn
from kuaichu.db import create_pool
from kuaichu.sealer import seal_now
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="audit_command", required=True)
    v = sub.add_parser(
        "verify",
        help="recompute the chains and the seal; name every edited, deleted, inserted or "
        "reordered event (exit status 1 when there is one)",
    )
    v.add_argument(
        "--report", type=uuid.UUID, help="only this report's chain (the seal is always checked)"
    )
    sub.add_parser(
        "seal", help="seal committed events and anchor the seal head now (needs KUAICHU_TSA_URL)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.audit_command == "seal":
        return asyncio.run(_seal(settings))

    async def check(conn: asyncpg.Connection) -> int:
        report = await verify(conn, report_id=args.report)
        anchors = await verify_anchors(
            conn, ca_file=settings.tsa_ca_file or settings.var_dir / "tsa" / "ca.crt"
        )
        for f in report.findings:
            print(f)
        for problem in anchors.problems:
            print(f"anchor: {problem}")
        scope = f"report {args.report}" if args.report else f"{report.chains} chains"
        problems = len(report.findings) + len(anchors.problems)
        print(
            f"{scope}: {report.events} events, {report.seals} seal entries, {anchors.checked} anchors verified"
            f"{'' if anchors.checked or anchors.problems else ' (none yet)'}; "
            f"{f'{problems} problem(s)' if problems else 'OK'}"
        )
        return 1 if problems else 0

    return with_conn(settings, check)


async def _seal(settings: Settings) -> int:
    if not settings.tsa_url:
        print("kuaichu audit seal: KUAICHU_TSA_URL is not set", file=sys.stderr)
        return 2
    pool = await create_pool(require_db(settings), min_size=1, max_size=2)
    try:
        async with aiohttp.ClientSession() as http:
            await seal_now(pool, http, settings, force_anchor=True)
    finally:
        await pool.close()
    return 0

"""export a case's evidence bundle (BagIt archive with VERIFY.md and verify.sh)"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

from kernel.identity import SystemPrincipal
from kuaichu.commands import require_db
from kuaichu.db import create_pool
from kuaichu.features import services_for
from kuaichu.handlers.evidence import export
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="evidence_command", required=True)
    ex = sub.add_parser(
        "export", help="write the bundle of a report (sealed and anchored first when needed)"
    )
    ex.add_argument("report_id", type=uuid.UUID)
    ex.add_argument(
        "--out",
        type=Path,
        help="file or directory to write (default: kuaichu-evidence-ID.tar.gz here)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_export(args, settings))


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    pool = await create_pool(require_db(settings), min_size=1, max_size=4)
    try:
        async with services_for(settings, pool) as services:
            try:
                name, data = await export(
                    services, settings, SystemPrincipal("cli"), args.report_id
                )
            except Exception as exc:  # a domain error reads as its English title here
                print(f"kuaichu evidence export: {getattr(exc, 'detail_en', exc)}", file=sys.stderr)
                return 1
    finally:
        await pool.close()
    out = await asyncio.to_thread(_write, args.out or Path(name), name, data)
    print(f"{out}  ({len(data)} bytes; unpack it and run verify.sh inside)")
    return 0


def _write(out: Path, name: str, data: bytes) -> Path:
    if out.is_dir():
        out = out / name
    out.write_bytes(data)
    return out

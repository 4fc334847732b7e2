"""load reference data (zones, insurers, outlets, adjusters, coordinators); idempotent, all or nothing"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from geo.errors import ReferenceFileError
from kuaichu.commands import require_db
from kuaichu.reference_loader import load_reference_dir
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "dir",
        type=Path,
        help="directory holding zones.geojson and insurers.json (and optionally"
        " outlets.json, adjusters.json, coordinators.json)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    dsn = require_db(settings)
    try:
        summary = asyncio.run(load_reference_dir(dsn, args.dir))
    except ReferenceFileError as exc:
        print(f"kuaichu load-reference: {exc}", file=sys.stderr)
        return 1
    print(_describe(summary))
    return 0


def _describe(summary: dict) -> str:
    """One short line per table; absent rows are listed because they are kept, not deleted."""
    state = "new version" if summary["new_version"] else "unchanged, same digest"
    lines = [f"reference version {summary['version']} ({state}) from {summary['source']}"]
    for table in ("zones", "insurers", "outlets", "assessors"):
        s = summary[table]
        lines.append(
            f"  {table}: {s['total']} in file, {len(s['inserted'])} inserted, {len(s['updated'])} updated,"
            f" {s['unchanged']} unchanged"
        )
        if s["absent_kept"]:
            lines.append(f"  {table} not in this load, kept: {', '.join(s['absent_kept'])}")
    return "\n".join(lines)

"""fault templates: replay stored proposals against the current template sets (read-only)"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

import asyncpg

from accident.fault import TemplateSet, load_shipped_sets
from accident.fault_flow_repository import proposals_since
from accident.fault_proposal import accounts_from_json, decision_json, propose
from kuaichu.commands import since_arg, with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="fault_command", required=True)
    rp = sub.add_parser(
        "replay",
        help="re-evaluate stored proposals against the current template sets; print changes",
    )
    rp.add_argument(
        "--since", required=True, type=since_arg, help="ISO date or time, e.g. 2026-05-01"
    )


def summary(result: dict[str, Any]) -> str:
    """One decision in a line: the outcome and either the allocations or the review reasons."""
    if result["outcome"] == "determined":
        detail = ", ".join(
            f"{a['party']} {a['liability']} {a['share_percent']}" for a in result["allocations"]
        )
    else:
        detail = ", ".join(r["code"] for r in result["review_reasons"])
    return f"{result['outcome']} ({detail})"


def _key(result: dict[str, Any]) -> tuple:
    return result["outcome"], [
        (a["party"], a["liability"], a["share_percent"]) for a in result["allocations"]
    ]


async def replay(
    conn: asyncpg.Connection,
    *,
    since: datetime,
    out: TextIO,
    sets: Mapping[str, TemplateSet] | None = None,
) -> list[dict[str, Any]]:
    """Print every stored proposal since `since` whose outcome or allocations the current sets would change."""
    current = sets if sets is not None else load_shipped_sets()
    changes: list[dict[str, Any]] = []
    async with conn.transaction(readonly=True):
        rows = await proposals_since(conn, since=since)
    for row in rows:
        ts = current.get(row["set_id"])
        if ts is None:
            print(
                f"{row['report_id']} v{row['version']}: set {row['set_id']!r} is not shipped now; skipped",
                file=out,
            )
            continue
        new = decision_json(propose(ts, accounts_from_json(row["facts"])))
        if _key(new) == _key(row["result"]):
            continue
        change = {
            "report_id": str(row["report_id"]),
            "proposal_version": row["version"],
            "old": {"set": f"{row['set_id']}@{row['set_version']}", "result": row["result"]},
            "new": {"set": f"{ts.id}@{ts.version}", "result": new},
        }
        changes.append(change)
        print(
            f"{change['report_id']} v{row['version']}: {summary(row['result'])} [{change['old']['set']}] → "
            f"{summary(new)} [{change['new']['set']}]",
            file=out,
        )
    print(
        f"{len(rows)} proposal(s) since {since.isoformat()}; {len(changes)} would change; nothing was altered",
        file=out,
    )
    return changes


def run(args: argparse.Namespace, settings: Settings) -> int:
    with_conn(settings, lambda conn: replay(conn, since=args.since, out=sys.stdout))
    return 0

"""claims: recompute the cover of stored claims with today's rules and print what would change (read-only)"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, TextIO

import asyncpg

from claims import repository as repo
from claims.service import cover_by_claim
from kuaichu.commands import since_arg, with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="claims_command", required=True)
    rp = sub.add_parser("replay", help="recompute the cover of claims opened since a date; print changes")
    rp.add_argument("--since", required=True, type=since_arg, help="ISO date or time, e.g. 2026-05-01")


def _amounts(cover: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    """(payer, source) → fen of one claim's cover; empty while none is decided."""
    if not cover:
        return {}
    return {(p["payer"], p["source"]): p["amount_fen"] for p in cover["payments"]}


def _line(amounts: dict[tuple[str, str], int], mode: str | None) -> str:
    paid = ", ".join(f"{payer} {source} {fen / 100:.2f}" for (payer, source), fen in sorted(amounts.items()))
    return f"{mode or 'undecided'}: {paid or 'nothing'}"


async def replay(conn: asyncpg.Connection, *, since: datetime, out: TextIO) -> list[dict[str, Any]]:
    """Print every claim since `since` whose cover today's rules would change; changes nothing."""
    changes: list[dict[str, Any]] = []
    seen = 0
    async with conn.transaction(readonly=True):
        for report_id in await repo.reports_with_claims_since(conn, since=since):
            claims = await repo.claims_of_report(conn, report_id=report_id)
            decided = cover_by_claim(await repo.settlement(conn, report_id=report_id), claims)
            for c in claims:
                seen += 1
                old, new = c["cover"], decided.get(c["id"])
                if _amounts(old) == _amounts(new) and (old or {}).get("mode") == (new or {}).get("mode"):
                    continue
                change = {"claim_id": str(c["id"]), "report_id": str(report_id), "vehicle_label": c["label"],
                          "paid": c["paid_fen"] is not None, "old": old, "new": new}
                changes.append(change)
                before = _line(_amounts(old), (old or {}).get("mode"))
                after = _line(_amounts(new), (new or {}).get("mode"))
                paid = ", already paid" if change["paid"] else ""
                print(f"claim {c['id']} (report {report_id}, vehicle {c['label']}{paid}): {before} → {after}",
                      file=out)
    print(f"{seen} claim(s) since {since.isoformat()}; {len(changes)} would change; nothing was altered", file=out)
    return changes


def run(args: argparse.Namespace, settings: Settings) -> int:
    with_conn(settings, lambda conn: replay(conn, since=args.since, out=sys.stdout))
    return 0

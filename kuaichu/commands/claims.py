"""claims: recompute the cover and lines of stored claims with today's rules and print what would change (read-only)"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any, TextIO

import asyncpg

from claims import repository as repo
from claims.lines import owed_by, owes_nothing, planned_lines
from claims.service import BEFORE_PAYOUT, cover_by_claim, party_covers
from kuaichu.commands import since_arg, with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="claims_command", required=True)
    rp = sub.add_parser(
        "replay", help="recompute the cover and lines of claims opened since a date; print changes"
    )
    rp.add_argument(
        "--since", required=True, type=since_arg, help="ISO date or time, e.g. 2026-05-01"
    )


def _amounts(cover: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    """(payer, source) → fen of one claim's cover; empty while none is decided."""
    if not cover:
        return {}
    return {(p["payer"], p["source"]): p["amount_fen"] for p in cover["payments"]}


def _line(amounts: dict[tuple[str, str], int], mode: str | None) -> str:
    paid = ", ".join(
        f"{payer} {source} {fen / 100:.2f}" for (payer, source), fen in sorted(amounts.items())
    )
    return f"{mode or 'undecided'}: {paid or 'nothing'}"


def line_changes(
    settled: Any, claim: Any, lines: list[Any], cover: dict[str, Any] | None
) -> list[str]:
    """What today's rules would change in one claim's lines: lines to open (an insurer that could owe and has
    none), lines to close as not_owing, lines closed so that would owe again."""
    out = []
    if settled is not None and claim["label"] in {p["label"] for p in settled["parties"]}:
        have = {ln["insurer_code"] for ln in lines}
        for plan in planned_lines(party_covers(settled["parties"]), claim["label"]):
            if plan.insurer_code not in have:
                out.append(
                    f"open line {plan.insurer_code} ({plan.basis}, for {', '.join(plan.payer_labels)})"
                )
    if cover is not None and not any(ln["paid_fen"] is not None for ln in lines):
        for ln in lines:
            if ln["status"] in BEFORE_PAYOUT and owes_nothing(cover, ln["insurer_code"]):
                out.append(f"close line {ln['insurer_code']} as not_owing")
            elif ln["status"] == "not_owing" and not owes_nothing(cover, ln["insurer_code"]):
                out.append(
                    f"reopen line {ln['insurer_code']} (owes {owed_by(cover, ln['insurer_code']) / 100:.2f})"
                )
    return out


async def replay(conn: asyncpg.Connection, *, since: datetime, out: TextIO) -> list[dict[str, Any]]:
    """Print every claim since `since` whose cover or lines today's rules would change; changes nothing."""
    changes: list[dict[str, Any]] = []
    seen = 0
    async with conn.transaction(readonly=True):
        for report_id in await repo.reports_with_claims_since(conn, since=since):
            claims = await repo.claims_of_report(conn, report_id=report_id)
            settled = await repo.settlement(conn, report_id=report_id)
            decided = cover_by_claim(settled, claims)
            lines = await repo.lines_of_claims(conn, claim_ids=[c["id"] for c in claims])
            for c in claims:
                seen += 1
                old, new = c["cover"], decided.get(c["id"])
                mine = [ln for ln in lines if ln["id"] == c["id"]]
                paid = any(ln["paid_fen"] is not None for ln in mine) or c["paid_fen"] is not None
                cover_changes = not (
                    _amounts(old) == _amounts(new)
                    and (old or {}).get("mode") == (new or {}).get("mode")
                )
                in_lines = line_changes(settled, c, mine, new if new is not None else old)
                if not cover_changes and not in_lines:
                    continue
                change = {
                    "claim_id": str(c["id"]),
                    "report_id": str(report_id),
                    "vehicle_label": c["label"],
                    "paid": paid,
                    "old": old,
                    "new": new if cover_changes else old,
                    "lines": in_lines,
                }
                changes.append(change)
                head = f"claim {c['id']} (report {report_id}, vehicle {c['label']}{', already paid' if paid else ''})"
                if cover_changes:
                    before = _line(_amounts(old), (old or {}).get("mode"))
                    after = _line(_amounts(new), (new or {}).get("mode"))
                    print(f"{head}: {before} → {after}", file=out)
                for what in in_lines:
                    print(f"{head}: {what}", file=out)
    print(
        f"{seen} claim(s) since {since.isoformat()}; {len(changes)} would change; nothing was altered",
        file=out,
    )
    return changes


def run(args: argparse.Namespace, settings: Settings) -> int:
    with_conn(settings, lambda conn: replay(conn, since=args.since, out=sys.stdout))
    return 0

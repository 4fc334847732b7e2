"""manage staff accounts (police, adjuster, coordinator, court, admin)"""

from __future__ import annotations

import argparse
import getpass
import uuid

import asyncpg

from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring, new_token
from kernel.sessions import STAFF_PREFIX
from kuaichu.commands import with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="staff_command", required=True)
    c = sub.add_parser("create", help="create a staff account and print its bearer token once")
    c.add_argument("username")
    c.add_argument("--role", required=True, choices=["police", "adjuster", "coordinator", "court", "admin"])
    c.add_argument("--name", help="display name", default=None)
    c.add_argument("--insurer", help="insurer code (required for adjusters)")
    c.add_argument("--jurisdiction", type=_zones, default=None,
                   help="comma-separated zone ids (counties) a police officer reviews, e.g. zj-330102,zj-330105")
    j = sub.add_parser("jurisdiction", help="set the zones (counties) of a police account")
    j.add_argument("username")
    j.add_argument("zones", type=_zones, help="comma-separated zone ids")
    r = sub.add_parser("rotate-token", help="issue a new token for a staff account (the old one stops working)")
    r.add_argument("username")
    d = sub.add_parser("deactivate", help="deactivate a staff account: its token stops working in every process "
                       "within a second (audited)")
    d.add_argument("username")


def _zones(text: str) -> list[str]:
    zones = [z.strip() for z in text.split(",") if z.strip()]
    if not zones:
        raise argparse.ArgumentTypeError("give at least one zone id")
    return zones


async def _check_zones(conn: asyncpg.Connection, zones: list[str]) -> None:
    known = {r["id"] for r in await conn.fetch("SELECT id FROM zones WHERE id = ANY($1::text[])", zones)}
    unknown = [z for z in zones if z not in known]
    if unknown:
        raise SystemExit(f"kuaichu: unknown zone(s) {', '.join(unknown)} (see the zones of the reference data)")


async def create_staff(
    conn: asyncpg.Connection, keyring: Keyring, *, username: str, role: str, name: str | None, insurer: str | None,
    jurisdiction: list[str] | None = None,
) -> str:
    """Insert a staff account; return its token (shown once, stored only as a hash)."""
    if role == "adjuster" and not insurer:
        raise SystemExit("kuaichu: an adjuster needs --insurer")
    if role == "police" and not jurisdiction:
        raise SystemExit("kuaichu: a police account needs --jurisdiction (the zones it reviews)")
    if jurisdiction:
        await _check_zones(conn, jurisdiction)
    if insurer and not await conn.fetchval("SELECT 1 FROM insurers WHERE code = $1::text", insurer):
        raise SystemExit(f"kuaichu: unknown insurer {insurer!r} (load reference data first)")
    token = new_token(STAFF_PREFIX)
    try:
        await conn.execute(
            """INSERT INTO staff (id, username, role, insurer_code, display_name, token_hash, jurisdiction)
               VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::bytea, $7::text[])""",
            uuid.uuid4(), username, role, insurer, name or username, keyring.token_hash(token), jurisdiction,
        )
    except asyncpg.UniqueViolationError:
        raise SystemExit(f"kuaichu: a staff account named {username!r} exists (use rotate-token)") from None
    return token


async def deactivate_staff(conn: asyncpg.Connection, *, username: str, by: str) -> None:
    """Deactivate an account, recorded in the audit trail; SystemExit when there is no such active account."""
    async with conn.transaction():
        staff_id = await conn.fetchval(
            "UPDATE staff SET active = false WHERE username = $1::text AND active RETURNING id", username
        )
        if staff_id is None:
            known = await conn.fetchval("SELECT 1 FROM staff WHERE username = $1::text", username)
            raise SystemExit(f"kuaichu: staff account {username!r} is already inactive" if known
                             else f"kuaichu: no staff account named {username!r}")
        await record(conn, AuditEvent("staff", str(staff_id), "deactivated", ("system", f"cli:{by}"),
                                      changes={"active": {"before": True, "after": False}}))


def _operator() -> str:
    """Who ran the command, for the audit trail (the OS account)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def run(args: argparse.Namespace, settings: Settings) -> int:
    keyring = Keyring.from_settings(settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value())
    if args.staff_command == "create":
        token = with_conn(
            settings,
            lambda conn: create_staff(
                conn, keyring, username=args.username, role=args.role, name=args.name, insurer=args.insurer,
                jurisdiction=args.jurisdiction,
            ),
        )
        print(token)
        return 0
    if args.staff_command == "jurisdiction":
        async def set_zones(conn: asyncpg.Connection) -> str:
            await _check_zones(conn, args.zones)
            async with conn.transaction():
                before = await conn.fetchrow("SELECT id, role, jurisdiction FROM staff WHERE username = $1::text",
                                             args.username)
                if before is None or before["role"] != "police":
                    raise SystemExit(f"kuaichu: no police account named {args.username!r}")
                await conn.execute("UPDATE staff SET jurisdiction = $2::text[] WHERE id = $1::uuid", before["id"],
                                   args.zones)
                await record(conn, AuditEvent("staff", str(before["id"]), "jurisdiction_changed", ("staff", "cli"),
                                              None, {"jurisdiction": {"before": before["jurisdiction"],
                                                                      "after": args.zones}}))
            return f"{args.username}: {', '.join(args.zones)}"

        print(with_conn(settings, set_zones))
        return 0
    if args.staff_command == "deactivate":
        with_conn(settings, lambda conn: deactivate_staff(conn, username=args.username, by=_operator()))
        print(f"staff account {args.username!r} deactivated")
        return 0
    token = new_token(STAFF_PREFIX)

    async def rotate(conn: asyncpg.Connection) -> str:
        n = await conn.execute(
            "UPDATE staff SET token_hash = $2::bytea WHERE username = $1::text",
            args.username,
            keyring.token_hash(token),
        )
        if n.endswith(" 0"):
            raise SystemExit(f"kuaichu: no staff account named {args.username!r}")
        return token

    print(with_conn(settings, rotate))
    return 0

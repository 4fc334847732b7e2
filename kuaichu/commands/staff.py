"""manage staff accounts (police, adjuster, coordinator, court, admin)"""

from __future__ import annotations

import argparse
import getpass

import asyncpg

from kernel import staff_accounts as accounts
from kernel.crypto import Keyring, new_token
from kernel.errors import DomainError
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
    try:
        await accounts.check_zones(conn, zones)
    except DomainError as exc:
        raise SystemExit(f"kuaichu: {exc.detail_en}") from None


async def create_staff(
    conn: asyncpg.Connection, keyring: Keyring, *, username: str, role: str, name: str | None, insurer: str | None,
    jurisdiction: list[str] | None = None, by: str = "cli",
) -> str:
    """Insert a staff account; return its token (shown once, stored only as a hash)."""
    try:
        async with conn.transaction():
            _, token = await accounts.create(conn, keyring, username=username, role=role, name=name,
                                             insurer=insurer, jurisdiction=jurisdiction, actor=("system", f"cli:{by}"))
    except DomainError as exc:
        raise SystemExit(f"kuaichu: {exc.detail_en}") from None
    return token


async def deactivate_staff(conn: asyncpg.Connection, *, username: str, by: str) -> None:
    """Deactivate an account, recorded in the audit trail; SystemExit when there is no such active account."""
    try:
        async with conn.transaction():
            await accounts.deactivate(conn, username=username, actor=("system", f"cli:{by}"))
    except DomainError as exc:
        raise SystemExit(f"kuaichu: {exc.detail_en}") from None


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
                jurisdiction=args.jurisdiction, by=_operator(),
            ),
        )
        print(token)
        return 0
    if args.staff_command == "jurisdiction":
        async def set_zones(conn: asyncpg.Connection) -> str:
            try:
                async with conn.transaction():
                    await accounts.set_jurisdiction(conn, username=args.username, zones=args.zones,
                                                    actor=("system", f"cli:{_operator()}"))
            except DomainError as exc:
                raise SystemExit(f"kuaichu: {exc.detail_en}") from None
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

"""manage staff accounts (police, adjuster, coordinator, court, admin, supervisor)"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from datetime import UTC, datetime

import asyncpg

from kernel.audit import AuditEvent, record
from kernel.crypto import Keyring, new_token
from kernel.sessions import STAFF_PREFIX
from kuaichu import staff_accounts
from kuaichu.commands import with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="staff_command", required=True)
    c = sub.add_parser(
        "create",
        help="create a person's staff account and print its one-time enrolment link "
        "(24 h: the person sets a password and, for police, supervisor and admin, an authenticator); "
        "with --token, a system client's account and its bearer token instead",
    )
    c.add_argument("username")
    c.add_argument("--role", required=True, choices=list(ROLES))
    c.add_argument(
        "--token",
        action="store_true",
        help="a system client (a script, an integration): print a bearer token once, no sign-in",
    )
    c.add_argument("--name", help="display name", default=None)
    c.add_argument("--insurer", help="insurer code (required for adjusters)")
    c.add_argument(
        "--jurisdiction",
        type=_zones,
        default=None,
        help="comma-separated zone ids (counties) a police officer reviews or a supervisor oversees, "
        "e.g. zj-330102,zj-330105",
    )
    j = sub.add_parser(
        "jurisdiction", help="set the zones (counties) of a police or supervisor account"
    )
    j.add_argument("username")
    j.add_argument("zones", type=_zones, help="comma-separated zone ids")
    r = sub.add_parser(
        "rotate-token", help="issue a new token for a staff account (the old one stops working)"
    )
    r.add_argument("username")
    d = sub.add_parser(
        "deactivate",
        help="deactivate a staff account: its token stops working in every process "
        "within a second (audited)",
    )
    d.add_argument("username")
    rs = sub.add_parser(
        "reset",
        help="reset a person's password and/or authenticator: both stop working, every "
        "session ends within a second, and a new one-time link is printed (audited)",
    )
    rs.add_argument("username")
    rs.add_argument("--password", action="store_true", help="the person sets a new password")
    rs.add_argument("--totp", action="store_true", help="the person sets up a new authenticator")


ROLES = ("police", "adjuster", "coordinator", "court", "admin", "supervisor")
ZONED_ROLES = ("police", "supervisor")  # accounts that see only their jurisdiction


def _zones(text: str) -> list[str]:
    zones = [z.strip() for z in text.split(",") if z.strip()]
    if not zones:
        raise argparse.ArgumentTypeError("give at least one zone id")
    return zones


async def _check_zones(conn: asyncpg.Connection, zones: list[str]) -> None:
    known = {
        r["id"] for r in await conn.fetch("SELECT id FROM zones WHERE id = ANY($1::text[])", zones)
    }
    unknown = [z for z in zones if z not in known]
    if unknown:
        raise SystemExit(
            f"kuaichu: unknown zone(s) {', '.join(unknown)} (see the zones of the reference data)"
        )


async def _insert_staff(
    conn: asyncpg.Connection,
    *,
    username: str,
    role: str,
    name: str | None,
    insurer: str | None,
    jurisdiction: list[str] | None,
    token_hash: bytes | None,
) -> uuid.UUID:
    if role == "adjuster" and not insurer:
        raise SystemExit("kuaichu: an adjuster needs --insurer")
    if role in ZONED_ROLES and not jurisdiction:
        raise SystemExit(f"kuaichu: a {role} account needs --jurisdiction (the zones it covers)")
    if jurisdiction:
        await _check_zones(conn, jurisdiction)
    if insurer and not await conn.fetchval("SELECT 1 FROM insurers WHERE code = $1::text", insurer):
        raise SystemExit(f"kuaichu: unknown insurer {insurer!r} (load reference data first)")
    staff_id = uuid.uuid4()
    try:
        await conn.execute(
            """INSERT INTO staff (id, username, role, insurer_code, display_name, token_hash, jurisdiction)
               VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::text, $6::bytea, $7::text[])""",
            staff_id,
            username,
            role,
            insurer,
            name or username,
            token_hash,
            jurisdiction,
        )
    except asyncpg.UniqueViolationError:
        raise SystemExit(f"kuaichu: a staff account named {username!r} exists") from None
    return staff_id


async def create_staff(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    username: str,
    role: str,
    name: str | None,
    insurer: str | None,
    jurisdiction: list[str] | None = None,
) -> str:
    """A system client's staff account; return its bearer token (shown once, stored only as a hash)."""
    token = new_token(STAFF_PREFIX)
    async with conn.transaction():
        staff_id = await _insert_staff(
            conn,
            username=username,
            role=role,
            name=name,
            insurer=insurer,
            jurisdiction=jurisdiction,
            token_hash=keyring.token_hash(token),
        )
        await record(
            conn,
            AuditEvent(
                "staff",
                str(staff_id),
                "created",
                ("system", f"cli:{_operator()}"),
                changes={
                    "role": {"before": None, "after": role},
                    "kind": {"before": None, "after": "system-client"},
                },
            ),
        )
    return token


async def create_person(
    conn: asyncpg.Connection,
    keyring: Keyring,
    *,
    username: str,
    role: str,
    name: str | None,
    insurer: str | None,
    jurisdiction: list[str] | None = None,
    enrolment_ttl_s: int = 24 * 3600,
    by: str = "cli",
) -> tuple[str, datetime]:
    """A person's staff account (no bearer token) and its one-time enrolment link's token and expiry."""
    async with conn.transaction():
        staff_id = await _insert_staff(
            conn,
            username=username,
            role=role,
            name=name,
            insurer=insurer,
            jurisdiction=jurisdiction,
            token_hash=None,
        )
        token, expires_at = await staff_accounts.issue_enrolment(
            conn,
            keyring,
            staff_id=staff_id,
            sets_password=True,
            sets_totp=role in staff_accounts.TOTP_ROLES,
            ttl_s=enrolment_ttl_s,
        )
        await record(
            conn,
            AuditEvent(
                "staff",
                str(staff_id),
                "created",
                ("system", f"cli:{by}"),
                changes={
                    "role": {"before": None, "after": role},
                    "kind": {"before": None, "after": "person"},
                },
            ),
        )
    return token, expires_at


async def deactivate_staff(conn: asyncpg.Connection, *, username: str, by: str) -> None:
    """Deactivate an account, recorded in the audit trail; SystemExit when there is no such active account."""
    async with conn.transaction():
        staff_id = await conn.fetchval(
            "UPDATE staff SET active = false WHERE username = $1::text AND active RETURNING id",
            username,
        )
        if staff_id is None:
            known = await conn.fetchval("SELECT 1 FROM staff WHERE username = $1::text", username)
            raise SystemExit(
                f"kuaichu: staff account {username!r} is already inactive"
                if known
                else f"kuaichu: no staff account named {username!r}"
            )
        ended = await staff_accounts.end_staff_sessions(
            conn, staff_id=staff_id, reason="deactivated"
        )
        await record(
            conn,
            AuditEvent(
                "staff",
                str(staff_id),
                "deactivated",
                ("system", f"cli:{by}"),
                changes={
                    "active": {"before": True, "after": False},
                    "sessions_ended": {"before": None, "after": ended},
                },
            ),
        )


def _print_link(settings: Settings, token: str, expires_at: datetime, username: str) -> None:
    """The link on stdout (alone, for scripts); what to do with it on stderr."""
    assert settings.public_base_url
    print(staff_accounts.enrolment_url(settings.public_base_url, token))
    print(
        f"hand this one-time link to {username} in person: it sets the sign-in for the workbench and expires "
        f"{expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        file=sys.stderr,
    )


def _operator() -> str:
    """Who ran the command, for the audit trail (the OS account)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def run(args: argparse.Namespace, settings: Settings) -> int:
    keyring = Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )
    if args.staff_command == "create" and args.token:
        token = with_conn(
            settings,
            lambda conn: create_staff(
                conn,
                keyring,
                username=args.username,
                role=args.role,
                name=args.name,
                insurer=args.insurer,
                jurisdiction=args.jurisdiction,
            ),
        )
        print(token)
        return 0
    if args.staff_command == "create":
        link, expires_at = with_conn(
            settings,
            lambda conn: create_person(
                conn,
                keyring,
                username=args.username,
                role=args.role,
                name=args.name,
                insurer=args.insurer,
                jurisdiction=args.jurisdiction,
                enrolment_ttl_s=settings.staff_enrolment_ttl_s,
                by=_operator(),
            ),
        )
        _print_link(settings, link, expires_at, args.username)
        return 0
    if args.staff_command == "reset":
        if not (args.password or args.totp):
            raise SystemExit("kuaichu: say what to reset: --password, --totp or both")
        policy = staff_accounts.policy_from(settings)
        try:
            done = with_conn(
                settings,
                lambda conn: staff_accounts.reset(
                    conn,
                    keyring,
                    policy,
                    username=args.username,
                    password=args.password,
                    totp=args.totp,
                    actor=("system", f"cli:{_operator()}"),
                ),
            )
        except staff_accounts.StaffNotFound:
            raise SystemExit(f"kuaichu: no active staff account named {args.username!r}") from None
        print(f"{args.username}: {done['sessions_ended']} session(s) ended", file=sys.stderr)
        _print_link(settings, done["token"], done["expires_at"], args.username)
        return 0
    if args.staff_command == "jurisdiction":

        async def set_zones(conn: asyncpg.Connection) -> str:
            await _check_zones(conn, args.zones)
            async with conn.transaction():
                before = await conn.fetchrow(
                    "SELECT id, role, jurisdiction FROM staff WHERE username = $1::text",
                    args.username,
                )
                if before is None or before["role"] not in ZONED_ROLES:
                    raise SystemExit(
                        f"kuaichu: no police or supervisor account named {args.username!r}"
                    )
                await conn.execute(
                    "UPDATE staff SET jurisdiction = $2::text[] WHERE id = $1::uuid",
                    before["id"],
                    args.zones,
                )
                await record(
                    conn,
                    AuditEvent(
                        "staff",
                        str(before["id"]),
                        "jurisdiction_changed",
                        ("staff", "cli"),
                        None,
                        {"jurisdiction": {"before": before["jurisdiction"], "after": args.zones}},
                    ),
                )
            return f"{args.username}: {', '.join(args.zones)}"

        print(with_conn(settings, set_zones))
        return 0
    if args.staff_command == "deactivate":
        with_conn(
            settings, lambda conn: deactivate_staff(conn, username=args.username, by=_operator())
        )
        print(f"staff account {args.username!r} deactivated")
        return 0
    token = new_token(STAFF_PREFIX)

    async def rotate(conn: asyncpg.Connection) -> str:
        person = await conn.fetchval(
            """SELECT password_hash IS NOT NULL OR EXISTS (SELECT 1 FROM staff_enrolments e WHERE e.staff_id = s.id)
               FROM staff s WHERE username = $1::text""",
            args.username,
        )
        if person is None:
            raise SystemExit(f"kuaichu: no staff account named {args.username!r}")
        if person:  # bearer tokens are for system clients: a person signs in (reset them instead)
            raise SystemExit(
                f"kuaichu: {args.username!r} is a person's account: they sign in with a password "
                f"(use `kuaichu staff reset {args.username} --password`)"
            )
        await conn.execute(
            "UPDATE staff SET token_hash = $2::bytea WHERE username = $1::text",
            args.username,
            keyring.token_hash(token),
        )
        return token

    print(with_conn(settings, rotate))
    return 0

"""manage insurers' system credentials (for their callbacks and claim reads)"""

from __future__ import annotations

import argparse
import uuid

import asyncpg

from kernel.crypto import Keyring, new_token
from kernel.sessions import INSURER_PREFIX
from kuaichu.commands import with_conn
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="insurer_command", required=True)
    c = sub.add_parser("credential", help="issue a new credential for an insurer and print it once")
    c.add_argument("code", help="insurer code, e.g. PICC")
    c.add_argument(
        "--revoke-others", action="store_true", help="revoke the insurer's earlier credentials"
    )


async def issue_credential(
    conn: asyncpg.Connection, keyring: Keyring, *, code: str, revoke_others: bool
) -> str:
    """Store a new credential (as a keyed hash only) and return the token."""
    if not await conn.fetchval("SELECT 1 FROM insurers WHERE code = $1::text", code):
        raise SystemExit(f"kuaichu: unknown insurer {code!r} (load reference data first)")
    token = new_token(INSURER_PREFIX)
    async with conn.transaction():
        if revoke_others:
            await conn.execute(
                "UPDATE insurer_credentials SET revoked_at = now() "
                "WHERE insurer_code = $1::text AND revoked_at IS NULL",
                code,
            )
        await conn.execute(
            "INSERT INTO insurer_credentials (id, insurer_code, token_hash) VALUES ($1::uuid, $2::text, $3::bytea)",
            uuid.uuid4(),
            code,
            keyring.token_hash(token),
        )
    return token


def run(args: argparse.Namespace, settings: Settings) -> int:
    keyring = Keyring.from_settings(
        settings.secret_key.get_secret_value(), settings.data_keys.get_secret_value()
    )
    print(
        with_conn(
            settings,
            lambda conn: issue_credential(
                conn, keyring, code=args.code, revoke_others=args.revoke_others
            ),
        )
    )
    return 0

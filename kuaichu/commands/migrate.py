"""apply database migrations as the owner (KUAICHU_MIGRATE_DATABASE_URL; idempotent, serialised by a lock)"""

from __future__ import annotations

import argparse

from kuaichu.commands import with_conn
from kuaichu.migrate import migrate
from kuaichu.settings import Settings


def configure(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, settings: Settings) -> int:
    applied = with_conn(settings, migrate, owner=True)
    print(f"applied {len(applied)} migration(s)" + (f": {applied}" if applied else ""))
    return 0

"""start everything for local use: embedded PostgreSQL, migrations, sample data, API, worker, court simulator"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from kuaichu.embedded import start_embedded
from kuaichu.login_role import provision_dev_login
from kuaichu.settings import Settings

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-sample", action="store_true", help="do not load the bundled sample reference data")


def _kuaichu(*args: str) -> list[str]:
    return [sys.executable, "-m", "kuaichu.cli", *args]


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment == "production":
        # It starts an embedded PostgreSQL, the court simulator and loads sample insurers with published secrets.
        print("kuaichu up: refused with KUAICHU_ENVIRONMENT=production; `kuaichu up` is the development launcher "
              "(embedded PostgreSQL, court simulator, sample data). In production run `kuaichu migrate`, "
              "`kuaichu load-reference DIR`, `kuaichu serve` and `kuaichu worker`.", file=sys.stderr)
        return 2
    owner, service = _databases(settings)
    # The owner's URL goes to the migration only: what serves requests never holds it.
    env = {k: v for k, v in os.environ.items() if k != "KUAICHU_MIGRATE_DATABASE_URL"} | {"DATABASE_URL": service}
    subprocess.run(_kuaichu("migrate"), env=env | {"KUAICHU_MIGRATE_DATABASE_URL": owner}, check=True)
    if not args.no_sample:
        subprocess.run(_kuaichu("load-reference", str(SAMPLE_DIR)), env=env, check=True)
    children = [subprocess.Popen(_kuaichu(*cmd), env=env) for cmd in _processes(settings)]
    print(
        f"kuaichu is serving on http://{settings.host}:{settings.port} "
        f"(OpenAPI: /v1/openapi.json; SMS codes for development in {settings.sms_dir}/); "
        f"court simulator on {settings.court_url}. Ctrl-C stops everything.",
        flush=True,
    )
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for c in children:
            try:
                c.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.kill()
    failed = [c.returncode for c in children if c.returncode not in (0, -signal.SIGINT, None)]
    return 1 if failed and not stopping else 0


def _databases(settings: Settings) -> tuple[str, str]:
    """(owner URL, service URL). Both given: used as they are. Otherwise the owner is the migration URL, else
    DATABASE_URL, else the embedded server's superuser, and the service's login kuaichu_app is provisioned on
    that server (development: the owner must be a superuser or hold CREATEROLE)."""
    if settings.migrate_database_url and settings.database_url:
        return settings.migrate_database_url, settings.database_url
    if settings.environment == "production":
        raise SystemExit("kuaichu up: in production set both KUAICHU_MIGRATE_DATABASE_URL (the owner) and "
                         "DATABASE_URL (the login role kuaichu_app)")
    owner = settings.migrate_database_url or settings.database_url
    if not owner:
        print("No DATABASE_URL: starting the embedded PostgreSQL (data in ./var/pgdata) ...", flush=True)
        owner = start_embedded(settings.var_dir / "pgdata", cleanup="stop")
    return owner, asyncio.run(provision_dev_login(owner))


def _processes(settings: Settings) -> list[tuple[str, ...]]:
    court = urlsplit(settings.court_url)
    sim = ("court-sim", "--host", court.hostname or "127.0.0.1", "--port", str(court.port or 80),
           "--callback-url", f"http://{settings.host}:{settings.port}")
    return [("serve",), ("worker",), sim]

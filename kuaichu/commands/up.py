"""start everything for local use: embedded PostgreSQL, migrations, sample data, API, worker, court simulator"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from kuaichu.embedded import start_embedded
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
    env = dict(os.environ)
    if not settings.database_url:
        print("No DATABASE_URL: starting the embedded PostgreSQL (data in ./var/pgdata) ...", flush=True)
        env["DATABASE_URL"] = start_embedded(settings.var_dir / "pgdata", cleanup="stop")
    subprocess.run(_kuaichu("migrate"), env=env, check=True)
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


def _processes(settings: Settings) -> list[tuple[str, ...]]:
    court = urlsplit(settings.court_url)
    sim = ("court-sim", "--host", court.hostname or "127.0.0.1", "--port", str(court.port or 80),
           "--callback-url", f"http://{settings.host}:{settings.port}")
    return [("serve",), ("worker",), sim]

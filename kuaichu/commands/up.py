"""start everything for local use: embedded PostgreSQL, migrations, sample data, API, worker, court simulator"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from geo.errors import ReferenceFileError
from kernel.local_time import written
from kuaichu.db import connect
from kuaichu.embedded import start_embedded
from kuaichu.login_role import provision_dev_login
from kuaichu.logs import configure_logging
from kuaichu.migrate import migrate
from kuaichu.reference_loader import load_reference_dir
from kuaichu.settings import Settings, listening_url

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
READY_WITHIN_S = 60.0
DEV_TSA_URL = "http://127.0.0.1:8091/"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-sample",
        action="store_true",
        help="do not load the bundled sample reference data into a new database",
    )


@dataclass
class Child:
    name: str  # as shown: "API", "worker", "court simulator"
    log: Path
    proc: subprocess.Popen[bytes]


def _kuaichu(*args: str) -> list[str]:
    return [sys.executable, "-m", "kuaichu.cli", *args]


def _shown(path: Path) -> str:
    """A path as the user can type it from where they started `make run`."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def _cli() -> str:
    """How to call the CLI from here: the `kuaichu` script beside this interpreter (e.g. .venv/bin/kuaichu)."""
    script = Path(sys.executable).parent / "kuaichu"
    return _shown(script) if script.exists() else "kuaichu"


def _without_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment == "production":
        # It starts an embedded PostgreSQL, the court simulator and loads sample insurers with published secrets.
        print(
            "kuaichu up: refused with KUAICHU_ENVIRONMENT=production; `kuaichu up` is the development launcher "
            "(embedded PostgreSQL, court simulator, sample data). In production run `kuaichu migrate`, "
            "`kuaichu load-reference DIR`, `kuaichu serve` and `kuaichu worker`.",
            file=sys.stderr,
        )
        return 2
    logs = settings.var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "up.log", "a", encoding="utf-8") as own_log:
        # This process's own lines (migrations, reference loading) go to a file: the terminal gets a summary.
        configure_logging(settings.log_level, stream=own_log)
        return _run(args, settings, logs)


def _run(args: argparse.Namespace, settings: Settings, logs: Path) -> int:
    if settings.migrate_database_url and settings.database_url:
        owner, service = settings.migrate_database_url, settings.database_url
        database = f"{_without_password(service)}  (DATABASE_URL; migrations as KUAICHU_MIGRATE_DATABASE_URL)"
    else:
        # The owner is the migration URL, else DATABASE_URL, else the embedded server's superuser; the service's
        # login kuaichu_app is provisioned on that server (development only: see README "Database roles").
        owner = settings.migrate_database_url or settings.database_url or ""
        if not owner:
            print(
                f"Starting the embedded PostgreSQL (data in {_shown(settings.var_dir / 'pgdata')}) ...",
                flush=True,
            )
            owner = start_embedded(
                settings.var_dir / "pgdata", cleanup="stop", log_file=logs / "postgres.log"
            )
        service = asyncio.run(provision_dev_login(owner))
        where = (
            f"embedded, data in {_shown(settings.var_dir / 'pgdata')}; log {_shown(logs / 'postgres.log')}"
            if not (settings.migrate_database_url or settings.database_url)
            else "owner from the environment"
        )
        database = f"{_without_password(service)}  (the service's login kuaichu_app; {where})"
    # The owner's URL goes to the migration only: what serves requests never holds it.
    env = {k: v for k, v in os.environ.items() if k != "KUAICHU_MIGRATE_DATABASE_URL"} | {
        "DATABASE_URL": service
    }
    tsa_command = _local_tsa(settings, env)
    try:
        reference = asyncio.run(_prepare(owner, service, settings, load_sample=not args.no_sample))
    except ReferenceFileError as exc:
        print(f"kuaichu up: the sample reference data is invalid: {exc}", file=sys.stderr)
        return 1
    api = listening_url(settings.host, settings.port)  # where the local simulator calls back
    court = urlsplit(settings.court_url)
    commands = [
        ("API", "api", ("serve",)),
        ("worker", "worker", ("worker",)),
        (
            "court simulator",
            "court-sim",
            (
                "court-sim",
                "--host",
                court.hostname or "127.0.0.1",
                "--port",
                str(court.port or 80),
                "--callback-url",
                api,
            ),
        ),
    ]
    commands += tsa_command
    with ExitStack() as files:
        children = []
        for name, stem, cmd in commands:
            out: IO[bytes] = files.enter_context(open(logs / f"{stem}.log", "ab"))
            children.append(
                Child(
                    name,
                    logs / f"{stem}.log",
                    subprocess.Popen(_kuaichu(*cmd), env=env, stdout=out, stderr=subprocess.STDOUT),
                )
            )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            if not _wait(lambda: stopping or _healthy(api) or _ended(children) is not None):
                print(
                    f"kuaichu up: the API did not answer {api}/healthz within {READY_WITHIN_S:.0f} s; "
                    f"see {_shown(logs / 'api.log')}",
                    file=sys.stderr,
                )
                return 1
            if not stopping and _ended(children) is None:
                print(
                    _summary(settings, children, api=api, database=database, reference=reference),
                    flush=True,
                )
            while not stopping and _ended(children) is None:
                time.sleep(0.2)
        finally:
            for c in children:
                if c.proc.poll() is None:
                    c.proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            for c in children:
                try:
                    c.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    c.proc.kill()
                    c.proc.wait()
    ended = None if stopping else _ended(children)
    if ended is not None:
        print(
            f"kuaichu up: the {ended.name} stopped (exit status {ended.proc.returncode}); everything was stopped. "
            f"The end of {_shown(ended.log)}:",
            file=sys.stderr,
        )
        print(_tail(ended.log), file=sys.stderr)
        return 1
    return 0


def _local_tsa(settings: Settings, env: dict[str, str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Like the court simulator, a local time-stamping authority answers on KUAICHU_TSA_URL (default :8091) when
    that is a loopback address (its root certificate given to the children); a remote URL is a real authority,
    whose certificate KUAICHU_TSA_CA_FILE names."""
    tsa = urlsplit(settings.tsa_url or DEV_TSA_URL)
    if tsa.hostname not in ("127.0.0.1", "localhost"):
        return []
    env |= {
        "KUAICHU_TSA_URL": urlunsplit(tsa),
        "KUAICHU_TSA_CA_FILE": str((settings.var_dir / "tsa" / "ca.crt").resolve()),
    }
    return [
        (
            "time-stamping authority",
            "tsa-sim",
            ("tsa-sim", "--host", tsa.hostname or "127.0.0.1", "--port", str(tsa.port or 80)),
        )
    ]


def _summary(
    settings: Settings, children: list[Child], *, api: str, database: str, reference: str
) -> str:
    log = {c.name: _shown(c.log) for c in children}
    cli = _cli()
    rows = [
        (
            "API",
            f"{api}  (driver app: {api.replace('//127.0.0.1:', '//localhost:')}/; OpenAPI: "
            f"{api}/v1/openapi.json; log {log['API']})",
        ),
        (
            "workbench",
            f"{api.replace('//127.0.0.1:', '//localhost:')}/staff/  (staff sign-in: a person's account "
            f"and its one-time link from `{cli} staff create NAME --role police --jurisdiction zj-330102`)",
        ),
        (
            "worker",
            f"outbox deliveries; development SMS in {_shown(settings.sms_dir / 'messages.jsonl')}  "
            f"(log {log['worker']})",
        ),
        ("court simulator", f"{settings.court_url}  (log {log['court simulator']})"),
        *(
            [
                (
                    "time-stamping authority",
                    f"{settings.tsa_url or DEV_TSA_URL}  (development only; trusts "
                    f"{_shown(settings.var_dir / 'tsa' / 'ca.crt')}; log "
                    f"{log['time-stamping authority']})",
                )
            ]
            if "time-stamping authority" in log
            else []
        ),
        (
            "metrics",
            "  ".join(
                f"{who} http://{settings.metrics_host}:{port}/metrics"
                for who, port in (
                    ("API", settings.metrics_port),
                    ("worker", settings.worker_metrics_port),
                )
                if port
            )
            or "off (KUAICHU_METRICS_PORT, KUAICHU_WORKER_METRICS_PORT)",
        ),
        ("database", database),
        ("reference data", reference),
        (
            "staff token",
            f"{cli} staff create officer1 --role police --jurisdiction zj-330102,zj-330105 --token  "
            "(police|adjuster|coordinator|court|admin|supervisor; without --token: a person's "
            "sign-in link)",
        ),
        (
            "insurer token",
            f"{cli} insurer credential PICC  (sample insurers: PICC CPIC PINGAN CLPC CCIC SUNSHINE)",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(
        ["kuaichu is running; Ctrl-C stops everything.", *(f"  {k:<{width}}  {v}" for k, v in rows)]
    )


async def _prepare(owner: str, service: str, settings: Settings, *, load_sample: bool) -> str:
    """Migrate (as the owner); load the sample into a database without reference data only (as the service's
    login). Returns what was done, in words."""
    conn = await connect(owner)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    conn = await connect(service)
    try:
        current = await _latest_reference(conn)
    finally:
        await conn.close()
    reload = (
        f"`{_cli()} load-reference data/sample` reloads the sample (it overwrites changed rows)"
    )
    if current is not None:
        return (
            f"version {current['version']} from {_shown(Path(current['source']))}, loaded "
            f"{written(current['loaded_at']).en}, kept as it is (not reloaded); {reload}"
        )
    if not load_sample:
        return f"none loaded (--no-sample); `{_cli()} load-reference DIR` loads some"
    summary = await load_reference_dir(service, SAMPLE_DIR)
    return (
        f"sample from {_shown(SAMPLE_DIR)} loaded into the new database (version {summary['version']}: "
        f"{summary['zones']['total']} zones, {summary['insurers']['total']} insurers)"
    )


async def _latest_reference(conn: asyncpg.Connection) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT version, source, loaded_at FROM reference_versions ORDER BY version DESC LIMIT 1"
    )
    return dict(row) if row else None


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:  # noqa: S310 - our own http:// URL
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _ended(children: list[Child]) -> Child | None:
    return next((c for c in children if c.proc.poll() is not None), None)


def _wait(done: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.2)
    return False


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

"""Shared bench machinery (BENCH.md): rows, median of 3, a bench database, pinned servers and pinned wrk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
RUNS = 3
SEED = 42


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the bench table; bench modules may return these or dicts with the same keys."""

    measure: str
    value: float | None
    baseline: float | str | None  # "budget": an absolute target with no baseline run
    ratio: float | None
    target: str
    met: bool | None
    spread: str = ""
    unit: str = ""


def as_row(raw: Row | dict[str, Any]) -> Row:
    return (
        raw
        if isinstance(raw, Row)
        else Row(
            **{k: raw.get(k) for k in Row.__slots__}
            | {
                "spread": raw.get("spread") or "",
                "unit": raw.get("unit") or "",
                "target": raw.get("target") or "",
            }
        )
    )


def median_row(
    measure: str,
    ours: list[float],
    base: list[float] | None,
    *,
    unit: str,
    target: float | None,
    target_text: str = "",
    higher_is_better: bool = True,
) -> Row:
    """Median of each run list with min–max beside it, the ratio ours/baseline against `target`."""
    value = statistics.median(ours)
    baseline = statistics.median(base) if base else None
    ratio = None
    if baseline:
        ratio = value / baseline if higher_is_better else baseline / value
    spread = f"{min(ours):,.0f}–{max(ours):,.0f}"
    if base:
        spread += f" (baseline {min(base):,.0f}–{max(base):,.0f})"
    met = None if target is None or ratio is None else ratio >= target
    text = target_text or (f"≥ {target:g}×" if target is not None else "— (reported)")
    return Row(measure, value, baseline, ratio, text, met, spread, unit)


def runs_of(fn: Callable[[], float], runs: int = RUNS) -> list[float]:
    return [fn() for _ in range(runs)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- database --------------------------------------------------------------------------------------------


_OWNERS: dict[str, str] = {}  # a bench database's service URL -> its owner's URL


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A fresh, migrated database with data/sample loaded, on BENCH_DATABASE_URL (a superuser) or an embedded
    server; yields the URL the service logs in with (kuaichu_app), as in production. owner_dsn() maps it to
    the owner's, for set-up beyond the application's grants."""
    from urllib.parse import urlsplit, urlunsplit

    from kuaichu.login_role import provision_dev_login

    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        from kuaichu.embedded import start_embedded

        server = start_embedded(REPO / "var" / "bench-pg", cleanup="delete")
    name = f"kuaichu_bench_{os.getpid()}"
    owner = urlunsplit(urlsplit(server)._replace(path="/" + name))
    service = urlunsplit(
        urlsplit(asyncio.run(provision_dev_login(server)))._replace(path="/" + name)
    )
    asyncio.run(_prepare(server, owner, service, name))
    _OWNERS[service] = owner
    try:
        yield service
    finally:
        del _OWNERS[service]
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def owner_dsn(service_dsn: str) -> str:
    return _OWNERS[service_dsn]


async def _admin(dsn: str, *sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _prepare(server: str, owner: str, service: str, name: str) -> None:
    from kuaichu.db import connect
    from kuaichu.migrate import migrate

    await _admin(
        server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    conn = await connect(owner)
    try:
        await migrate(conn)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, body jsonb)"
        )
        await conn.execute("GRANT SELECT, INSERT ON bench_baseline TO kuaichu_app")
        await conn.execute("GRANT USAGE ON SEQUENCE bench_baseline_id_seq TO kuaichu_app")
    finally:
        await conn.close()
    sample = REPO / "data" / "sample"
    if (sample / "zones.geojson").exists():
        from kuaichu.reference_loader import load_reference_dir

        await load_reference_dir(service, sample)


# ---- servers ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def pinned_server(argv: list[str], port: int, env: dict[str, str]) -> Iterator[str]:
    """Run a server pinned to CPU 0 until it answers on `port`; yield its base URL; stop it after."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, after the server stops
    proc = subprocess.Popen(
        ["taskset", "-c", "0", *argv], env={**os.environ, **env}, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(
                    f"server exited ({proc.returncode}): {log.read()[-2000:].decode(errors='replace')}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.5),
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def kuaichu_server(
    dsn: str, port: int, extra_env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[str]:
    """The service exactly as `kuaichu serve` runs it (normal logging; rate limits lifted by setting)."""
    env = {
        "DATABASE_URL": dsn,
        "KUAICHU_DB_POOL_MAX": "10",
        "KUAICHU_BENCH_DISABLE_RATE_LIMITS": "true",
        "KUAICHU_VAR_DIR": str(REPO / "var" / "bench"),
        **(extra_env or {}),
    }
    return pinned_server([str(VENV_BIN / "kuaichu"), "serve", "--port", str(port)], port, env)


def baseline_server(
    mode: str, port: int, dsn: str = "", model: str = ""
) -> contextlib.AbstractContextManager[str]:
    """An aiohttp baseline: `constant` (fixed JSON) or `insert` (pydantic `model` + one INSERT, pool 10)."""
    argv = [sys.executable, "-m", "bench.common", mode, str(port), dsn, model]
    return pinned_server(argv, port, {"PYTHONPATH": str(REPO)})


def _serve_baseline(mode: str, port: int, dsn: str, model_path: str) -> None:
    import importlib
    import json

    from aiohttp import web

    body = json.dumps(
        {"outcome": "determined", "allocations": [], "matched": [], "review_reasons": []}
    ).encode()

    async def constant(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    if mode == "insert":
        import asyncpg

        module, _, attr = model_path.partition(":")
        model = getattr(importlib.import_module(module), attr)

        async def pool_ctx(app_: web.Application):
            app_["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
            yield
            await app_["pool"].close()

        async def insert(request: web.Request) -> web.Response:
            raw = await request.read()
            model.model_validate_json(raw)
            async with request.app["pool"].acquire() as conn:
                stmt = await conn.prepare(
                    "INSERT INTO bench_baseline (body) VALUES ($1::text::jsonb) RETURNING id"
                )
                new_id = await stmt.fetchval(raw.decode())
            return web.json_response({"id": new_id}, status=201)

        app.cleanup_ctx.append(pool_ctx)
        app.router.add_post("/{tail:.*}", insert)
    else:
        app.router.add_post("/{tail:.*}", constant)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---- load ------------------------------------------------------------------------------------------------


class WrkMissing(RuntimeError):
    """wrk is not installed and could not be installed."""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True, check=False)
        path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(
            "wrk is not installed and `apt-get install -y wrk` failed: HTTP rows not measured"
        )
    return path


def post_script(bodies: list[str], headers: dict[str, str] | None = None) -> str:
    """A wrk Lua script that POSTs the given JSON bodies in turn."""

    def lua(s: str) -> str:
        return "[==[" + s + "]==]"

    # The spaces matter: `[[` would open a Lua long string.
    head = "".join(f"wrk.headers[ {lua(k)} ] = {lua(v)}\n" for k, v in (headers or {}).items())
    items = ",\n".join(lua(b) for b in bodies)
    return (
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n{head}'
        f"local bodies = {{\n{items}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n"
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(
    url: str, script: str, *, seconds: int = 20, warmup: int = 5, connections: int = 64
) -> tuple[float, float]:
    """Requests/s and p99 (ms) of `wrk -t1 -c64 -d20s --latency` on CPU 1, after an unmeasured warm-up."""
    binary = ensure_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        base = ["taskset", "-c", "1", binary, "-t1", f"-c{connections}", "--latency", "-s", f.name]
        subprocess.run([*base, f"-d{warmup}s", url], capture_output=True, check=True)
        out = subprocess.run(
            [*base, f"-d{seconds}s", url], capture_output=True, check=True, text=True
        ).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise RuntimeError(f"{bad.group(1)} non-2xx responses from {url}")
    return rps, float(p99.group(1)) * _UNITS[p99.group(2)]


if __name__ == "__main__":
    _serve_baseline(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])

"""What a newcomer does first: `kuaichu up` (what `make run` starts) in a fresh directory with only PORT set, then
the README's commands in another shell with no variable at all; an invitation sent through requests with a forged
Host; an integrator's change surviving a restart."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.api.flows import create_report, new_phone, sms_messages

pytestmark = pytest.mark.timeout(400)

FORGED = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "443",
    "Forwarded": "host=evil.example;proto=https",
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _plain_env() -> dict[str, str]:
    """The environment of a new shell: none of the service's variables."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KUAICHU_") and k not in ("DATABASE_URL", "PORT", "TEST_DATABASE_URL")
    }


@dataclass
class Running:
    proc: subprocess.Popen[str]
    home: Path  # where the user started it: var/ is here
    port: int
    output: list[str]

    @property
    def var(self) -> Path:
        return self.home / "var"


def start_up(home: Path, port: int, court_port: int) -> Running:
    """`kuaichu up` with PORT (and the court simulator's port, so as not to collide); waits for its summary."""
    env = {
        **_plain_env(),
        "PORT": str(port),
        "KUAICHU_COURT_URL": f"http://127.0.0.1:{court_port}",
        "KUAICHU_TSA_URL": f"http://127.0.0.1:{_port()}/",
        "KUAICHU_METRICS_PORT": str(_port()),
        "KUAICHU_WORKER_METRICS_PORT": str(_port()),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kuaichu.cli", "up"],
        cwd=home,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    output: list[str] = []
    stdout = proc.stdout
    threading.Thread(
        target=lambda: output.extend(line.rstrip("\n") for line in stdout), daemon=True
    ).start()
    deadline = time.monotonic() + 180
    while (
        time.monotonic() < deadline
        and proc.poll() is None
        and not any("insurer token" in ln for ln in output)
    ):
        time.sleep(0.2)
    if not any("insurer token" in line for line in output):
        stop_up(Running(proc, home, port, output))
        raise AssertionError("\n".join(output))
    return Running(proc, home, port, output)


def stop_up(running: Running) -> None:
    if running.proc.poll() is None:
        os.killpg(running.proc.pid, signal.SIGINT)
        try:
            running.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(running.proc.pid, signal.SIGKILL)
            running.proc.wait()
    if running.proc.stdout is not None:
        running.proc.stdout.close()


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A README command typed in another shell, from where `make run` was started, with no variable set."""
    return subprocess.run(
        [sys.executable, "-m", "kuaichu.cli", *args],
        cwd=home,
        env=_plain_env(),
        text=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    # Not under pytest's base temp: concurrent pytest sessions reset its parent to 0700, and the embedded server
    # runs as another user that must traverse to var/pgdata (as conftest's KUAICHU_TEST_PGDATA_PARENT says).
    home = Path(
        tempfile.mkdtemp(
            prefix="kuaichu-newcomer-", dir=os.environ.get("KUAICHU_TEST_PGDATA_PARENT")
        )
    )
    try:
        r = start_up(home, _port(), _port())
        try:
            yield r
        finally:
            stop_up(r)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_first_run_shows_one_line_per_component_with_its_address_and_how_to_get_credentials(
    running,
):
    lines = running.output
    assert not any(line.lstrip().startswith("{") for line in lines), "\n".join(
        lines
    )  # no JSON log lines
    assert len(lines) <= 12, "\n".join(lines)
    by_name = {
        name: next((line for line in lines if line.strip().startswith(name)), "")
        for name in ("API", "worker", "court simulator", "database", "staff token", "insurer token")
    }
    assert f"http://127.0.0.1:{running.port}" in by_name["API"]
    assert "var/sms/messages.jsonl" in by_name["worker"]
    assert re.search(r"http://127\.0\.0\.1:\d+", by_name["court simulator"])
    assert "postgresql://" in by_name["database"] and "var/pgdata" in by_name["database"]
    assert (
        "staff create" in by_name["staff token"]
        and "insurer credential" in by_name["insurer token"]
    )
    # The embedded server's lines went to a file under var/ instead.
    assert "initdb" in (running.var / "log" / "postgres.log").read_text()


def test_the_readme_commands_work_from_another_shell_with_no_variable_set(running):
    staff = cli(
        running.home,
        "staff",
        "create",
        "officer1",
        "--role",
        "police",
        "--jurisdiction",
        "zj-330102,zj-330105",
        "--token",
    )
    assert staff.returncode == 0, staff.stderr
    assert staff.stdout.strip().startswith("kst_")
    insurer = cli(running.home, "insurer", "credential", "PICC")
    assert insurer.returncode == 0 and insurer.stdout.strip().startswith("kin_"), insurer.stderr
    rotated = cli(running.home, "staff", "rotate-token", "adj.picc.3301.1")  # data/sample/README.md
    assert rotated.returncode == 0 and rotated.stdout.strip().startswith("kst_"), rotated.stderr
    listed = cli(running.home, "outbox", "list", "--status", "all")
    assert listed.returncode == 0, listed.stderr
    sample = str(Path(__file__).resolve().parents[2] / "data" / "sample")
    loaded = cli(running.home, "load-reference", sample)
    assert loaded.returncode == 0 and "unchanged, same digest" in loaded.stdout, loaded.stderr

    async def police_sees_the_queue() -> int:  # the token works against the running service
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{running.port}/v1/police/reviews",
                headers={"Authorization": f"Bearer {staff.stdout.strip()}"},
            ) as r,
        ):
            return r.status

    assert asyncio.run(police_sees_the_queue()) == 200


def test_the_invitation_sms_links_to_the_joining_page_on_the_served_port_whatever_host_the_request_named(
    running,
):
    invited = new_phone()

    async def invite() -> str:
        async with aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{running.port}", headers=FORGED
        ) as http:
            created = await create_report(http, running.var, invite_phone=invited)
        return created["share_code"]["code"]

    code = asyncio.run(invite())
    deadline = time.monotonic() + 60
    texts: list[str] = []
    while time.monotonic() < deadline and not texts:  # the worker sends it from the outbox
        texts = [m["text"] for m in sms_messages(running.var) if m["to"] == invited]
        time.sleep(0.2)
    assert texts, "no invitation SMS"
    text = texts[0]
    links = re.findall(r"https?://\S+?(?=[\s，。)）]|$)", text)
    assert links and set(links) == {f"http://127.0.0.1:{running.port}/join?code={code}"}, text
    assert "evil" not in text and "https" not in text
    assert re.search(r"请在\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}前打开", text), (
        text
    )  # Beijing time, as people write
    assert re.search(r"by \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} Beijing time", text), text

    async def open_link() -> tuple[int, str, dict[str, str]]:
        async with aiohttp.ClientSession() as http, http.get(links[0]) as r:
            return r.status, await r.text(), dict(r.headers)

    status, page, headers = asyncio.run(open_link())
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    # the driver app, which reads the code from the link itself: it is never written into the page
    assert '<script type="module" src="/app/app.js"></script>' in page and code not in page
    assert headers["Referrer-Policy"] == "no-referrer"


def test_a_restart_keeps_what_an_integrator_changed_and_says_the_sample_was_not_reloaded(running):
    hook = "http://127.0.0.1:9/integrator-picc-hook"

    async def point_picc(dsn: str, url: str | None = None) -> str:
        conn = await asyncpg.connect(dsn)
        try:
            if url:
                await conn.execute("UPDATE insurers SET webhook_url = $1 WHERE code = 'PICC'", url)
            return await conn.fetchval("SELECT webhook_url FROM insurers WHERE code = 'PICC'")
        finally:
            await conn.close()

    dsn = next(line for line in running.output if line.strip().startswith("database")).split()[1]
    assert asyncio.run(point_picc(dsn, hook)) == hook  # as an integrator would, with psql
    stop_up(running)
    again = start_up(running.home, running.port, _port())
    try:
        reference = next(line for line in again.output if line.strip().startswith("reference data"))
        assert "not reloaded" in reference and "load-reference data/sample" in reference
        dsn = next(line for line in again.output if line.strip().startswith("database")).split()[1]
        assert asyncio.run(point_picc(dsn)) == hook
    finally:
        stop_up(again)
    running.proc = again.proc  # the module fixture's stop finds it stopped

"""Report creation over HTTP (party A, JSON, no photos) vs the "pydantic + INSERT" baseline (BENCH.md)."""

from __future__ import annotations

import json

from bench.common import (
    Row,
    WrkMissing,
    baseline_server,
    bench_database,
    free_port,
    kuaichu_server,
    median_row,
    wrk,
)
from bench.drivers import login, report_body

NAME = "report_create"
PATH = "/v1/reports"
PHONE = "13900000042"
BODIES = 200


def unique_key_script(bodies: list[str], headers: dict[str, str]) -> str:
    """wrk Lua: cycle the bodies; every request gets its own Idempotency-Key (one thread, so a counter)."""
    lua = lambda s: "[==[" + s + "]==]"  # noqa: E731
    head = "".join(f"wrk.headers[ {lua(k)} ] = {lua(v)}\n" for k, v in headers.items())
    items = ",\n".join(lua(b) for b in bodies)
    return (
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n{head}'
        f"local bodies = {{\n{items}\n}}\nlocal i = 0\nlocal run = tostring(os.time())\n"
        "request = function()\n  i = i + 1\n"
        '  wrk.headers["Idempotency-Key"] = "bench-" .. run .. "-" .. i\n'
        '  return wrk.format("POST", nil, nil, bodies[(i - 1) % #bodies + 1])\nend\n'
    )


def run() -> list[Row]:
    bodies = [json.dumps(report_body(PHONE, seq), ensure_ascii=False) for seq in range(BODIES)]
    ours, ours_p99, base, base_p99 = [], [], [], []
    try:
        with bench_database() as dsn:
            port = free_port()
            with kuaichu_server(dsn, port) as url:
                script = unique_key_script(bodies, {"Authorization": f"Bearer {login(url, PHONE)}"})
                for _ in range(3):
                    rps, p99 = wrk(url + PATH, script)
                    ours.append(rps)
                    ours_p99.append(p99)
            with baseline_server("insert", port, dsn, "schemas.reports:ReportCreate") as url:
                for _ in range(3):
                    rps, p99 = wrk(url + PATH, unique_key_script(bodies, {}))
                    base.append(rps)
                    base_p99.append(p99)
    except WrkMissing as exc:
        return [
            Row("POST /v1/reports", None, None, None, "≥ 0.5× pydantic + INSERT", None, str(exc))
        ]
    unit = "req/s (wrk -t1 -c64 -d20s; rate limits lifted by KUAICHU_BENCH_DISABLE_RATE_LIMITS)"
    return [
        median_row(
            "POST /v1/reports (party A, no photos) vs pydantic + INSERT",
            ours,
            base,
            unit=unit,
            target=0.5,
        ),
        median_row(
            "p99 latency, POST /v1/reports (baseline: pydantic + INSERT)",
            ours_p99,
            base_p99,
            unit="ms",
            target=None,
            target_text="— (reported)",
            higher_is_better=False,
        ),
    ]

"""Fault assessment over HTTP (BENCH.md): `POST /v1/fault/assess` against a constant-JSON aiohttp handler."""

from __future__ import annotations

import json
import random

from bench.common import (
    Row,
    WrkMissing,
    baseline_server,
    bench_database,
    free_port,
    kuaichu_server,
    median_row,
    post_script,
    wrk,
)
from bench.fault_cases import generate_mix

NAME = "fault_http"
PATH = "/v1/fault/assess"
BODIES = 500  # distinct request bodies from the seeded mix, cycled by the Lua script


def _bodies() -> list[str]:
    mix = generate_mix(10_000, 42)
    return [json.dumps(c, ensure_ascii=False) for c in random.Random(42).sample(mix, BODIES)]


def run() -> list[Row]:
    """Median of 3 wrk runs per server, the project's and the baseline one at a time on the same port."""
    try:
        script = post_script(_bodies())
        ours, ours_p99, base, base_p99 = [], [], [], []
        with bench_database() as dsn:
            port = free_port()
            with kuaichu_server(dsn, port) as url:
                for _ in range(3):
                    rps, p99 = wrk(url + PATH, script)
                    ours.append(rps)
                    ours_p99.append(p99)
            with baseline_server("constant", port) as url:
                for _ in range(3):
                    rps, p99 = wrk(url + PATH, script)
                    base.append(rps)
                    base_p99.append(p99)
    except WrkMissing as exc:
        return [
            Row("POST /v1/fault/assess", None, None, None, "≥ 0.35× constant JSON", None, str(exc))
        ]
    unit = "req/s (server on CPU 0, wrk -t1 -c64 -d20s on CPU 1, 5 s warm-up)"
    return [
        median_row(
            "POST /v1/fault/assess vs constant-JSON aiohttp handler",
            ours,
            base,
            unit=unit,
            target=0.35,
        ),
        median_row(
            "p99 latency, POST /v1/fault/assess (baseline: constant JSON)",
            ours_p99,
            base_p99,
            unit="ms",
            target=None,
            target_text="— (reported)",
            higher_is_better=False,
        ),
    ]

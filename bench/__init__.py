"""Benchmarks under the protocol of BENCH.md: `python -m bench [--only NAME]`."""

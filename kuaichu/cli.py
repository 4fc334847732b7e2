"""The `kuaichu` command. Each subcommand is a module in kuaichu/commands with configure() and run()."""

from __future__ import annotations

import argparse
import importlib
import sys

from kuaichu.logs import configure_logging
from kuaichu.settings import Settings

# name -> module under kuaichu.commands
SUBCOMMANDS: dict[str, str] = {
    "up": "up",
    "load-reference": "load_reference",
    "serve": "serve",
    "migrate": "migrate",
    "staff": "staff",
    "worker": "worker",
    "outbox": "outbox",
    "fault": "fault",
    "claims": "claims",
    "calendar": "calendar",
    "insurer": "insurer",
    "court-sim": "court_sim",
    "tsa-sim": "tsa_sim",
    "audit": "audit",
    "evidence": "evidence",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kuaichu", description="Kuaichu (快处): minor road accidents, online."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in SUBCOMMANDS.items():
        mod = importlib.import_module(f"kuaichu.commands.{module}")
        p = sub.add_parser(name, help=(mod.__doc__ or "").strip().splitlines()[0])
        mod.configure(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"kuaichu: invalid settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return int(args._run(args, settings) or 0)


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench [--only NAME]`: run every bench module (NAME + run()) and print one markdown table."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from pathlib import Path
from types import ModuleType

from bench.common import Row, as_row

HERE = Path(__file__).resolve().parent
NOT_BENCHES = {"common", "__main__", "__init__"}
NO_FIGURES = "| — | — | — | — | no |"


def discover(only: str | None) -> list[ModuleType]:
    """Bench modules in bench/ that expose NAME and run(); with `only`, the one whose NAME (or file) is it."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in NOT_BENCHES)
    if only and only in names:
        names = [only]  # import just that one: other benches may need libraries this one does not
    found = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        is_bench = hasattr(module, "NAME") and callable(getattr(module, "run", None))
        if is_bench and (only is None or only in (module.NAME, name)):
            found.append(module)
    return found


def fmt(x: float | str | None) -> str:
    if x is None:
        return "—"
    if isinstance(x, str):  # e.g. "budget": an absolute target, no baseline measured
        return x
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def line(row: Row) -> str:
    value = f"{fmt(row.value)} {row.unit}".strip()
    if row.spread:
        value += f" [{row.spread}]"
    ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
    met = "—" if row.met is None else ("yes" if row.met else "no")
    return f"| {row.measure} | {value} | {fmt(row.baseline)} | {ratio} | {row.target} | {met} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help="run one bench by NAME (e.g. fault_engine)")
    args = parser.parse_args(argv)
    modules = discover(args.only)
    if not modules:
        print(f"no bench named {args.only!r}", file=sys.stderr)
        return 2
    lines, failed = [], False
    for module in modules:
        print(f"running {module.NAME} …", file=sys.stderr, flush=True)
        try:
            lines += [line(as_row(r)) for r in module.run()]
        except Exception as exc:  # one broken bench must not hide the others' figures
            traceback.print_exc()
            last = (str(exc).strip().splitlines() or [""])[-1][:200].replace("|", "/")
            lines.append(
                f"| {module.NAME}: not measured ({type(exc).__name__}: {last}) {NO_FIGURES}"
            )
            failed = True
    print("| measure | value | baseline | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

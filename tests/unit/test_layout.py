"""Where things live: every HTTP model in schemas/, none in a handler module, so a reader finds a route's
contract in one place and the worker can use the models without importing a handler."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path

import pydantic

import kuaichu.handlers


def test_handler_modules_define_no_models() -> None:
    defined = []
    for info in pkgutil.iter_modules(kuaichu.handlers.__path__, "kuaichu.handlers."):
        module = importlib.import_module(info.name)
        defined += [
            f"{info.name}.{name}"
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and issubclass(obj, pydantic.BaseModel)
            and obj.__module__ == info.name
        ]
    assert defined == []


def test_no_test_module_imports_another_test_module() -> None:
    """Shared steps live in helper modules (tests/api/flows.py, court_setup.py, …), so running or changing one
    test file never runs or breaks another's tests."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found += [
                f"{path.relative_to(root)}: {n}"
                for n in names
                if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")
            ]
    assert found == []


def test_every_pure_module_and_the_kernel_and_schemas_are_type_checked() -> None:
    """A module added to a "no I/O" import contract is added to mypy's files in the same change."""
    config = tomllib.loads(
        (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    )
    checked = set(config["tool"]["mypy"]["files"])
    pure = {
        m
        for c in config["tool"]["importlinter"]["contracts"]
        if "asyncpg" in c.get("forbidden_modules", ())
        for m in c["source_modules"]
    }
    assert pure, "the pure contracts are found by their forbidding asyncpg"
    missing = sorted(
        m
        for m in pure | {"kernel", "schemas"}
        if m.replace(".", "/") + ".py" not in checked and m.replace(".", "/") not in checked
    )
    assert missing == []

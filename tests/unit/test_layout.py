"""Where things live: every HTTP model in schemas/, none in a handler module, so a reader finds a route's
contract in one place and the worker can use the models without importing a handler."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pydantic

import kuaichu.handlers


def test_handler_modules_define_no_models() -> None:
    defined = []
    for info in pkgutil.iter_modules(kuaichu.handlers.__path__, "kuaichu.handlers."):
        module = importlib.import_module(info.name)
        defined += [f"{info.name}.{name}" for name, obj in vars(module).items()
                    if inspect.isclass(obj) and issubclass(obj, pydantic.BaseModel) and obj.__module__ == info.name]
    assert defined == []

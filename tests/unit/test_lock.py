"""requirements.lock pins, with hashes, every package pyproject.toml asks for, at a version its floor allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]


def _pinned() -> dict[str, tuple[str, bool]]:
    text = (ROOT / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9._-]+)==([^\s\\\\]+)", block)
        if m:
            pins[canonicalize_name(m.group(1))] = (m.group(2), "--hash=sha256:" in block)
    return pins


def test_every_dependency_and_the_build_backend_is_pinned_with_hashes_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    pins = _pinned()
    for spec in wanted:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        version, hashed = pins[name]
        assert hashed, f"{req.name} has no hash in requirements.lock"
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {req.name}=={version}, outside {req.specifier}: run `make lock`"
        )

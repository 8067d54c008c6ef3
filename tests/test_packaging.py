"""pyproject.toml declares ranges; constraints.txt pins one exact version inside each range, and make uses it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent


def _requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(r) for r in extra]
    return found


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_dependencies_are_ranges_not_pins() -> None:
    for req in _requirements():
        operators = {spec.operator for spec in req.specifier}
        assert "==" not in operators, f"{req}: pin exact versions in constraints.txt, not pyproject.toml"
        assert {">=", "<"} <= operators, f"{req}: give a lower and an upper bound"


def test_every_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is missing from constraints.txt: run `make lock`"
        assert req.specifier.contains(pins[name]), f"constraints.txt pins {name}=={pins[name]}, outside {req}"
    assert "sharedhash" not in pins


def test_make_installs_with_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text()
    installs = [ln for ln in makefile.splitlines() if re.search(r"\$\(PIP_INSTALL\)|-m pip install", ln)]
    assert installs
    for line in installs:
        if "--upgrade pip" in line or "--dry-run" in line or line.startswith("PIP_INSTALL ="):
            continue
        assert "$(PIP_INSTALL)" in line, line
    assert "-c $(CONSTRAINTS)" in makefile
    assert re.search(r"^lock:", makefile, re.MULTILINE)

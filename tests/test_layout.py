"""The test suite's own layout: helpers live in ``tests/support``; no test module (nor conftest) imports another
test module, so a helper has one home and moving a test never breaks another."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names = [f"<relative>.{node.module or ''}"]
        found += [n for n in names if n == "tests" or n.startswith(("tests.", "<relative>"))]
    return found


def test_test_modules_import_only_the_support_package() -> None:
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS)
        if relative.parts[0] == "support":
            continue
        bad = [m for m in _imported_test_modules(path) if not (m == "tests.support" or m.startswith("tests.support."))]
        if bad:
            offenders[str(relative)] = bad
    assert offenders == {}, "import helpers from tests.support, not from other test modules"


def test_support_modules_import_no_test_module() -> None:
    offenders = {}
    for path in sorted((TESTS / "support").rglob("*.py")):
        bad = [m for m in _imported_test_modules(path) if not m.startswith("tests.support")]
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_the_check_sees_a_cross_import(tmp_path: Path) -> None:
    """The checker itself: an import of another test module is reported, one of the support package is not."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("from tests.server.test_lookup import x\nimport tests.support.api\nfrom . import y\n")
    assert _imported_test_modules(probe) == ["tests.server.test_lookup", "tests.support.api", "<relative>."]

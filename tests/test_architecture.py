"""The rules of docs/architecture.md, held by tests: the import contracts (.importlinter), SQL only in store/,
no hash-type names in store/ or server/ (hash types declare their traits), and routes that only parse, call a
service and shape the answer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from sharedhash.hashing import hash_type_names

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "sharedhash"

#: Query constructs and session calls that only the repository layer (store/) may use.
SQL_NAMES = frozenset(
    {"select", "insert", "update", "delete", "text", "func", "and_", "or_", "event", "inspect", "Table", "bindparam"}
)
SQL_CALLS = frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "add_all"})
#: What any layer may take from SQLAlchemy: the session type, handed to store functions.
SQL_TYPES = frozenset({"Session"})


def _modules(*parts: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.joinpath(*parts).rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8"))


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_outside_store(tree: ast.Module) -> list[str]:
    """Every use of SQL constructs or session query calls in a module (for modules outside store/)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            found += [f"imports sqlalchemy {a.name}" for a in node.names if a.name not in SQL_TYPES]
        elif isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"calls .{node.func.attr}() on line {node.lineno}")
    return found


def hash_type_literals(tree: ast.Module, names: frozenset[str]) -> list[str]:
    """String literals (docstrings aside) that are a registered hash type's name."""
    docs = _docstrings(tree)
    return [
        f"{node.value!r} on line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in names and id(node) not in docs
    ]


def test_import_contracts_hold() -> None:
    """Layers (cli > server > sync > client | store > index > hashing > deterrence), base modules and the client
    import nothing above them, and no import cycles (see .importlinter)."""
    lint = pytest.importorskip("importlinter.cli")
    assert lint.lint_imports(config_filenames=(str(ROOT / ".importlinter"),), no_cache=True, no_logo=True) == 0


@pytest.mark.parametrize("package", ["server", "sync", "client", "cli", "hashing", "index", "deterrence"])
def test_sql_lives_only_in_store(package: str) -> None:
    offenders = {name: found for name, tree in _modules(package) if (found := sql_outside_store(tree))}
    assert offenders == {}, "move queries into store/<domain>.py"


@pytest.mark.parametrize("package", ["server", "store"])
def test_no_hash_type_names_in_store_or_server(package: str) -> None:
    """A new hash type is one file plus a registration line: store/ and server/ use the types' traits."""
    names = frozenset(hash_type_names())
    # Migrations are exempt: each is a snapshot of the schema as it was made, so a condition naming the types of
    # its day is frozen there (0017), not derived from today's registry.
    offenders = {
        name: found
        for name, tree in _modules(package)
        if not name.startswith("store/migrations/") and (found := hash_type_literals(tree, names))
    }
    assert offenders == {}, "use the hash type's traits (hex_chars, quality_gated, max_distance, dihedral...)"


def test_routes_leave_transactions_audit_and_indexes_to_services() -> None:
    """Endpoints parse, call a service and shape the answer: no sessions, audit records or index refreshes."""
    service_work = {"writing", "reading", "write_sessions", "read_sessions", "record", "refresh_after_write"}
    offenders = {}
    for name, tree in _modules("server"):
        if not name.endswith(("routes.py", "fast.py")):
            continue
        found = [
            f".{node.attr} on line {node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in service_work
        ]
        found += [
            f"imports {node.module}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sharedhash.store")
            and node.module not in ("sharedhash.store.models", "sharedhash.store.visibility")
        ]
        if found:
            offenders[name] = found
    assert offenders == {}


def test_the_checks_see_what_they_forbid() -> None:
    """The checkers themselves, on a module that breaks every rule."""
    tree = ast.parse(
        '"""pdq"""\nfrom sqlalchemy import select\nfrom sqlalchemy.orm import Session\n'
        'def f(s: Session) -> None:\n    """md5"""\n    s.execute(select(1))\n    if t == "pdq":\n        pass\n'
    )
    assert sql_outside_store(tree) == ["imports sqlalchemy select", "calls .execute() on line 6"]
    assert hash_type_literals(tree, frozenset({"pdq", "md5"})) == ["'pdq' on line 7"]

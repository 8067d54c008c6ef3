"""The root command starts fast: it imports no heavy module, and each command imports only its own module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharedhash.cli.app import COMMANDS, app, load_command
from sharedhash.hashing.samples import make_sample

# Modules the root command must never import: each costs 10-150 ms, or drags in the server.
HEAVY = (
    "numpy",
    "PIL",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "alembic",
    "psycopg",
    "ahocorasick",
    "sharedhash.hashing",
    "sharedhash.index",
    "sharedhash.deterrence",
    "sharedhash.client",
    "sharedhash.server",
    "sharedhash.store",
    "sharedhash.settings",
)

_PROBE = """
import json, sys
from sharedhash.cli.app import main
sys.argv = ["sharedhash", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _imported(*args: str) -> set[str]:
    """Modules a fresh interpreter has imported after running ``sharedhash *args``."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in modules for h in HEAVY if h not in allowed and (m == h or m.startswith(h + ".")) and m)


@pytest.mark.parametrize("args", [("--version",), ("--help",), ()])
def test_root_command_imports_no_heavy_module(args: tuple[str, ...]) -> None:
    modules = _imported(*args)
    assert _heavy(modules) == []
    # No command module is imported to answer the root: help comes from the command table.
    assert not any(m.endswith("_cmd") for m in modules)
    if args == ("--version",):
        assert "rich" not in modules  # the version needs no help formatting


def test_hash_imports_the_hashing_engine_but_not_the_hub() -> None:
    modules = _imported("hash", "--help")
    assert "sharedhash.cli.hash_cmd" in modules
    assert [m for m in modules if m.startswith("sharedhash.cli.") and m.endswith("_cmd")] == ["sharedhash.cli.hash_cmd"]
    # pydantic is typer's (it coerces parameters with it); the settings class and the hub stay out.
    assert _heavy(modules, allowed=("numpy", "PIL", "pydantic", "sharedhash.hashing")) == []


@pytest.mark.parametrize("name", ["org", "key", "list", "entry", "lookup", "sync", "serve"])
def test_hub_commands_import_the_client_and_server_only_when_they_run(name: str) -> None:
    modules = _imported(name, "--help")
    assert f"sharedhash.cli.{'server' if name == 'serve' else name}_cmd" in modules
    # pydantic is typer's; rich formats the help. The client, the settings class and the server wait for a run.
    assert _heavy(modules, allowed=("pydantic",)) == []


def test_hashing_one_file_imports_only_what_it_uses(tmp_path: Path) -> None:
    path = tmp_path / "one.jpg"
    make_sample("shapes", 64, 48).save(path, quality=90)
    modules = _imported("hash", "--json", str(path))
    assert {"sharedhash.hashing.media", "numpy", "PIL.JpegImagePlugin"} <= modules
    # No settings class (its defaults come from quick_settings), no progress bar for one file, no rarely used
    # image parsers (Image.init() would load all ~45), no hub client.
    unused = {"pydantic_settings", "sharedhash.settings", "rich.progress", "PIL.PdfImagePlugin", "PIL.SgiImagePlugin"}
    assert not modules & unused
    assert _heavy(modules, allowed=("numpy", "PIL", "pydantic", "sharedhash.hashing")) == []


def test_help_lists_every_command_with_its_own_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    listed = {ln.strip("│ ").split(" ")[0]: ln for ln in result.output.splitlines() if ln.startswith("│ ")}
    for name, (_, short_help) in COMMANDS.items():
        assert name in listed, name
        assert short_help[:30] in listed[name]
        # The table's help is the command's own (its docstring's first sentence), so the two cannot drift.
        assert load_command(name).get_short_help_str(limit=1000) == short_help


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_loads_and_has_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"sharedhash {name}" in result.output


def test_unknown_command_suggests_a_close_one() -> None:
    result = CliRunner().invoke(app, ["hsah"])
    assert result.exit_code == 2
    assert "No such command 'hsah'" in result.output
    assert "'hash'" in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("sharedhash ")


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("3", "3")])
def test_the_cli_starts_numpy_with_one_blas_thread_unless_told(given: str | None, expected: str) -> None:
    probe = "import os, sys\nfrom sharedhash.cli.app import main\nsys.argv = ['sharedhash', '--version']\n"
    probe += "try:\n    main()\nexcept SystemExit:\n    pass\nprint(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == expected

"""``sharedhash demo``: hash benign sample images the package generates, to show a working install."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.table import Table

from sharedhash.cli.output import console, emit_json, handle_errors
from sharedhash.hashing import ContentKind, get_hash_type, hash_type_names
from sharedhash.hashing.samples import write_samples


def demo(as_json: bool = typer.Option(False, "--json", help="One JSON line per image.")) -> None:
    """Generate a few benign sample images and print their hashes."""
    with handle_errors(as_json=as_json), tempfile.TemporaryDirectory(prefix="sharedhash-demo-") as tmp:
        types = [get_hash_type(n) for n in hash_type_names()]
        types = [t for t in types if ContentKind.IMAGE in t.content]
        table = Table(title="sharedhash demo: hashes of generated sample images")
        table.add_column("image")
        for t in types:
            table.add_column(t.name)
        for path in write_samples(Path(tmp)):
            hashes = {t.name: t.hash_path(path) for t in types}
            if as_json:
                emit_json({"path": path.name, "hashes": hashes})
            else:
                # Shown shortened, as everywhere in sharedhash's human output.
                table.add_row(path.name, *(hashes[t.name][:16] + "…" for t in types))
        if not as_json:
            console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root command."""
    app.command("demo")(demo)

"""The ``sharedhash`` command line: typer commands, each with ``--json``."""

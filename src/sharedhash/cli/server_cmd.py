"""``sharedhash serve``: run the hub (the HTTP API) with uvicorn."""

from __future__ import annotations

import sys

import typer

from sharedhash.cli.output import handle_errors


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    access_log: bool = typer.Option(
        False,
        "--access-log/--no-access-log",
        help="Log one line per request, with the client address (deterrence requests are logged without it).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Errors as JSON."),
) -> None:
    """Serve the hub API (docs at /docs, schema at /openapi.json); migrations run at start."""
    with handle_errors(as_json=as_json):
        from sharedhash._optional import require

        uvicorn = require("uvicorn", "server", "the hub server")
        from sharedhash.server.app import create_app

        # One process: the indexes live in its memory (several workers would each hold and update their own).
        # No access log by default: it records client addresses (personal data an operator should opt in to;
        # deterrence requests never carry one, see server/deterrence.py) and costs CPU on the lookup path.
        # uvicorn picks httptools and uvloop when installed (the server extra pins them).
        # Slow clients: headers within header_timeout_seconds (a protocol with that timer), bodies without pauses
        # over body_idle_timeout_seconds (the app's middleware), idle keep-alive connections closed after 5 s.
        from sharedhash.server.security import slow_client_protocol
        from sharedhash.settings import get_settings

        protocol = slow_client_protocol(get_settings().header_timeout_seconds)
        # The event loop's thread waits at most 1 ms (not Python's 5 ms) for the GIL when a worker thread parses
        # a large body: measured with bench/abuse.py, /healthz p50 under hostile bodies 17 -> 7 ms.
        sys.setswitchinterval(0.001)
        from sharedhash.server.bodies import warm_up

        app = create_app()
        warm_up(app)  # route state and the body-checking process built now, not on the first requests
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            http=protocol or "auto",
            timeout_keep_alive=5,
        )


def register(app: typer.Typer) -> None:
    """Add ``serve``."""
    app.command("serve")(serve)

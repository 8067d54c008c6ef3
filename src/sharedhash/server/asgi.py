"""What the app and its ASGI fast paths (lookups, deterrence checks) share: the standard error response, reading a
whole request body, and handing it on to the app unchanged when the fast path leaves a request to the normal route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharedhash.errors import SharedhashError


async def read_body(scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """The whole request body, or None if there is nothing more to do: the client went away, or the body was over
    the limit (then the error response has been sent)."""
    chunks: list[bytes] = []
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return await join_chunks(chunks)
    except SharedhashError as exc:  # the body limit
        await error_response(exc)(scope, receive, send)
        return None


#: Bodies of more pieces than this and over :data:`JOIN_OFF_LOOP_BYTES` are joined in a worker thread.
JOIN_OFF_LOOP_BYTES = 1024 * 1024


async def join_chunks(chunks: list[bytes]) -> bytes:
    """``b"".join(chunks)``; for a large body in a worker thread. Joining 16 MB into fresh memory took the loop
    40 ms and more (page faults; measured up to hundreds of ms on the loaded machine), and ``bytes.join`` lets
    the GIL go while it copies, so in a thread the loop keeps running."""
    if len(chunks) > 1 and sum(len(c) for c in chunks) > JOIN_OFF_LOOP_BYTES:
        return await run_in_threadpool(b"".join, chunks)
    return b"".join(chunks)


def error_response(exc: SharedhashError) -> JSONResponse:
    """The standard error body with the error's HTTP status (every error answer of the app and its fast paths)."""
    headers = {"Retry-After": "2"} if exc.http_status in (429, 503) else None
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``body`` (already read) first, then whatever comes next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def answer_or_forward(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, answer: Callable[[bytes], Awaitable[Response | None]]
) -> None:
    """Read the whole body and send ``answer(body)``; if that is None, hand the request (body and all) to ``app``."""
    body = await read_body(scope, receive, send)
    if body is None:
        return  # the client went away, or the body was over the limit (answered)
    response = await answer(body)
    if response is not None:
        await response(scope, receive, send)
        return
    await app(scope, replaying(body, receive), send)

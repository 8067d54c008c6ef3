"""Large JSON bodies are parsed and validated off the event loop (issue 18 F4).

FastAPI parses a JSON body (``json.loads``) and validates it against the route's model on the event loop: a 16 MB
body froze every request for ~0.4 s, and a 10 MB lookup of 170,000 hashes (over the limit) for 2.5-3.9 s, most of
it in validating items the limit then refuses. :func:`parse_off_loop` makes every API route read a body over
:data:`LARGE_BODY_BYTES` this way instead: the body is parsed in a worker thread and, when the route takes one
pydantic model as its body, validated there too; the route then gets the model instance, which FastAPI accepts as
it is (pydantic does not revalidate an instance of the model). Small bodies take FastAPI's own path unchanged.

A worker thread alone is not enough: C code holds the GIL for as long as it runs, and ``json.loads`` (C) spends
~0.25 s on 16 MB without letting the loop's thread in. So a body over :data:`C_PARSE_BYTES` is parsed by the
standard library's pure-Python scanner (strings still scanned in C), which gives the GIL up every switch interval
(5 ms): slower for that body, but the loop keeps answering. Valid bodies are far smaller (10,000 PDQ hashes are
~0.9 MB); the large ones are nearly always the hostile ones.

Even that left the loop late by up to a second under a flood of 10-16 MB bodies (issue 18, measured with a
watchdog that sampled the loop thread's stack whenever it was late): the loop's thread waited for the GIL while a
worker held it in C for a long stretch (pydantic validating 170,000 items in one call, freeing them, collecting
them). So a body over :data:`CHILD_PARSE_BYTES` is first parsed and validated in a **separate process**
(:func:`check_in_child`, one worker): what comes back is a few bytes, the verdict (or the first problems of an
invalid body), never the body's objects. Only a body the child found valid is then parsed again here, as above, to
hand the route its model; hostile bodies (invalid, or, for lookups, over the limit: ``server/lookup/fast.py``)
never make a large object graph in the server's process.

Errors are the ones FastAPI gives: invalid JSON is 422 ``invalid_request`` (``json_invalid``), a body nested
deeper than the parser goes is 400, a model violation 422 with the same list of problems. One difference, on
purpose: a large body that does not match the model is refused before the route's dependencies run (e.g. before
its API key is checked), since validating it is the expensive part; the schema is public (``/openapi.json``), so
this tells a caller without a key nothing it could not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import json.scanner
import logging
import multiprocessing
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sharedhash.server.asgi import join_chunks
from sharedhash.store.gc import paused_gc

#: Bodies up to this size are parsed on the loop (at most a few milliseconds of work); larger ones in a thread.
LARGE_BODY_BYTES = 64 * 1024
#: Bodies up to this size are parsed by the C parser (holding the GIL ~20 ms at most); larger ones in Python.
C_PARSE_BYTES = 1024 * 1024
#: Bodies over this size are checked in a separate process first (:func:`check_in_child`).
CHILD_PARSE_BYTES = C_PARSE_BYTES
#: How many of an invalid body's problems come back from the child (the error answer names the first 20).
CHILD_PROBLEMS = 50

log = logging.getLogger(__name__)


def _python_decoder() -> json.JSONDecoder:
    decoder = json.JSONDecoder()
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


_PYTHON_DECODER = _python_decoder()


def parse_json(body: bytes) -> Any:
    """``json.loads(body)``, with the same values and errors; over :data:`C_PARSE_BYTES` by the pure-Python
    scanner, so that a thread parsing it lets the event loop's thread run every few milliseconds."""
    if len(body) <= C_PARSE_BYTES:
        return json.loads(body)
    return _PYTHON_DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))


#: How often the child looks whether the server that started it is still there.
PARENT_WATCH_SECONDS = 1.0

_pool_lock = threading.Lock()
_pools: dict[str, ProcessPoolExecutor] = {}


def _child_ready(parent: int) -> None:
    """The child's start: a lower CPU priority (on two cores the child's parse of a hostile body competed with the
    loop's thread of the server for a core), and every route's models imported now rather than on the first large
    body (by name: the routers import this module)."""
    with contextlib.suppress(OSError):
        os.nice(10)
    threading.Thread(target=_end_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    importlib.import_module("sharedhash.server.routers")


def _end_with_parent(parent: int) -> None:
    """End the child when the server ``parent`` is gone without stopping it (``kill -9``, out of memory, even
    before the child got here): it would otherwise live on as an orphan holding its memory (the app's shutdown
    stops it in every other case)."""
    while os.getppid() == parent:
        time.sleep(PARENT_WATCH_SECONDS)
    os._exit(0)


def child_pool(name: str = "bodies") -> ProcessPoolExecutor:
    """The one-worker process pool ``name`` (started on first use, with ``spawn``: a fork of a threaded server
    could inherit a held lock); ``bodies`` checks large request bodies."""
    with _pool_lock:
        pool = _pools.get(name)
        if pool is None:
            context = multiprocessing.get_context("spawn")
            pool = _pools[name] = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_child_ready, initargs=(os.getpid(),)
            )
        return pool


def drop_pool(broken: ProcessPoolExecutor) -> None:
    """Forget a pool whose process died (the next use starts another)."""
    with _pool_lock:
        for name, pool in list(_pools.items()):
            if pool is broken:
                del _pools[name]
    broken.shutdown(wait=False, cancel_futures=True)


def stop_pools() -> None:
    """Shut every child process down and wait for it (the app's shutdown): uvicorn ends its process by raising
    the signal that stopped it again, so interpreter exit hooks (which would stop the pools) never run, and the
    children outlived ``sharedhash serve``. A later use starts a new pool."""
    with _pool_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True)  # work already submitted finishes; a later submission starts a new pool


def warm_up(app: FastAPI) -> None:
    """Before serving: build what FastAPI otherwise builds on the first request to each router (its routes'
    fields and handlers, measured 0.3-0.4 s of the loop on the first hostile request) and start the child
    process, so that neither happens while requests wait. ``sharedhash serve`` calls it."""
    for _ in iter_route_contexts(app.router.routes):
        pass
    child_pool().submit(check_body, b"{}", None)  # the process starts and imports the models meanwhile


async def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in the child process (a module-level function whose arguments and result pickle).

    The submission (which may start the process) runs in a worker thread, the wait on the loop. If the child
    cannot be used (it died, or the arguments do not pickle), the call runs in a worker thread instead: slower
    for the loop, never a different answer."""
    try:
        pool = await run_in_threadpool(child_pool)
        future: Future[Any] = await run_in_threadpool(pool.submit, function, *args)
        return await asyncio.wrap_future(future)
    except BrokenProcessPool:
        log.warning("the body-parsing process died; starting another")
        drop_pool(pool)
    except Exception as exc:  # shut down, or something did not pickle: the thread gives the same answer
        log.warning("body check in a thread instead of the child process: %s", type(exc).__name__)
    return await run_in_threadpool(function, *args)


def check_body(body: bytes, model: type[BaseModel] | None, limit: tuple[str, int] | None = None) -> tuple[str, Any]:
    """In the child process: parse ``body`` (C parser: the child has no loop to keep answering) and validate it
    against ``model``; with ``limit`` (a list field's name and its most items, :func:`count_limit`), count it.
    Returns ``("ok", None)``, ``("too_many", count)``, or the error in a compact form that
    :func:`_error_of_verdict` turns back into the exception the thread path raises."""
    with paused_gc():
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            return "json_invalid", (exc.pos, exc.msg)
        except (RecursionError, ValueError):
            return "unparsable", None
        if model is None:
            return "ok", None
        try:
            instance = model.model_validate(value)
        except ValidationError as exc:
            problems = exc.errors(include_url=False, include_input=False)[:CHILD_PROBLEMS]
            return "invalid", [{**e, "loc": ("body", *e["loc"])} for e in problems]
        except RecursionError:
            return "unparsable", None
        if limit is not None:
            count = len(getattr(instance, limit[0]))
            if count > limit[1]:
                return "too_many", count
        return "ok", None


_CountLimit = tuple[str, Callable[[Request], int], Callable[[int, int], Exception]]
#: Models whose list field has a configured most items: (field, the limit for a request, the error for a count).
_COUNT_LIMITS: dict[type[BaseModel], _CountLimit] = {}


def count_limit(
    model: type[BaseModel], field: str, limit: Callable[[Request], int], error: Callable[[int, int], Exception]
) -> None:
    """Declare that the route taking ``model`` refuses a body whose ``field`` holds more than ``limit(request)``
    items with ``error(count, limit)``. A large body over it is then refused as soon as the child process has
    validated and counted it, before the route's dependencies run (as for an invalid large body): the server's
    process never makes its objects. (An over-limit lookup of 170,000 hashes from a key whose last use was not
    fresh held the GIL ~0.4 s validating them in this process.)"""
    _COUNT_LIMITS[model] = (field, limit, error)


def _error_of_verdict(kind: str, detail: Any) -> Exception | None:
    if kind == "json_invalid":
        position, message = detail
        error = {"type": "json_invalid", "loc": ("body", position), "msg": "JSON decode error", "input": {}}
        return RequestValidationError([{**error, "ctx": {"error": message}}])
    if kind == "unparsable":
        return HTTPException(status_code=400, detail="There was an error parsing the body")
    if kind == "invalid":
        return RequestValidationError(detail)
    return None


def _spool(body: bytes) -> str:
    """Write ``body`` to a new file in memory (``/dev/shm`` where there is one) and return its path. In a worker
    thread: ``os.write`` lets the GIL go while it copies, where pickling 16 MB for the pool held it for tens of
    milliseconds (the loop's thread waited on it)."""
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    fd, path = tempfile.mkstemp(prefix="sharedhash-body-", dir=folder)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return path


def _on_file(function: Callable[..., Any], path: str, *args: Any) -> Any:
    """In the child: ``function(body, *args)`` with the body read from ``path``."""
    with open(path, "rb") as file:
        body = file.read()
    return function(body, *args)


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


async def body_in_child(function: Callable[..., Any], body: bytes, *args: Any) -> Any:
    """``function(body, *args)`` in the child process, the body handed over in a file rather than pickled."""
    path = await run_in_threadpool(_spool, body)
    try:
        return await in_child(_on_file, function, path, *args)
    finally:
        _unlink(path)


async def check_in_child(request: Request, body: bytes, model: type[BaseModel] | None) -> Exception | None:
    """The error a large body gets (None if it is valid), found in the child process."""
    declared = _COUNT_LIMITS.get(model) if model is not None else None
    limit = None if declared is None else (declared[0], declared[1](request))
    kind, detail = await body_in_child(check_body, body, model, limit)
    if kind == "too_many" and declared is not None and limit is not None:
        return declared[2](detail, limit[1])
    return _error_of_verdict(kind, detail)


_Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class _Parsed:
    """What the worker thread made of a body: the JSON value (or the validated model), or the error to raise."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self.value = value
        self.error = error


def _parse(body: bytes, model: type[BaseModel] | None) -> _Parsed:
    # With the collector paused: a large body makes hundreds of thousands of objects, whose allocations would
    # start full collections of the whole heap, each holding the GIL (the loop's thread too) for up to a second.
    with paused_gc():
        return _parse_and_validate(body, model)


def _parse_and_validate(body: bytes, model: type[BaseModel] | None) -> _Parsed:
    try:
        value = parse_json(body)
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
        return _Parsed(error=RequestValidationError([{**error, "ctx": {"error": exc.msg}}]))
    except (RecursionError, ValueError):  # nested deeper than the parser goes; not UTF-8
        return _Parsed(error=HTTPException(status_code=400, detail="There was an error parsing the body"))
    if model is None:
        return _Parsed(value)
    try:
        return _Parsed(model.model_validate(value))
    except ValidationError as exc:
        problems = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_input=False)]
        return _Parsed(error=RequestValidationError(problems))
    except RecursionError:
        return _Parsed(error=HTTPException(status_code=400, detail="There was an error parsing the body"))


#: One semaphore per event loop (each test app runs its own loop; a semaphore belongs to the loop it first ran on).
_LARGE_BODIES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _one_at_a_time() -> asyncio.Semaphore:
    """Large bodies are parsed one at a time: each parse competes with the loop's thread for the GIL, and
    several at once (a flood of hostile bodies) would leave the loop a smaller share of it each."""
    loop = asyncio.get_running_loop()
    semaphore = _LARGE_BODIES.get(loop)
    if semaphore is None:
        semaphore = _LARGE_BODIES[loop] = asyncio.Semaphore(1)
    return semaphore


class _ParsedRequest(Request):
    """A request whose JSON body was parsed (and validated) already: FastAPI reads ``json()`` from here."""

    def __init__(self, request: Request, body: bytes, value: Any) -> None:
        super().__init__(request.scope, request.receive)
        self._body = body
        self._json = value


class OffLoopRoute(APIRoute):
    """An API route that parses (and validates) bodies over :data:`LARGE_BODY_BYTES` in a worker thread."""

    def get_route_handler(self) -> _Handler:
        handler = super().get_route_handler()
        model = _single_body_model(self)
        if self.body_field is None:
            return handler

        async def off_loop(request: Request) -> Response:
            if not _is_json(request):
                return await handler(request)
            body = await _read_body(request)
            if len(body) <= LARGE_BODY_BYTES:
                return await handler(request)
            async with _one_at_a_time():  # the others wait on the loop, where waiting costs no GIL
                if len(body) > CHILD_PARSE_BYTES:
                    error = await check_in_child(request, body, model)
                    if error is not None:
                        raise error
                parsed = await run_in_threadpool(_parse, body, model)
            if parsed.error is not None:
                raise parsed.error
            return await handler(_ParsedRequest(request, body, parsed.value))

        return off_loop


async def _read_body(request: Request) -> bytes:
    """``await request.body()``, with a large body joined in a worker thread (server/asgi.py)."""
    body = getattr(request, "_body", None)  # read already (starlette keeps it there)
    if isinstance(body, bytes):
        return body
    chunks = [chunk async for chunk in request.stream()]
    request._body = await join_chunks(chunks)  # what ``request.body()`` gives from now on
    return request._body


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _single_body_model(route: APIRoute) -> type[BaseModel] | None:
    """The route's body model when its body is exactly one pydantic model (not embedded), else None."""
    if route.body_field is None or len(route.dependant.body_params) != 1:
        return None
    annotation = route.body_field.field_info.annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def parse_off_loop(router: APIRouter) -> None:
    """Make every API route of ``router`` an :class:`OffLoopRoute` (before the app includes the router).

    The routes are declared in their domains with FastAPI's own class; their class is switched here, once, so
    that the domains stay plain FastAPI and every route, present and future, gets the same treatment."""
    for route in router.routes:
        if type(route) is APIRoute:
            route.__class__ = OffLoopRoute

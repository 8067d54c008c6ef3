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

Errors are the ones FastAPI gives: invalid JSON is 422 ``invalid_request`` (``json_invalid``), a body nested
deeper than the parser goes is 400, a model violation 422 with the same list of problems. One difference, on
purpose: a large body that does not match the model is refused before the route's dependencies run (e.g. before
its API key is checked), since validating it is the expensive part; the schema is public (``/openapi.json``), so
this tells a caller without a key nothing it could not read.
"""

from __future__ import annotations

import asyncio
import json
import json.scanner
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from sharedhash.store.gc import paused_gc

#: Bodies up to this size are parsed on the loop (at most a few milliseconds of work); larger ones in a thread.
LARGE_BODY_BYTES = 64 * 1024
#: Bodies up to this size are parsed by the C parser (holding the GIL ~20 ms at most); larger ones in Python.
C_PARSE_BYTES = 1024 * 1024


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
            body = await request.body()
            if len(body) <= LARGE_BODY_BYTES:
                return await handler(request)
            async with _one_at_a_time():  # the others wait on the loop, where waiting costs no GIL
                parsed = await run_in_threadpool(_parse, body, model)
            if parsed.error is not None:
                raise parsed.error
            return await handler(_ParsedRequest(request, body, parsed.value))

        return off_loop


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

"""The fast path of batched hash-only checks: an ASGI middleware in front of ``POST /v1/content/batch`` (see
:class:`FastContentBatch`); its equivalence with the route is tested in ``tests/server/test_act_batchfast.py``."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from sharedhash import limits
from sharedhash.hashing import hash_type_names
from sharedhash.server.act import service
from sharedhash.server.fastpath import FastJsonPost
from sharedhash.server.schemas import ANY_HASH_VALUE_MAX, AwareTime
from sharedhash.server.state import HubState
from sharedhash.store.visibility import Caller

PATH = "/v1/content/batch"
#: Bodies up to this size are taken by the fast path (parsed by orjson in a worker thread: ~10 ms of GIL at most);
#: larger ones go to the route, which checks them in the child process first (server/bodies.py). A valid batch of
#: 10,000 one-hash items with short ids is ~1.3 MB.
FAST_BATCH_BYTES = 4 * 1024 * 1024

_CONTENT_TYPES = frozenset({"image", "video", "other"})
_ITEM_FIELDS = frozenset({"content_id", "content_type", "uploader_id", "uploaded_at", "url", "labels", "hashes"})
_TIME = TypeAdapter(AwareTime)

#: An item as the service takes it: its metadata and ``(hash type, value)`` pairs.
Item = tuple[service.ContentMeta, list[tuple[str, str]]]


class FastContentBatch(FastJsonPost):
    """ASGI middleware: answers a well-formed, authorised ``POST /v1/content/batch`` without FastAPI's routing,
    its body parsing (a batch over 1 MB was parsed twice: in the child process, then by the pure-Python scanner)
    and a pydantic model per item; the answer is serialised by orjson without a model per check.

    It takes only requests it is sure of: a JSON body of at most :data:`FAST_BATCH_BYTES` that the route's own
    model accepts unchanged (:func:`plain_batch_body`), and a cached, valid key with the read scope whose last-used
    time is fresh. Anything else goes to the app unchanged (with its body), so every refusal of the body comes from
    the route; the service's own errors (a bad hash, over 10,000 hashes: 413) are the route's too, since both call
    the same service with the same items.
    """

    path = PATH

    async def answer(self, scope: Scope, body: bytes) -> Response | None:
        if len(body) > FAST_BATCH_BYTES:
            return None
        caller = self.json_caller(scope)
        if caller is None:
            return None
        content = await run_in_threadpool(check_batch_json, self.state, caller, body)
        return None if content is None else Response(content, media_type="application/json")


#: Bodies over this size are parsed, checked and answered with the garbage collector paused.
QUIET_GC_BYTES = 64 * 1024


def check_batch_json(state: HubState, caller: Caller, body: bytes) -> bytes | None:
    """The answer of a batch body in its plain form (JSON), or None for anything else (the route answers it).

    A large batch runs with the collector paused from the parse until its objects are freed: resumed earlier (at
    the service's end), the first collection walked the batch's still-living answers, and each later one the
    objects of the next step (measured: a fifth of the service's time on a 10,000-item batch)."""
    with service.gc_paused_if(len(body) > QUIET_GC_BYTES):
        items = plain_batch_body(body)
        if items is None:
            return None
        answers = service.check_hashes(state, caller, items)
        del items
        content = batch_answer_json(answers)
        del answers  # freed here, while the collector is still paused
        return content


def plain_batch_body(body: bytes) -> list[Item] | None:
    """The items of a batch body that ``ContentBatchIn`` accepts unchanged, or None for anything else.

    Checked by hand rather than by the model (a model per item, and per hash, took a large part of a batch's time):
    each item as :func:`plain_item`. Anything the model would refuse or coerce returns None and takes the route, so
    every error of the body comes from there."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or len(data) != 1:
        return None
    raw = data.get("items")
    if type(raw) is not list or not raw:
        return None
    known = _known_types()
    out: list[Item] = []
    for item in raw:
        plain = plain_item(item, known)
        if plain is None:
            return None
        out.append(plain)
    return out


def plain_item(item: Any, known: frozenset[str] | None = None) -> Item | None:
    """One check (an item of a batch, or a single check's body: ``ContentHashesIn``) as the service takes it, if
    the model accepts it unchanged; None for anything else.

    The model's fields, types, lengths and text rule (:func:`sharedhash.limits.text_problem`, whose ASCII case,
    the usual one, is written out here: no NUL); times go through the model's own time type."""
    if type(item) is not dict or not _ITEM_FIELDS.issuperset(item):
        return None
    get = item.get
    content_id = get("content_id")
    if (
        type(content_id) is not str
        or not 1 <= len(content_id) <= 500
        or not ((content_id.isascii() and "\x00" not in content_id) or _text_problem(content_id) is None)
    ):
        return None
    content_type = get("content_type", "other")
    if type(content_type) is not str or content_type not in _CONTENT_TYPES:
        return None
    uploader_id, url = get("uploader_id"), get("url")
    if (uploader_id is not None and not _text(uploader_id, 500)) or (url is not None and not _text(url, 2000)):
        return None
    labels = get("labels", _NO_LABELS)
    if type(labels) is not list or len(labels) > limits.MAX_LABELS:
        return None
    if labels and not all(_text(label, limits.MAX_LABEL_CHARS) for label in labels):
        return None
    uploaded_at: datetime | None = None
    if get("uploaded_at") is not None:
        try:
            uploaded_at = _TIME.validate_python(item["uploaded_at"])
        except ValidationError:
            return None
    hashes = get("hashes")
    if type(hashes) is not list or not 1 <= len(hashes) <= limits.MAX_HASHES_PER_ENTRY:
        return None
    if known is None:
        known = _known_types()
    pairs: list[tuple[str, str]] = []
    for h in hashes:
        if type(h) is not dict or len(h) != 2:
            return None
        hash_type, value = h.get("hash_type"), h.get("value")
        if hash_type not in known or type(value) is not str or not 0 < len(value) <= ANY_HASH_VALUE_MAX:
            return None
        if not ((value.isascii() and "\x00" not in value) or _text_problem(value) is None):
            return None
        pairs.append((hash_type, value))
    # Positional: a call by keyword costs more.
    meta = service.ContentMeta(content_id, content_type, uploader_id, uploaded_at, url, tuple(labels))
    return meta, pairs


_NO_LABELS: list[str] = []
_text_problem = limits.text_problem


def _text(value: Any, most: int) -> bool:
    """Whether ``value`` is text of 1 to ``most`` characters the hub may store."""
    return type(value) is str and 1 <= len(value) <= most and _text_problem(value) is None


@lru_cache(maxsize=1)
def _known_types() -> frozenset[str]:
    # Registered names all fit the schema's hash-type pattern; the registry never changes in a running server.
    return frozenset(hash_type_names())


_OPTIONS = orjson.OPT_UTC_Z


def batch_answer_json(answers: list[dict[str, Any]]) -> bytes:
    """``ContentBatchOut`` of the service's answers as JSON, byte for byte what the model serialises (its fields
    in order), without a model per check and match."""
    return orjson.dumps({"checks": [a if _in_shape(a) else _check_out(a) for a in answers]}, option=_OPTIONS)


def check_answer_json(answer: dict[str, Any]) -> bytes:
    """``ContentCheckOut`` of one of the service's answers as JSON, byte for byte what the model serialises."""
    return orjson.dumps(answer if _in_shape(answer) else _check_out(answer), option=_OPTIONS)


_CHECK_FIELDS = (
    "check_id", "content_id", "content_type", "matched", "actions", "matches", "replayed", "checked_at", "hash_types",
)  # fmt: skip
_MATCH_FIELDS = (
    "match_id", "query", "hash_type", "distance", "list_id", "list_name", "entry_id", "classification", "labels",
    "feedback", "rule", "actions", "suppressed", "retroactive", "created_at", "details",
)  # fmt: skip
_FEEDBACK_FIELDS = ("confirm", "dispute")


def _in_shape(a: dict[str, Any]) -> bool:
    """Whether an answer already is what :func:`_check_out` makes of it (the models' fields, in their order, and
    nothing else; a list of matches likewise): serialised as it is, the same bytes without a copy of each dict.
    The service's answers are (tests/server/test_act_batchfast.py); anything else is copied into shape."""
    if tuple(a) != _CHECK_FIELDS or type(a["matches"]) is not list:
        return False
    for m in a["matches"]:
        if tuple(m) != _MATCH_FIELDS or tuple(m["feedback"]) != _FEEDBACK_FIELDS:
            return False
    return True


def _check_out(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "check_id": a["check_id"],
        "content_id": a["content_id"],
        "content_type": a["content_type"],
        "matched": a["matched"],
        "actions": a["actions"],
        "matches": [_match_out(m) for m in a["matches"]] if a["matches"] else [],
        "replayed": a["replayed"],
        "checked_at": a["checked_at"],
        "hash_types": a["hash_types"],
    }


def _match_out(m: dict[str, Any]) -> dict[str, Any]:
    feedback = m["feedback"]
    return {
        "match_id": m["match_id"],
        "query": m["query"],
        "hash_type": m["hash_type"],
        "distance": m["distance"],
        "list_id": m["list_id"],
        "list_name": m["list_name"],
        "entry_id": m["entry_id"],
        "classification": m["classification"],
        "labels": m["labels"],
        "feedback": {"confirm": feedback["confirm"], "dispute": feedback["dispute"]},
        "rule": m["rule"],
        "actions": m["actions"],
        "suppressed": m["suppressed"],
        "retroactive": m["retroactive"],
        "created_at": m["created_at"],
        "details": m["details"],
    }

"""``/v1/content``: check a platform's content (a file, or hashes) against every list the org may read, record the
check, run the action rules and answer with the matches and the actions decided; ``/v1/checks/{id}`` reads a
recorded check back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sharedhash.errors import InvalidInputError
from sharedhash.server.act import service
from sharedhash.server.act.schemas import (
    ContentBatchIn,
    ContentBatchOut,
    ContentCheckOut,
    ContentHashesIn,
    ContentMetaIn,
    content_meta,
)
from sharedhash.server.deps import IdPath, Reader, State
from sharedhash.server.review import quarantine

router = APIRouter(prefix="/v1/content", tags=["content checks"])
checks_router = APIRouter(prefix="/v1/checks", tags=["content checks"])

_BATCH_OUT = TypeAdapter(ContentBatchOut)

_META_FIELDS = ("content_id", "content_type", "uploader_id", "uploaded_at", "url")

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ContentHashesIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "content_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The image, video or file."},
                        "content_id": {"type": "string", "maxLength": 500},
                        "content_type": {"type": "string", "enum": ["image", "video", "other"]},
                        "uploader_id": {"type": "string", "maxLength": 500},
                        "uploaded_at": {"type": "string", "format": "date-time"},
                        "url": {"type": "string", "maxLength": 2000},
                        "labels": {"type": "array", "items": {"type": "string"}},
                        "quarantine": {
                            "type": "boolean",
                            "description": "Keep the file, encrypted, for the reviewers (the org's quarantine).",
                        },
                    },
                }
            },
        },
    }
}


def _invalid(exc: ValidationError, where: str) -> RequestValidationError:
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors:
        err["loc"] = (where, *err.get("loc", ()))
    return RequestValidationError(errors)


def _flag(value: str) -> bool:
    if value.strip().lower() in ("true", "1", "yes"):
        return True
    if value.strip().lower() in ("false", "0", "no", ""):
        return False
    raise InvalidInputError("form field quarantine: true or false")


async def _file_check(request: Request, state: Any, caller: Any) -> dict[str, Any]:
    form = await request.form(max_files=1, max_fields=100)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInputError("no file: send the content as the multipart field `file`")
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if name == "file":
                continue
            if isinstance(value, UploadFile):
                raise InvalidInputError(f"form field {name}: only `file` may be a file")
            if name == "labels":
                fields.setdefault("labels", []).append(value)
            elif name in fields:
                raise InvalidInputError(f"form field {name}: given twice")
            else:
                fields[name] = value
        keep = _flag(fields.pop("quarantine", "false"))
        try:
            meta = ContentMetaIn.model_validate(fields)
        except ValidationError as exc:
            raise _invalid(exc, "body") from None
        if keep:  # refused before the check when the org has quarantine off, the type is wrong or the file too big
            await run_in_threadpool(quarantine.ready, state, caller)
            quarantine.check_media_type(upload.content_type or "")
            quarantine.check_size(state.settings, upload.size or 0)
        answer = await run_in_threadpool(service.check_file, state, caller, content_meta(meta), upload.file)
        if keep:
            await run_in_threadpool(
                quarantine.put_file, state, caller, answer["check_id"], upload.file, upload.content_type
            )
        return answer
    finally:
        await form.close()


@router.post("", response_model=ContentCheckOut, summary="Check content (a file, or its hashes)", openapi_extra=_BODY)
async def check_content(request: Request, state: State, caller: Reader) -> ContentCheckOut:
    """Match the content against every list the org may read, record the check and its matches, run the action
    rules, and answer with the matches and the actions decided (e.g. ``["block", "review"]``).

    Send JSON (``ContentHashesIn``: hashes the platform computed) or ``multipart/form-data`` with the ``file`` and
    the metadata fields (an image is hashed in memory, a video in a temporary file deleted at once; nothing is
    kept). A retry with the same content id and hashes answers with the first check (``replayed``)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return ContentCheckOut(**await _file_check(request, state, caller))
    try:
        body = ContentHashesIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _invalid(exc, "body") from None
    items = [(content_meta(body), [(h.hash_type, h.value) for h in body.hashes])]
    (answer,) = await run_in_threadpool(service.check_hashes, state, caller, items)
    return ContentCheckOut(**answer)


@router.post("/batch", response_model=ContentBatchOut, summary="Check many pieces of content by their hashes")
def check_batch(body: ContentBatchIn, state: State, caller: Reader) -> Response:
    """One check per item, at most 10,000 hashes in all (over: 413); answers in the order of the items."""
    # The collector stays paused until the answers are freed (resumed between the service and the answer, its
    # first collection walked the batch's living answers).
    with service.quiet_gc(sum(len(item.hashes) for item in body.items)):
        items = [(content_meta(item), [(h.hash_type, h.value) for h in item.hashes]) for item in body.items]
        answers = service.check_hashes(state, caller, items)
        # Validated and serialised in one call (no model per check, no second validation by FastAPI).
        content = _BATCH_OUT.dump_json(_BATCH_OUT.validate_python({"checks": answers}))
        del items, answers
    return Response(content=content, media_type="application/json")


@checks_router.get("/{check_id}", response_model=ContentCheckOut, summary="A recorded check and its matches")
def get_check(check_id: IdPath, state: State, caller: Reader) -> ContentCheckOut:
    """One of the org's checks within retention, with every match (live and retroactive)."""
    return ContentCheckOut(**service.get_check(state, caller, check_id))

"""The error tree: every error class has a unique stable code, a hint and an HTTP status."""

from __future__ import annotations

import re

import sharedhash.errors as errors_module
from sharedhash.errors import InvalidHashError, SharedhashError


def _all_error_classes() -> list[type[SharedhashError]]:
    found: list[type[SharedhashError]] = []
    pending: list[type[SharedhashError]] = [SharedhashError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_has_a_unique_snake_case_code_and_a_hint() -> None:
    import sharedhash.hashing  # noqa: F401  (subclasses in packages register on import)

    classes = _all_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), f"duplicate codes: {codes}"
    for cls in classes:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls
        assert cls.__doc__, f"{cls.__name__} has no docstring"
        assert 400 <= cls.http_status < 600
        assert cls is SharedhashError or cls.default_hint, f"{cls.__name__} has no default hint"


def test_error_body_shape() -> None:
    body = InvalidHashError("bad value", line=3).to_dict()
    assert body == {"code": "invalid_hash", "message": "bad value", "hint": InvalidHashError.default_hint, "line": 3}


def test_every_class_is_documented_in_the_tree() -> None:
    doc = errors_module.__doc__ or ""
    for cls in _all_error_classes():
        if cls.__module__ == errors_module.__name__:
            assert cls.__name__ in doc, f"{cls.__name__} missing from the tree in sharedhash.errors"

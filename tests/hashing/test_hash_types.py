"""The contract every registered hash type passes (the same one plug-ins run: ``sharedhash.testing``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharedhash.errors import UnknownHashTypeError
from sharedhash.hashing import HashType, get_hash_type, hash_type_names
from sharedhash.hashing.types.base import ContentKind
from sharedhash.testing import HashTypeContract
from tests.support.video_clips import write_clip


class TestEveryHashType(HashTypeContract):
    @pytest.fixture(params=hash_type_names())
    def hash_type(self, request: pytest.FixtureRequest) -> HashType:
        return get_hash_type(request.param)

    def media_for(self, hash_type: HashType, image_bytes: bytes, tmp_path: Path) -> bytes:
        if ContentKind.VIDEO in hash_type.content:
            return write_clip(tmp_path / "clip.mp4", frames=12).read_bytes()
        return image_bytes


def test_builtin_types_are_registered() -> None:
    assert {"pdq", "md5", "sha1", "sha256", "term"} <= set(hash_type_names())
    with pytest.raises(UnknownHashTypeError):
        get_hash_type("zorblax")

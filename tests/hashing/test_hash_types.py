"""The contract every registered hash type passes: validate, compare, hash a stream and a path alike."""

from __future__ import annotations

import io
import string
from pathlib import Path

import pytest

from sharedhash.errors import InvalidHashError, InvalidInputError, UnknownHashTypeError
from sharedhash.hashing import ContentKind, HashType, get_hash_type, hash_type_names
from sharedhash.hashing.samples import make_sample


@pytest.fixture(params=hash_type_names())
def hash_type(request: pytest.FixtureRequest) -> HashType:
    return get_hash_type(request.param)


@pytest.fixture(scope="module")
def image_bytes() -> bytes:
    out = io.BytesIO()
    make_sample("shapes", 200, 150).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_builtin_types_are_registered() -> None:
    assert {"pdq", "md5", "sha1", "sha256"} <= set(hash_type_names())
    with pytest.raises(UnknownHashTypeError):
        get_hash_type("zorblax")


def test_examples_are_canonical(hash_type: HashType) -> None:
    assert len(set(hash_type.examples)) >= 2
    for value in hash_type.examples:
        assert hash_type.validate(value) == value
        assert hash_type.validate(f"  {value} ") == value
        if all(c in string.hexdigits for c in value):
            assert hash_type.validate(value.upper()) == value


@pytest.mark.parametrize("bad", ["", "xyz", "0" * 63, "g" * 64, "0" * 65])
def test_invalid_values_are_refused(hash_type: HashType, bad: str) -> None:
    with pytest.raises(InvalidHashError):
        hash_type.validate(bad)


def test_validate_many_agrees_with_validate(hash_type: HashType) -> None:
    values = [*hash_type.examples, f"  {hash_type.examples[0]} "]
    assert hash_type.validate_many(values) == [hash_type.validate(v) for v in values]
    if all(c in string.hexdigits for c in hash_type.examples[0]):
        mixed = [hash_type.examples[0], hash_type.examples[1].upper()]
        assert hash_type.validate_many(mixed) == list(hash_type.examples[:2])
    assert hash_type.validate_many([]) == []
    with pytest.raises(InvalidHashError):
        hash_type.validate_many([hash_type.examples[0], "g" * 64])


def test_compare(hash_type: HashType) -> None:
    a = hash_type.examples[0]
    same = hash_type.compare(a, a)
    assert same.match
    assert same.distance == 0
    with pytest.raises(InvalidInputError):
        hash_type.compare(a, a, threshold=hash_type.max_distance + 1)
    other = hash_type.compare(a, hash_type.examples[1], threshold=0)
    assert not other.match
    assert other.distance >= 1


def test_stream_and_path_agree_and_validate(hash_type: HashType, image_bytes: bytes, tmp_path: Path) -> None:
    if ContentKind.VIDEO in hash_type.content:
        from tests.support.video_clips import write_clip

        image_bytes = write_clip(tmp_path / "clip.mp4", frames=12).read_bytes()
    elif not hash_type.content & {ContentKind.FILE, ContentKind.IMAGE}:
        # A type not computed from media (e.g. `term`) says so clearly instead of returning a value.
        with pytest.raises(InvalidInputError):
            hash_type.hash_stream(io.BytesIO(image_bytes))
        return
    path = tmp_path / "image.jpg"
    path.write_bytes(image_bytes)
    from_stream = hash_type.hash_stream(io.BytesIO(image_bytes))
    assert from_stream == hash_type.hash_path(path)
    assert hash_type.validate(from_stream) == from_stream

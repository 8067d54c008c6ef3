"""The contract every hash type passes, built-in or plug-in: values, comparison, hashing and declared traits."""

from __future__ import annotations

import io
import string
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import pytest

from sharedhash.errors import InvalidHashError, InvalidInputError
from sharedhash.hashing.types.base import ContentKind, HashType, IndexKind


@lru_cache(maxsize=1)
def sample_image_bytes() -> bytes:
    """A benign generated JPEG (200x150 shapes), the media the contract hashes."""
    from sharedhash.hashing.samples import make_sample

    out = io.BytesIO()
    make_sample("shapes", 200, 150).save(out, "JPEG", quality=90)
    return out.getvalue()


def _is_hex(value: str) -> bool:
    return bool(value) and all(c in string.hexdigits for c in value)


class HashTypeContract:
    """Subclass in a test module and provide a ``hash_type`` fixture; pytest runs every ``test_`` method on it::

        from sharedhash.testing import HashTypeContract

        class TestMyHash(HashTypeContract):
            @pytest.fixture
            def hash_type(self) -> HashType:
                return MyHashType()

    Override :attr:`invalid_values` when one of them is valid for your type.
    """

    #: Strings no hash type should accept (override for a type that accepts one of them).
    invalid_values: ClassVar[tuple[str, ...]] = ("", "xyz", "0" * 63, "g" * 64, "0" * 65)

    @pytest.fixture
    def hash_type(self) -> HashType:
        raise NotImplementedError("a HashTypeContract subclass provides the hash_type fixture")

    @pytest.fixture
    def image_bytes(self) -> bytes:
        return sample_image_bytes()

    def test_declares_its_identity(self, hash_type: HashType) -> None:
        assert isinstance(hash_type.name, str)
        assert hash_type.name == hash_type.name.strip().lower()
        assert hash_type.name
        assert hash_type.content
        assert all(isinstance(kind, ContentKind) for kind in hash_type.content)
        assert 0 <= hash_type.default_threshold <= hash_type.max_distance

    def test_traits_are_consistent(self, hash_type: HashType) -> None:
        assert isinstance(hash_type.index_kind, IndexKind)
        if hash_type.hex_chars is not None:
            assert hash_type.hex_chars > 0
            for value in hash_type.examples:
                assert len(value) == hash_type.hex_chars
                assert _is_hex(value)
        if hash_type.index_kind in (IndexKind.EXACT, IndexKind.HAMMING256):
            assert hash_type.hex_chars is not None, "fast indexes store hex values"
            assert hash_type.hex_chars % 2 == 0, "fast indexes store whole bytes"
        if hash_type.index_kind is IndexKind.EXACT:
            assert hash_type.max_distance == 0
        if hash_type.index_kind is IndexKind.HAMMING256:
            assert (hash_type.hex_chars, hash_type.max_distance) == (64, 256)
        if hash_type.dihedral:
            assert ContentKind.IMAGE in hash_type.content

    def test_examples_are_canonical(self, hash_type: HashType) -> None:
        assert len(set(hash_type.examples)) >= 2
        for value in hash_type.examples:
            assert hash_type.validate(value) == value
            assert hash_type.validate(f"  {value} ") == value
            if _is_hex(value):
                assert hash_type.validate(value.upper()) == value

    def test_invalid_values_are_refused(self, hash_type: HashType) -> None:
        for bad in self.invalid_values:
            with pytest.raises(InvalidHashError):
                hash_type.validate(bad)

    def test_non_strings_are_refused(self, hash_type: HashType) -> None:
        with pytest.raises(InvalidHashError):
            hash_type.validate(12345)  # type: ignore[arg-type]

    def test_validate_many_agrees_with_validate(self, hash_type: HashType) -> None:
        values = [*hash_type.examples, f"  {hash_type.examples[0]} "]
        assert hash_type.validate_many(values) == [hash_type.validate(v) for v in values]
        if _is_hex(hash_type.examples[0]):
            mixed = [hash_type.examples[0], hash_type.examples[1].upper()]
            assert hash_type.validate_many(mixed) == list(hash_type.examples[:2])
        assert hash_type.validate_many([]) == []
        with pytest.raises(InvalidHashError):
            hash_type.validate_many([hash_type.examples[0], "g" * 64])

    def test_compare(self, hash_type: HashType) -> None:
        a, b = hash_type.examples[0], hash_type.examples[1]
        same = hash_type.compare(a, a)
        assert same.match
        assert same.distance == 0
        with pytest.raises(InvalidInputError):
            hash_type.compare(a, a, threshold=hash_type.max_distance + 1)
        with pytest.raises(InvalidInputError):
            hash_type.compare(a, a, threshold=-1)
        other = hash_type.compare(a, b, threshold=0)
        assert not other.match
        assert 1 <= other.distance
        assert hash_type.compare(b, a, threshold=0).distance == other.distance  # symmetric
        widest = hash_type.compare(a, b, threshold=hash_type.max_distance)
        assert widest.match == (other.distance <= hash_type.max_distance)

    def media_for(self, hash_type: HashType, image_bytes: bytes, tmp_path: Path) -> bytes:
        """A file ``hash_type`` hashes: ``image_bytes`` here; a plug-in of video types returns a clip."""
        return image_bytes

    def test_stream_and_path_agree_and_validate(self, hash_type: HashType, image_bytes: bytes, tmp_path: Path) -> None:
        image_bytes = self.media_for(hash_type, image_bytes, tmp_path)
        if not hash_type.content & {ContentKind.FILE, ContentKind.IMAGE, ContentKind.VIDEO}:
            # A type not computed from media (e.g. `term`) says so clearly instead of returning a value.
            with pytest.raises(InvalidInputError):
                hash_type.hash_stream(io.BytesIO(image_bytes))
            return
        path = tmp_path / "image.jpg"
        path.write_bytes(image_bytes)
        from_stream = hash_type.hash_stream(io.BytesIO(image_bytes))
        assert from_stream == hash_type.hash_path(path)
        assert hash_type.validate(from_stream) == from_stream
        assert hash_type.hash_stream(io.BytesIO(image_bytes)) == from_stream  # deterministic

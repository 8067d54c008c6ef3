"""The contract every registered hash type passes (the same one plug-ins run: ``sharedhash.testing``)."""

from __future__ import annotations

import pytest

from sharedhash.errors import UnknownHashTypeError
from sharedhash.hashing import HashType, get_hash_type, hash_type_names
from sharedhash.testing import HashTypeContract


class TestEveryHashType(HashTypeContract):
    @pytest.fixture(params=hash_type_names())
    def hash_type(self, request: pytest.FixtureRequest) -> HashType:
        return get_hash_type(request.param)


def test_builtin_types_are_registered() -> None:
    assert {"pdq", "md5", "sha1", "sha256", "term"} <= set(hash_type_names())
    with pytest.raises(UnknownHashTypeError):
        get_hash_type("zorblax")

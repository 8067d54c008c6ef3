"""Contract tests a hash type or index must pass, importable by third-party plug-ins (needs pytest).

A plug-in (for instance a licensed PhotoDNA type) subclasses the contracts in its own tests and provides a
``hash_type`` fixture; the built-in types and indexes run the same contracts (tests/hashing, tests/index)::

    import pytest
    from sharedhash.hashing import HashType, get_hash_type
    from sharedhash.testing import HashTypeContract, IndexContract

    class TestMyHashType(HashTypeContract):
        @pytest.fixture
        def hash_type(self) -> HashType:
            return get_hash_type("myhash")

    class TestMyHashIndex(IndexContract):
        @pytest.fixture
        def hash_type(self) -> HashType:
            return get_hash_type("myhash")
"""

import pytest

# Plain asserts in the contracts report their operands, as in the plug-in's own test modules.
pytest.register_assert_rewrite("sharedhash.testing.hash_types", "sharedhash.testing.indexes")

from sharedhash.testing.hash_types import HashTypeContract, sample_image_bytes  # noqa: E402
from sharedhash.testing.indexes import IndexContract  # noqa: E402

__all__ = ["HashTypeContract", "IndexContract", "sample_image_bytes"]

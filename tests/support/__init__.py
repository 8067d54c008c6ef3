"""Test helpers and fixtures shared by the suite: test modules import only from here (and conftest files
register the fixtures they need from here); no test module imports another. Held by ``tests/test_layout.py``."""

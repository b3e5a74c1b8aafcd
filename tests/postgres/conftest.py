import pytest

from tests.conftest import TEST_DB


def pytest_collection_modifyitems(config, items):
    """These tests prove behaviour under real concurrency, which only PostgreSQL offers."""
    skip = pytest.mark.skip(reason="PostgreSQL-only concurrency test (runs in the PostgreSQL pass)")
    for item in items:
        if "tests/postgres/" in str(item.fspath) and TEST_DB != "postgresql":
            item.add_marker(skip)

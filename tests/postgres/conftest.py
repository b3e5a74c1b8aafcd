from tests.conftest import TEST_DB
from tests.functional.conftest import make_app, settings, tr  # noqa: F401 - fixtures these tests use too


def pytest_collection_modifyitems(config, items):
    """These tests prove behaviour under real concurrency, which only PostgreSQL offers: they belong
    to the PostgreSQL pass of the suite and are left out (not skipped) of the SQLite pass."""
    if TEST_DB == "postgresql":
        return
    postgres_only = [item for item in items if "tests/postgres/" in str(item.path)]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if item not in postgres_only]

"""Migrations and models agree, and every migration can be undone and redone."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from dimoskopio.cli import alembic_config
from dimoskopio.models import metadata


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], f"write a migration for: {differences}"


def test_migrations_have_a_single_head():
    config = alembic_config_for_scripts()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_downgrade_to_empty_and_upgrade_again(engine):
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    with engine.connect() as connection:
        remaining = set(engine.dialect.get_table_names(connection)) - {"alembic_version"}
    assert remaining == set()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    test_migrated_schema_matches_the_models(engine)


def alembic_config_for_scripts():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "dimoskopio:migrations")
    return config

"""Database: declarative base, engine, per-request session joined to the transaction."""

import datetime
import enum
import sqlite3
from typing import Any

import zope.interface
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid_retry import IRetryableError
from sqlalchemy import DateTime, Enum, MetaData, Select, engine_from_config, event, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# A fixed naming convention gives every constraint a predictable name, which Alembic
# needs to alter or drop constraints on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes")
        return value.astimezone(datetime.UTC)

    def process_result_value(self, value: datetime.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime.datetime: UTCDateTime}


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and isolation; emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds only ASCII letters; Greek names must compare case-insensitively too.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))

    @event.listens_for(engine, "handle_error")
    def _busy_is_retryable(context: Any) -> None:
        # A transaction that read, then wants to write after another one committed, gets
        # "database is locked" at once; a fresh attempt of the whole request succeeds.
        error = context.original_exception
        busy = isinstance(error, sqlite3.OperationalError) and "database is locked" in str(error)
        if busy and context.sqlalchemy_exception is not None:
            zope.interface.alsoProvides(context.sqlalchemy_exception, IRetryableError)


def make_engine(settings: dict[str, Any]) -> Engine:
    url = settings["sqlalchemy.url"]
    if url.startswith("sqlite"):
        engine = engine_from_config(settings, "sqlalchemy.", connect_args={"timeout": 10})
        _configure_sqlite(engine)
    else:
        engine = engine_from_config(settings, "sqlalchemy.", pool_pre_ping=True)
    return engine


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory: sessionmaker[Session], transaction_manager: Any) -> Session:
    """A session whose commit and rollback follow the given transaction manager."""
    dbsession = session_factory()
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


SQLITE_BEGIN = "dimoskopio_sqlite_begin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def page_of(dbsession: Session, query: Select[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of the rows the (ordered) query selects, and how many it selects in all."""
    total = dbsession.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(dbsession.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return rows, total


def lock_row(dbsession: Session, row: Any) -> None:
    """Take the row's lock and read it again (PostgreSQL; SQLite has one writer at a time): of two
    requests changing it at once (two tabs, a double click), the second waits for the first and
    then decides on what the first one did."""
    # The lock is taken by reading the row's key alone: a locking read of the row with what it
    # loads joined fails on an outer join's nullable side (and with FOR UPDATE OF, comes back
    # without what changed while it waited).
    state = inspect(row)
    key = state.mapper.primary_key
    dbsession.execute(select(*key).where(*[column == value for column, value in zip(key, state.identity, strict=True)])
                      .with_for_update())
    dbsession.refresh(row)


def begin_writing(dbsession: Session) -> None:
    """On SQLite, which has one writer at a time, the transaction takes the write lock as it
    begins (waiting for it up to the busy timeout), rather than reading first and failing to write
    once another writer has committed: writes queue instead of failing. Elsewhere, nothing."""
    if dbsession.get_bind().dialect.name == "sqlite":
        dbsession.connection(execution_options={SQLITE_BEGIN: "BEGIN IMMEDIATE"})


def _dbsession(request: Request) -> Session:
    session_factory = request.registry["dbsession_factory"]
    dbsession = get_tm_session(session_factory, request.tm)
    if request.method not in SAFE_METHODS:
        begin_writing(dbsession)
    return dbsession


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    engine = make_engine(settings)
    config.registry["db_engine"] = engine
    config.registry["dbsession_factory"] = get_session_factory(engine)
    config.add_request_method(_dbsession, "dbsession", reify=True)


# Greek is often typed without accents (and a final sigma is a sigma): searches compare text with
# both folded away, the same way in SQL on SQLite and PostgreSQL and in Python.
_GREEK_FOLDS = {"ά": "α", "έ": "ε", "ή": "η", "ί": "ι", "ϊ": "ι", "ΐ": "ι", "ό": "ο", "ύ": "υ", "ϋ": "υ",
                "ΰ": "υ", "ώ": "ω", "ς": "σ"}


def fold_text(value: str) -> str:
    """Lower case without Greek accents, as `folded` computes it in the database."""
    lowered = value.lower()
    for accented, plain in _GREEK_FOLDS.items():
        lowered = lowered.replace(accented, plain)
    return lowered


def folded(expression: Any) -> Any:
    """The SQL for `fold_text(expression)`."""
    result = func.lower(expression)
    for accented, plain in _GREEK_FOLDS.items():
        result = func.replace(result, accented, plain)
    return result


def enum_column_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A string enum stored by its values (not a native database type, so adding a member needs
    no database change)."""
    return Enum(enum_class, name=name, native_enum=False, length=20,
                   values_callable=lambda members: [member.value for member in members])


class Localized:
    """Text kept in Greek and optionally English; readers get their language, else the Greek."""

    def localized(self, field: str, locale_name: str) -> str:
        value = getattr(self, f"{field}_{locale_name}", None) if locale_name != "el" else None
        return value or getattr(self, f"{field}_el")

"""Test harness: a real database (SQLite or PostgreSQL), the real app, real Huey storage, real files.

DIMOSKOPIO_TEST_DB=sqlite|postgresql chooses the database; `make test` runs the suite with both.
With CI=true nothing may be skipped for want of PostgreSQL, Redis or Chromium.
"""

import contextlib
import datetime
import email
import email.policy
import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import transaction
import webtest
from sqlalchemy.orm import Session

from dimoskopio import main
from dimoskopio.accounts import services as account_services
from dimoskopio.accounts.models import Role, User
from dimoskopio.cli import migrate
from dimoskopio.db import get_tm_session, utcnow
from dimoskopio.mail.services import IMailer, SendGridMailer
from dimoskopio.models import metadata
from dimoskopio.tasks import configure_huey, huey, run_pending_tasks
from events.models import Event, EventStatus
from tests.sendgrid_server import SendGridServer, WebhookSigner

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DB = os.environ.get("DIMOSKOPIO_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "DIMOSKOPIO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("DIMOSKOPIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEFAULT_PASSWORD = "correct horse battery"


def unavailable(reason: str) -> None:
    """Skip on a developer laptop that lacks a service; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _create_postgresql_database() -> tuple[str, sa.Engine]:
    admin_engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"dimoskopio_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin_engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin_engine.dispose()
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")
    url = sa.make_url(PG_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False), admin_engine


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Real argon2, with the cost lowered so that hundreds of logins in the suite stay fast.

    The dummy hash that unknown-email logins verify is lowered too; the production parameters
    are checked in tests/unit/test_accounts_services.py.
    """
    import argon2

    original = account_services._hasher, account_services._DUMMY_HASH
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    account_services._hasher = cheap
    account_services._DUMMY_HASH = cheap.hash("dimoskopio-timing-equaliser")
    yield
    account_services._hasher, account_services._DUMMY_HASH = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DB == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    url, admin_engine = _create_postgresql_database()
    yield url
    with admin_engine.connect() as connection:
        connection.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
        ), {"name": sa.make_url(url).database})
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}"'))
    admin_engine.dispose()


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def app_settings(database_url: str, var_dir: Path) -> dict[str, Any]:
    return {
        "sqlalchemy.url": database_url,
        "dimoskopio.secret": "test-secret-not-for-production",
        "dimoskopio.base_url": "http://localhost",
        "dimoskopio.var_dir": str(var_dir),
        "jinja2.directories": str(ROOT / "templates"),
        "mail.backend": "file",
        "mail.file_dir": str(var_dir / "mail"),
        "mail.sender": "Dimoskopio <no-reply@dimoskopio.example>",
        "huey.sqlite_path": str(var_dir / "huey.sqlite"),
        "huey.redis_url": "",
        "accounts.max_failed_logins": "5",
        "accounts.lockout_minutes": "15",
    }


@pytest.fixture(scope="session")
def app(app_settings: dict[str, Any]) -> Any:
    router = main({}, **app_settings)
    migrate(router.registry["db_engine"])
    # Every test starts from empty tables, the first one too: rows a migration adds (the
    # newsletter's lists) are a fresh installation's, not a test's.
    empty_tables(router.registry["db_engine"])
    return router


def empty_tables(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def registry(app: Any) -> Any:
    return app.registry


@pytest.fixture(scope="session")
def engine(registry: Any) -> sa.Engine:
    return registry["db_engine"]


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables, an empty task queue and no mail files.

    Tests that build a second app (other settings) re-point the shared Huey instance at it;
    it is pointed back at the session's app before each test.
    """
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        configure_huey(app.registry.settings, app.registry)
    yield
    if "app" not in request.fixturenames:
        return
    var_dir = request.getfixturevalue("var_dir")
    empty_tables(app.registry["db_engine"])
    huey.flush()
    shutil.rmtree(var_dir / "mail", ignore_errors=True)


@pytest.fixture
def dbsession(app: Any) -> Iterator[Session]:
    """A session for arranging and checking data; commit to make rows visible to the app.

    Call `rollback()` before re-reading rows that the app or a task changed meanwhile.
    """
    session = app.registry["dbsession_factory"](expire_on_commit=True)
    yield session
    session.close()


@pytest.fixture
def tm_dbsession(app: Any) -> Iterator[tuple[Session, transaction.TransactionManager]]:
    """A session joined to its own explicit transaction manager, as the app's requests use."""
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(app.registry["dbsession_factory"], manager)
    yield session, manager
    session.close()


@pytest.fixture
def testapp(app: Any) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def run_tasks() -> Any:
    return run_pending_tasks


@contextlib.contextmanager
def mailer_in_use(registry: Any, mailer: Any) -> Iterator[Any]:
    """Deliver through `mailer` for the duration (the app's mailer is a registry utility)."""
    original = registry.getUtility(IMailer)
    registry.registerUtility(mailer, IMailer)
    try:
        yield mailer
    finally:
        registry.registerUtility(original, IMailer)


@pytest.fixture
def sendgrid(registry: Any) -> Iterator[SendGridServer]:
    """A local SendGrid the app's mail goes to for the test."""
    server = SendGridServer().start()
    with mailer_in_use(registry, SendGridMailer(api_key="SG.test-key", host=server.url, timeout=2.0)):
        yield server
    server.stop()


@pytest.fixture
def webhook_signer(registry: Any) -> Iterator[WebhookSigner]:
    """Signs Event Webhook calls with a fresh key that the app is told to trust for the test."""
    signer = WebhookSigner()
    settings = registry.settings
    original = settings["sendgrid.webhook_public_key"]
    settings["sendgrid.webhook_public_key"] = signer.public_key
    yield signer
    settings["sendgrid.webhook_public_key"] = original


@pytest.fixture
def mail_dir(var_dir: Path) -> Path:
    return var_dir / "mail"


@pytest.fixture
def outbox(mail_dir: Path) -> Any:
    """Deliver queued mail (runs the worker's tasks) and return the written messages, oldest first."""

    def deliver() -> list[EmailMessage]:
        run_pending_tasks()
        if not mail_dir.exists():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(mail_dir.glob("*.eml"))
        ]

    return deliver


def make_user(
    session: Session,
    email: str = "maria@example.gr",
    password: str = DEFAULT_PASSWORD,
    role: Role = Role.MEMBER,
    name: str = "Μαρία Παπαδάκη",
    verified: bool = True,
    locale: str = "el",
) -> User:
    session.rollback()  # a fresh snapshot: on SQLite an old one cannot write once the app has
    user = User(
        email=email, name=name, role=role, locale=locale,
        password_hash=account_services.hash_password(password),
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def user_factory(dbsession: Session) -> Any:
    def factory(**kwargs: Any) -> User:
        return make_user(dbsession, **kwargs)

    return factory


def login(testapp: webtest.TestApp, email: str, password: str = DEFAULT_PASSWORD) -> webtest.TestResponse:
    form = testapp.get("/login").forms["login-form"]
    form["email"] = email
    form["password"] = password
    return form.submit()


@pytest.fixture
def logged_in(testapp: webtest.TestApp, user_factory: Any) -> Any:
    """Log the test app in as a new user of the given role; returns the user."""

    def as_role(role: Role = Role.MEMBER, email: str | None = None) -> User:
        user = user_factory(email=email or f"{role.value}@example.gr", role=role)
        response = login(testapp, user.email)
        assert response.status_int == 303, response.text
        return user

    return as_role


@pytest.fixture
def staff(logged_in: Any) -> User:
    """The test app, logged in as a member of staff."""
    return logged_in(Role.STAFF)


def make_event(session: Session, **overrides: Any) -> Event:
    """A published event a week from now (two hours long, 20 seats) unless told otherwise."""
    session.rollback()
    start = overrides.pop("starts_at", utcnow().replace(microsecond=0) + datetime.timedelta(days=7))
    title = overrides.pop("title_el", "Εργαστήριο επιχειρηματικότητας")
    values: dict[str, Any] = {
        "slug": overrides.pop("slug", None) or f"event-{secrets.token_hex(4)}",
        "title_el": title,
        "summary_el": "Μια πρακτική συνάντηση για νέους επιχειρηματίες.",
        "description_el": "Θα μιλήσουμε για **ιδέες** και χρηματοδότηση.",
        "starts_at": start,
        "ends_at": overrides.pop("ends_at", start + datetime.timedelta(hours=2)),
        "capacity": 20,
        "status": EventStatus.PUBLISHED,
        "published_at": utcnow(),
        **overrides,
    }
    event = Event(**values)
    session.add(event)
    session.commit()
    return event


@pytest.fixture
def event_factory(dbsession: Session) -> Any:
    def factory(**overrides: Any) -> Event:
        return make_event(dbsession, **overrides)

    return factory

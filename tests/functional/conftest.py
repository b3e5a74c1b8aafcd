"""Helpers shared by the functional tests: mail, translations, reloading rows, a second app."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
import webtest
from markupsafe import escape
from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import User
from dimoskopio.config import make_configurator
from dimoskopio.i18n import _
from dimoskopio.mail.models import OutboxMessage
from dimoskopio.tasks import configure_huey
from tests.conftest import DEFAULT_PASSWORD

LINK_PATTERN = re.compile(r"https?://\S+")
ENVIRON = {"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"}


def text_body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message: EmailMessage, path: str) -> str:
    """The site-relative address of the first link in the message whose address contains `path`."""
    for link in LINK_PATTERN.findall(text_body(message)):
        if path in link:
            return link.replace("http://localhost", "")
    raise AssertionError(f"no link to {path} in:\n{text_body(message)}")


@dataclass(frozen=True)
class Sent:
    template: str
    recipient: str
    locale: str


def queued_mail(dbsession: Session) -> list[Sent]:
    """Every email the app queued so far (template, recipient, language), oldest first."""
    dbsession.rollback()
    return [
        Sent(message.template, message.recipient, message.locale)
        for message in dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def confirm_link(testapp: webtest.TestApp, link: str) -> webtest.TestResponse:
    """Open an emailed link and press its confirmation button (opening it alone changes nothing)."""
    return testapp.get(link).forms["confirm-form"].submit()


def tampered(value: str) -> str:
    """`value` with one base64 character changed, away from the end (where some bits are padding)."""
    return value[:-5] + ("B" if value[-5] == "A" else "A") + value[-4:]


def reload(dbsession: Session, user: User) -> User:
    """The user's row as the database has it now (ends the test session's snapshot first)."""
    user_id = user.id
    dbsession.rollback()
    return dbsession.get(User, user_id)


def user_count(dbsession: Session) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(User))


def login(testapp: webtest.TestApp, email: str, password: str = DEFAULT_PASSWORD) -> webtest.TestResponse:
    """Submit the login form; unlike tests.conftest.login, a refusal (400) is returned, not raised."""
    form = testapp.get("/login").forms["login-form"]
    form["email"] = email
    form["password"] = password
    return form.submit(status="*")


def csrf_token(testapp: webtest.TestApp) -> str:
    """The CSRF token of the test app's session, read from the language form on the home page."""
    return testapp.get("/").forms[0]["csrf_token"].value


def new_client(app: Any) -> webtest.TestApp:
    """Another browser: its own cookies, the same app."""
    return webtest.TestApp(app, extra_environ=ENVIRON)


def switch_language(testapp: webtest.TestApp, locale_name: str) -> webtest.TestResponse:
    return testapp.get("/").forms[0].submit("locale", value=locale_name)


@pytest.fixture
def settings(registry: Any) -> Iterator[dict[str, Any]]:
    """The app's settings, to change for one test; they are put back as they were after it."""
    saved = dict(registry.settings)
    yield registry.settings
    registry.settings.clear()
    registry.settings.update(saved)


@pytest.fixture
def tr(registry: Any) -> Callable[..., str]:
    """A message as the app shows it in a language (HTML-escaped the way Jinja2 escapes it)."""

    def translate(message: str, locale_name: str = "el", **mapping: Any) -> str:
        request = Request.blank("/")
        request.registry = registry
        request.__dict__["locale_name"] = locale_name
        return str(escape(request.localizer.translate(_(message, mapping=mapping or None))))

    return translate


@pytest.fixture
def make_app(app: Any, app_settings: dict[str, Any]) -> Iterator[Callable[..., webtest.TestApp]]:
    """Build another app from the test settings plus overrides; `extend(config)` may add routes.

    Building an app points the shared Huey instance at its registry, so the test app's
    registry is put back afterwards.
    """
    routers = []

    def build(extend: Callable[[Any], None] | None = None, **overrides: Any) -> webtest.TestApp:
        config = make_configurator({**app_settings, **overrides})
        if extend is not None:
            extend(config)
        router = config.make_wsgi_app()
        routers.append(router)
        configure_huey(app.registry.settings, app.registry)
        return webtest.TestApp(router, extra_environ=ENVIRON)

    yield build
    configure_huey(app.registry.settings, app.registry)
    for router in routers:
        router.registry["db_engine"].dispose()

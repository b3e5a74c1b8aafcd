"""Browser harness: the real app over real HTTP, driven by Debian's Chromium through Playwright.

`live_server` serves the same WSGI app as the `app` fixture (same database, same Huey storage),
so arranging data with `user_factory` and delivering mail with `outbox` work as in WebTest tests.
Only /usr/bin/chromium is used, never a browser downloaded by Playwright.
"""

import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from waitress import create_server

from dimoskopio.db import utcnow
from dimoskopio.i18n import _, localizer_for
from events.models import Event, Registration, RegistrationStatus
from tests.conftest import DEFAULT_PASSWORD, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# axe-core rules for WCAG 2.0/2.1 level A and AA, plus best practices (landmarks, heading order).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, in a daemon thread; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=6, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


def local_link(link: str, base_url: str) -> str:
    """An emailed link (http://localhost/... or any host) pointed at the live server."""
    parts = urlsplit(link)
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def text(message: str, locale: str = "el") -> str:
    """A user-visible string as the app shows it in `locale`, so tests survive new translations."""
    return localizer_for(locale).translate(_(message))


def add_registration(dbsession: Any, event: Event, name: str, email: str,
                     status: RegistrationStatus = RegistrationStatus.CONFIRMED, **values: Any) -> Registration:
    """A registration stored directly (no email), for pages that need people on them."""
    dbsession.rollback()
    now = utcnow()
    registration = Registration(
        event_id=event.id, name=name, email=email, status=status,
        link_salt=secrets.token_hex(32), checkin_code=secrets.token_hex(12),
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
        waiting_since=now if status == RegistrationStatus.WAITING else None,
        cancelled_at=now if status == RegistrationStatus.CANCELLED else None,
        **values,
    )
    dbsession.add(registration)
    dbsession.commit()
    return registration


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (own cookies); closed at the end of the test."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900, locale: str = "el-GR") -> Any:
        context = browser.new_context(
            base_url=live_server, locale=locale, viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page in a fresh context: Greek browser locale, 1280x900, relative URLs go to the live server."""
    return new_page()


def log_in(page: Any, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in through the login form, as a visitor would, and wait for the redirect."""
    page.goto("/login")
    locale = page.locator("html").get_attribute("lang")
    form = page.locator("#login-form")
    form.get_by_label(text("Email", locale)).fill(email)
    form.get_by_label(text("Password", locale)).fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name=text("Log in", locale)).click()
    assert "/login" not in page.url, page.locator("main").inner_text()


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    return "\n".join(lines)


def check_accessibility(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on serious or critical WCAG 2.1 AA violations.

    Returns the violations of lower impact, which do not fail the test.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                       "resultTypes": ["violations"]})
    violations = results.response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        report = format_violations(blocking)
        pytest.fail(f"accessibility violations on {page.url}:\n{report}", pytrace=False)
    return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]


@pytest.fixture
def axe() -> Callable[[Any], list[dict[str, Any]]]:
    """`axe(page)` checks the current page with axe-core (see `check_accessibility`)."""
    return check_accessibility

"""axe-core in Chromium: no serious or critical WCAG 2.1 AA violations on any page, in both languages."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from dimoskopio.accounts.models import Role
from dimoskopio.i18n import LOCALE_COOKIE
from tests.browser.conftest import log_in, text

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/",
    "/events",
    "/incubator",
    "/newsletter",
    "/login",
    "/signup",
    "/signup/check-your-email",
    "/account/reset",
    "/account/verify?token=not-a-token",
    "/no-such-page",
]


def use_english(page: Any, base_url: str) -> None:
    """Choose English as the language switch does (its cookie); the switch itself is a journey test."""
    page.context.add_cookies([{"name": LOCALE_COOKIE, "value": "en", "url": base_url}])


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_in_greek(page, axe, path):
    response = page.goto(path)
    assert response is not None
    expect(page.locator("html")).to_have_attribute("lang", "el")
    if path == "/no-such-page":
        assert response.status == 404
    axe(page)


@pytest.mark.parametrize("path", ["/", "/login"])
def test_public_page_in_english(page, axe, live_server, path):
    use_english(page, live_server)
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    axe(page)


def test_signup_with_errors(page, axe):
    page.goto("/signup")
    page.locator("#signup-form").get_by_role("button", name=text("Sign up")).click()
    expect(page.locator(".error-message").first).to_be_visible()
    name = page.get_by_label(text("Full name"), exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(text("This field is required."))
    axe(page)


def test_login_with_errors(page, axe):
    page.goto("/login")
    form = page.locator("#login-form")
    form.get_by_label(text("Email"), exact=True).fill("nobody@example.gr")
    form.get_by_label(text("Password"), exact=True).fill("wrong password")
    form.get_by_role("button", name=text("Log in")).click()
    expect(page.get_by_role("alert")).to_contain_text(text("Wrong email or password."))
    axe(page)


def test_account_pages(page, axe, user_factory):
    user = user_factory()
    log_in(page, user.email)
    for path in ["/account", "/account/password", "/account/email"]:
        page.goto(path)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        axe(page)


def test_staff_pages(page, axe, user_factory):
    # A sign-up puts a message in the outbox, so the mail pages have something to show.
    page.goto("/signup")
    form = page.locator("#signup-form")
    form.get_by_label(text("Full name"), exact=True).fill("Ελένη Μαρκάκη")
    form.get_by_label(text("Email"), exact=True).fill("eleni@example.gr")
    form.get_by_label(text("Password"), exact=True).fill("a long enough password")
    form.get_by_label(text("Repeat password"), exact=True).fill("a long enough password")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name=text("Sign up")).click()
    expect(page).to_have_url(re.compile(r"/signup/check-your-email$"))

    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)
    for path in ["/admin", "/admin/users", "/admin/mail"]:
        page.goto(path)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        axe(page)

    page.get_by_role("table").get_by_role("row").filter(has_text="eleni@example.gr").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/mail/\d+$"))
    axe(page)


def scrolls_sideways_by(page: Any) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("path", ["/", "/events", "/login", "/signup"])
def test_no_horizontal_scroll_on_a_phone(new_page, path):
    page = new_page(width=375, height=740)
    page.goto(path)
    overflow = scrolls_sideways_by(page)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"


def test_wide_tables_scroll_inside_the_page_on_a_phone(new_page, user_factory):
    staff = user_factory(email="staff.member.with.a.long.address@example.gr", role=Role.STAFF)
    page = new_page(width=375, height=740)
    log_in(page, staff.email)
    page.goto("/admin/users")
    overflow = scrolls_sideways_by(page)
    assert overflow <= 0, f"/admin/users scrolls sideways by {overflow}px at 375px wide"

"""User journeys in a real browser: sign-up by email, language switch, keyboard use, the staff area."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from dimoskopio.accounts.models import Role
from tests.browser.conftest import local_link, log_in, text

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def sign_up(page: Any, name: str, email: str, password: str = PASSWORD) -> None:
    """Fill the sign-up form by its labels, as a visitor would, and submit it."""
    page.goto("/signup")
    form = page.locator("#signup-form")
    form.get_by_label(text("Full name"), exact=True).fill(name)
    form.get_by_label(text("Email"), exact=True).fill(email)
    form.get_by_label(text("Password"), exact=True).fill(password)
    form.get_by_label(text("Repeat password"), exact=True).fill(password)
    form.get_by_label(
        text("I have read the privacy notice and agree that the centre keeps my account data.")
    ).check()
    form.get_by_role("button", name=text("Sign up")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Check your email"))


def link_in(message: Any, path: str) -> str:
    body = message.get_body(("plain",)).get_content()
    return next(word for word in body.split() if path in word)


def account_nav(page: Any) -> Any:
    return page.get_by_role("navigation", name=text("Account"))


def test_sign_up_confirm_log_in_and_out(page, outbox, live_server):
    name, email = "Νίκος Ψαράκης", "nikos@example.gr"
    sign_up(page, name, email)

    messages = outbox()
    assert [message["To"] for message in messages] == [email]
    link = link_in(messages[0], "/account/verify?token=")
    assert link.startswith("http")
    page.goto(local_link(link, live_server))
    page.get_by_role("button", name=text("Confirm my email")).click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text(
        text("Your email address is confirmed. You can now log in.")
    )
    log_in(page, email, PASSWORD)
    expect(account_nav(page).get_by_role("link", name=name)).to_be_visible()

    account_nav(page).get_by_role("button", name=text("Log out")).click()
    expect(page).to_have_url(f"{live_server}/")
    expect(account_nav(page).get_by_role("link", name=text("Log in"))).to_be_visible()
    expect(account_nav(page).get_by_role("link", name=name)).to_have_count(0)


def test_switch_language(page):
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "el")
    english = page.get_by_role("button", name="English")
    expect(english).to_have_attribute("aria-pressed", "false")

    english.click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Innovation and entrepreneurship in Heraklion")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming events")

    page.get_by_role("button", name="Ελληνικά").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(html).to_have_attribute("lang", "el")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Upcoming events"))
    expect(page.get_by_role("button", name="Ελληνικά")).to_have_attribute("aria-pressed", "true")


def test_skip_link_is_first_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name=text("Skip to main content"))
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be on screen"

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_staff_reach_users_and_mail(page, user_factory):
    visitor_email = "eleni@example.gr"
    sign_up(page, "Ελένη Μαρκάκη", visitor_email)
    staff = user_factory(email="staff@example.gr", name="Γιώργος Σταφ", role=Role.STAFF)
    log_in(page, staff.email)

    page.get_by_role("navigation", name=text("Main")).get_by_role("link", name=text("Staff")).click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Staff area"))
    staff_nav = page.get_by_role("navigation", name=text("Staff area"))

    staff_nav.get_by_role("link", name=text("Users")).click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    users = page.get_by_role("table")
    expect(users.get_by_role("row").filter(has_text=visitor_email)).to_have_count(1)
    expect(users.get_by_role("row").filter(has_text=staff.email)).to_have_count(1)

    staff_nav.get_by_role("link", name=text("Outgoing email")).click()
    expect(page).to_have_url(re.compile(r"/admin/mail$"))
    row = page.get_by_role("table").get_by_role("row").filter(has_text=visitor_email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(text("Waiting"))

    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/mail/\d+$"))
    expect(page.locator(".facts")).to_contain_text(visitor_email)
    expect(page.locator("pre.mail-text")).to_contain_text("/account/verify?token=")
    expect(page.get_by_title(text("HTML version of the message"))).to_be_visible()

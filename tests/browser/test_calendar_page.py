"""The calendar subscribe page in Chromium: the Copy buttons copy the feed address and say so."""

import pytest
from playwright.sync_api import expect

from events.models import Category, Topic, Venue
from tests.browser.conftest import text
from tests.browser.test_accessibility import use_english

pytestmark = pytest.mark.browser


@pytest.fixture
def places(dbsession):
    dbsession.rollback()
    dbsession.add_all([
        Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops"),
        Topic(slug="funding", name_el="Χρηματοδότηση", name_en="Funding"),
        Venue(name="Δημοσκόπιο, αίθουσα Α", address="Λεωφ. Κνωσού 1, Ηράκλειο"),
    ])
    dbsession.commit()


@pytest.mark.parametrize("locale", ["el", "en"])
def test_copy_puts_the_feed_address_on_the_clipboard_and_announces_it(page, axe, live_server, places, locale):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    if locale == "en":
        use_english(page, live_server)
    page.goto("/calendar")

    field = page.get_by_label(text("Feed address", locale)).nth(1)
    address = field.input_value()
    assert address.startswith("http://localhost/calendar/workshops.ics")
    assert address.endswith("?lang=en") == (locale == "en")
    copy = page.get_by_role("button", name=text("Copy", locale)).nth(1)
    expect(copy).to_be_visible()
    copy.click()

    expect(page.get_by_role("status")).to_have_text(text("Address copied", locale))
    assert page.evaluate("navigator.clipboard.readText()") == address
    axe(page)


def test_without_javascript_the_copy_buttons_stay_hidden_and_the_address_is_selectable(browser, live_server, places):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/calendar")
        expect(page.locator("button[data-copy-target]").first).to_be_hidden()
        field = page.get_by_label(text("Feed address")).first
        expect(field).to_be_visible()
        expect(field).to_have_attribute("readonly", "")
    finally:
        context.close()

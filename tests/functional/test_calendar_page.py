"""The calendar subscribe page (/calendar): every public feed, as webcal:// and https addresses
on the configured base URL, in the reader's language, with labelled copy fields."""

from urllib.parse import urlsplit

import pytest

from events.models import Category, Topic, Venue
from tests.conftest import login
from tests.functional.conftest import switch_language


@pytest.fixture
def places(dbsession):
    dbsession.rollback()
    rows = {
        "talks": Category(slug="talks", name_el="Ομιλίες", name_en="Talks", position=2),
        "workshops": Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops", position=1),
        "funding": Topic(slug="funding", name_el="Χρηματοδότηση", name_en="Funding"),
        "hub": Venue(name="Δημοσκόπιο, αίθουσα Α", address="Λεωφ. Κνωσού 1, Ηράκλειο"),
    }
    dbsession.add_all(rows.values())
    dbsession.commit()
    return rows


def feeds_on(response):
    """(label, webcal link, copy-field value) of each feed on the page, in page order."""
    found = []
    for item in response.html.select(".feed"):
        found.append((item.select_one(".feed-name").get_text(strip=True),
                      item.select_one("a[href^='webcal:']")["href"],
                      item.select_one("input[readonly]")["value"]))
    return found


def expected_paths(places, query=""):
    return [
        f"/calendar.ics{query}",
        f"/calendar/workshops.ics{query}",  # categories by position, not by name
        f"/calendar/talks.ics{query}",
        f"/calendar/topics/funding.ics{query}",
        f"/calendar/venues/{places['hub'].id}.ics{query}",
    ]


def test_the_page_lists_every_feed_with_absolute_https_and_webcal_addresses(testapp, places, tr):
    response = testapp.get("/calendar")

    feeds = feeds_on(response)
    paths = expected_paths(places)
    assert [https for _, _, https in feeds] == [f"http://localhost{path}" for path in paths]
    assert [webcal for _, webcal, _ in feeds] == [f"webcal://localhost{path}" for path in paths]
    labels = [label for label, _, _ in feeds]
    assert labels[0] == tr("All events")
    assert labels[1] == tr("Category: ${name}", name="Εργαστήρια")
    assert labels[3] == tr("Topic: ${name}", name="Χρηματοδότηση")
    assert labels[4] == tr("Venue: ${name}", name="Δημοσκόπιο, αίθουσα Α")


def test_the_addresses_are_built_on_the_base_url_never_on_the_host_header(testapp, places):
    response = testapp.get("/calendar", extra_environ={"HTTP_HOST": "evil.example"})

    for _, webcal, https in feeds_on(response):
        assert urlsplit(https).netloc == "localhost"
        assert urlsplit(webcal).netloc == "localhost"


def test_in_english_the_feeds_are_the_english_ones(testapp, places, tr):
    switch_language(testapp, "en")

    response = testapp.get("/calendar")

    feeds = feeds_on(response)
    paths = expected_paths(places, "?lang=en")
    assert [https for _, _, https in feeds] == [f"http://localhost{path}" for path in paths]
    assert [webcal for _, webcal, _ in feeds] == [f"webcal://localhost{path}" for path in paths]
    assert feeds[1][0] == tr("Category: ${name}", "en", name="Workshops")
    assert response.html.find("h1").get_text(strip=True) == tr("Calendar feeds", "en")


def test_every_copy_field_has_a_label_and_a_copy_button_hidden_until_the_script_runs(testapp, places, tr):
    response = testapp.get("/calendar")

    inputs = response.html.select(".feed input")
    assert len(inputs) == 5
    for field in inputs:
        label = response.html.find("label", attrs={"for": field["id"]})
        assert label is not None and label.get_text(strip=True) == tr("Feed address")
        button = response.html.find("button", attrs={"data-copy-target": field["id"]})
        assert button.has_attr("hidden")
        assert button.get_text(strip=True) == tr("Copy")
        assert button["data-copy-status"] == "copy-status"
    status = response.html.find(id="copy-status")
    assert status["aria-live"] == "polite"
    assert status["data-copied"] == tr("Address copied")


def test_the_copy_script_is_included_deferred_and_only_on_this_page(testapp, places):
    response = testapp.get("/calendar")

    [script] = response.html.select("head script[src]")
    assert script["src"].endswith("/static/js/copy.js") and script.has_attr("defer")
    assert testapp.get(script["src"]).content_type in {"application/javascript", "text/javascript"}
    assert not testapp.get("/events").html.select("script[src]")


@pytest.mark.parametrize("language", ["el", "en"])
def test_every_feed_on_the_page_answers_with_a_calendar(testapp, places, language):
    switch_language(testapp, language)

    for _, _, https in feeds_on(testapp.get("/calendar")):
        parts = urlsplit(https)
        response = testapp.get(parts.path + (f"?{parts.query}" if parts.query else ""), status=200)
        assert response.content_type == "text/calendar"


def test_the_personal_feed_is_on_my_events_for_members_and_in_the_email_for_others(testapp, user_factory, tr):
    page = testapp.get("/calendar")
    assert tr("Your personal feed, with the events you registered for, comes with the email "
              "confirming your registration.") in page.text
    assert not page.html.select("main a[href='/events/my']")

    user = user_factory()
    login(testapp, user.email)
    page = testapp.get("/calendar")
    assert page.html.select_one("main .section a[href='/events/my']").get_text(strip=True) == tr("Go to My events")


def test_the_events_navigation_and_the_event_page_link_to_it(testapp, event_factory, tr):
    event = event_factory()

    nav = testapp.get("/calendar").html.select_one("nav.subnav a[aria-current='page']")
    assert (nav["href"], nav.get_text(strip=True)) == ("/calendar", tr("Calendar feeds"))
    detail = testapp.get(f"/events/{event.slug}")
    assert detail.html.select_one("#calendar-heading").find_parent("section").find(
        "a", href="/calendar").get_text(strip=True) == tr("Subscribe to all events")

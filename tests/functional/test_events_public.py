"""The public events pages through the real app: lists and their filters, the month calendar, the
archive, the event page (structured data, sharing, calendar links), its .ics file, series and home."""

import datetime
import decimal
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from events.models import Category, EventLanguage, EventStatus, RegistrationStatus, Series, Topic, Venue
from tests.conftest import login
from tests.functional.conftest import csrf_token, new_client, switch_language
from tests.functional.events_helpers import (
    ATHENS,
    DAY,
    HOUR,
    add,
    add_registration,
    calendar_event,
    in_days,
    seats_left_text,
)


def listed(response) -> list[str]:
    """The slugs of the events a list page shows, in order."""
    return [link["href"].removeprefix("/events/") for link in response.html.select(".event-card-title a")]


def month_value(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def structured_data(response) -> dict:
    return json.loads(response.html.find("script", type="application/ld+json").string)


def meta(response, prop: str) -> str:
    return response.html.find("meta", property=prop)["content"]


@pytest.fixture
def places(dbsession):
    """A category, a topic, two venues (one on the map) and a series."""
    return {
        "workshops": add(dbsession, Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops")),
        "pitch": add(dbsession, Category(slug="pitch-nights", name_el="Βραδιές pitch")),
        "ai": add(dbsession, Topic(slug="ai", name_el="Τεχνητή νοημοσύνη", name_en="Artificial intelligence")),
        "hub": add(dbsession, Venue(name="Κόμβος Καινοτομίας", address="Πλατεία Ελευθερίας 1, Ηράκλειο",
                                    latitude=decimal.Decimal("35.338700"), longitude=decimal.Decimal("25.144200"))),
        "library": add(dbsession, Venue(name="Βικελαία Βιβλιοθήκη", address="Πλατεία Βενιζέλου, Ηράκλειο")),
        "series": add(dbsession, Series(slug="startup-mondays", title_el="Startup Δευτέρες",
                                        description_el="Κάθε Δευτέρα **μαζί**. <script>alert(1)</script>")),
    }


# --- the list of upcoming events --------------------------------------------------------------


def test_the_list_shows_public_events_not_yet_over_earliest_first(testapp, event_factory):
    event_factory(slug="third", starts_at=in_days(9))
    event_factory(slug="first", starts_at=in_days(2))
    event_factory(slug="called-off", starts_at=in_days(5), status=EventStatus.CANCELLED)
    event_factory(slug="under-way", starts_at=utcnow() - HOUR, ends_at=utcnow() + HOUR)
    event_factory(slug="secret-draft", starts_at=in_days(3), status=EventStatus.DRAFT)
    event_factory(slug="last-week", starts_at=in_days(-7))

    response = testapp.get("/events")

    assert listed(response) == ["under-way", "first", "called-off", "third"]
    assert "secret-draft" not in response.text


@pytest.mark.parametrize(("query", "expected"), [
    ({"category": "workshops"}, ["ai-workshop", "online-workshop"]),
    ({"category": "no-such-category"}, []),
    ({"topic": "ai"}, ["ai-workshop", "hybrid-pitch"]),
    ({"mode": "online"}, ["online-workshop", "hybrid-pitch"]),
    ({"mode": "in_person"}, ["ai-workshop", "hybrid-pitch", "library-talk"]),
    ({"q": "ΤΕΧΝΗΤΗ"}, ["ai-workshop"]),
    ({"q": "pitch βράδυ"}, ["hybrid-pitch"]),
    ({"q": "100%"}, ["library-talk"]),
    ({"q": "_"}, []),
    ({"category": "workshops", "mode": "online"}, ["online-workshop"]),
])
def test_each_filter_narrows_the_list(testapp, event_factory, places, query, expected):
    event_factory(slug="ai-workshop", title_el="Εργαστήριο τεχνητής νοημοσύνης", starts_at=in_days(2),
                  category_id=places["workshops"].id, venue_id=places["hub"].id, topics=[places["ai"]])
    event_factory(slug="online-workshop", title_el="Διαδικτυακό εργαστήριο", starts_at=in_days(3),
                  category_id=places["workshops"].id, online_url="https://meet.example.gr/x")
    event_factory(slug="hybrid-pitch", title_el="Pitch", summary_el="Ένα βράδυ παρουσιάσεων", starts_at=in_days(4),
                  category_id=places["pitch"].id, venue_id=places["hub"].id, online_url="https://meet.example.gr/y",
                  topics=[places["ai"]])
    event_factory(slug="library-talk", title_el="Ομιλία: 100% εξαγωγές", starts_at=in_days(5),
                  venue_id=places["library"].id)

    response = testapp.get("/events", query)

    assert listed(response) == expected


def test_the_venue_filter(testapp, event_factory, places):
    event_factory(slug="at-the-hub", starts_at=in_days(2), venue_id=places["hub"].id)
    event_factory(slug="at-the-library", starts_at=in_days(3), venue_id=places["library"].id)

    response = testapp.get("/events", {"venue": places["library"].id})

    assert listed(response) == ["at-the-library"]
    assert response.html.find("option", value=str(places["library"].id)).has_attr("selected")


def test_the_date_filters_take_whole_local_days(testapp, event_factory):
    # 00:30-01:00 in Heraklion is still the day before in UTC.
    event_factory(slug="day-two", starts_at=in_days(2, hour=0, minute=30), ends_at=in_days(2, hour=1))
    event_factory(slug="day-three", starts_at=in_days(3, hour=23), ends_at=in_days(3, hour=23, minute=30))
    event_factory(slug="day-five", starts_at=in_days(5))
    day_one, day_two, day_three = (in_days(days).astimezone(ATHENS).date().isoformat() for days in (1, 2, 3))

    assert listed(testapp.get("/events", {"to": day_one})) == []
    assert listed(testapp.get("/events", {"from": day_two, "to": day_two})) == ["day-two"]
    assert listed(testapp.get("/events", {"from": day_three})) == ["day-three", "day-five"]
    assert listed(testapp.get("/events", {"to": day_three})) == ["day-two", "day-three"]


@pytest.mark.parametrize("query", [
    {"from": "yesterday"}, {"to": "2027-02-30"}, {"from": "9" * 5000}, {"to": "٢٠٢٧-٠٤-٠١"}, {"venue": "abc"},
    {"venue": "9" * 30}, {"venue": "-1"}, {"mode": "teleport"}, {"page": "-1"}, {"page": "abc"}, {"page": "9" * 50},
])
def test_filter_values_that_make_no_sense_are_ignored_not_an_error(testapp, event_factory, query):
    event_factory(slug="only-event", starts_at=in_days(2))

    response = testapp.get("/events", query)

    assert listed(response) == ["only-event"]


@pytest.mark.parametrize("query", [{"q": "x" * 5000}, {"category": "<script>"}, {"topic": "' OR 1=1 --"},
                                   {"q": "' OR 1=1 --"}])
def test_odd_search_text_finds_nothing_and_is_not_run_as_markup_or_sql(testapp, event_factory, query):
    event_factory(slug="only-event", starts_at=in_days(2))

    response = testapp.get("/events", query)

    assert listed(response) == []
    assert "<script>" not in response.text


def test_the_list_has_twenty_events_a_page(testapp, event_factory):
    for number in range(25):
        event_factory(slug=f"event-{number:02d}", starts_at=in_days(2) + number * HOUR)

    first = testapp.get("/events")
    second = testapp.get(first.html.select_one(".pagination a[rel=next]")["href"])

    assert listed(first) == [f"event-{number:02d}" for number in range(20)]
    assert listed(second) == [f"event-{number:02d}" for number in range(20, 25)]
    assert second.html.select_one(".pagination a[rel=next]") is None
    assert second.html.select_one(".pagination a[rel=prev]") is not None
    # A page past the end (an old link) shows the last page rather than an empty list.
    assert listed(testapp.get("/events", {"page": 999})) == listed(second)


def test_filters_are_kept_from_page_to_page(testapp, event_factory, places):
    for number in range(22):
        event_factory(slug=f"workshop-{number:02d}", starts_at=in_days(2) + number * HOUR,
                      category_id=places["workshops"].id)
    event_factory(slug="other", starts_at=in_days(2))

    first = testapp.get("/events", {"category": "workshops"})
    next_link = first.html.select_one(".pagination a[rel=next]")["href"]

    assert parse_qs(urlsplit(next_link).query)["category"] == ["workshops"]
    assert listed(testapp.get(next_link)) == ["workshop-20", "workshop-21"]


def test_an_empty_list_says_so(testapp, event_factory, tr):
    event_factory(slug="past-one", starts_at=in_days(-3))

    empty = testapp.get("/events")
    nothing_matches = testapp.get("/events", {"q": "κανένα"})

    assert listed(empty) == []
    assert empty.html.select_one(".empty-state") is not None
    assert tr("There are no upcoming events in the calendar yet. Please check again soon.") in empty.text
    assert tr("No event matches these filters. Try fewer filters or clear them.") in nothing_matches.text


def test_the_list_shows_seats_left_or_that_the_waiting_list_is_open(testapp, dbsession, event_factory, tr):
    full = event_factory(slug="full", starts_at=in_days(2), capacity=1)
    add_registration(dbsession, full)
    event_factory(slug="roomy", starts_at=in_days(3), capacity=20)

    response = testapp.get("/events")

    cards = response.html.select(".event-card")
    assert tr("Full: waiting list open") in str(cards[0])
    assert tr("Full: waiting list open") not in str(cards[1])
    assert seats_left_text(20) in str(cards[1])


# --- the month calendar -----------------------------------------------------------------------


def test_the_month_calendar_shows_the_events_of_the_month_and_links_to_its_neighbours(testapp, event_factory):
    event_factory(slug="april-workshop", starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC))
    event_factory(slug="april-draft", starts_at=datetime.datetime(2027, 4, 15, 15, tzinfo=datetime.UTC),
                  status=EventStatus.DRAFT)
    event_factory(slug="may-workshop", starts_at=datetime.datetime(2027, 5, 14, 15, tzinfo=datetime.UTC))

    response = testapp.get("/events/calendar", {"month": "2027-04"})

    links = [link["href"] for link in response.html.select(".month-calendar a")]
    assert links == ["/events/april-workshop"]
    assert response.html.select_one(".month-calendar .event-time").text == "18:00"
    first_cell = response.html.select_one(".month-calendar tbody td")
    assert "other-month" in first_cell["class"] and first_cell.select_one(".day-number").text.startswith("29")
    assert "month=2027-03" in response.html.select_one("a[rel=prev]")["href"]
    assert "month=2027-05" in response.html.select_one("a[rel=next]")["href"]
    following = testapp.get(response.html.select_one("a[rel=next]")["href"])
    assert [link["href"] for link in following.html.select(".month-calendar a")] == ["/events/may-workshop"]


def test_the_calendar_turns_the_year(testapp):
    december = testapp.get("/events/calendar", {"month": "2026-12"})
    january = testapp.get("/events/calendar", {"month": "2027-01"})

    assert "month=2027-01" in december.html.select_one("a[rel=next]")["href"]
    assert "month=2026-12" in january.html.select_one("a[rel=prev]")["href"]


@pytest.mark.parametrize("month", ["2027-13", "2027-00", "2027-4", "abcd-ef", "1999-12", "2101-01", "2027-04-01",
                                   "", "9" * 5000, "٢٠٢٧-٠٤"])
def test_a_month_that_makes_no_sense_shows_the_current_month(testapp, month):
    response = testapp.get("/events/calendar", {"month": month})

    this_month = utcnow().astimezone(ATHENS).date().replace(day=1)
    following = (this_month + datetime.timedelta(days=32)).replace(day=1)
    assert f"month={month_value(following)}" in response.html.select_one("a[rel=next]")["href"]


def test_the_calendar_keeps_the_month_when_filtered(testapp, event_factory, places):
    event_factory(slug="hub-event", starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC),
                  venue_id=places["hub"].id)
    event_factory(slug="library-event", starts_at=datetime.datetime(2027, 4, 15, 15, tzinfo=datetime.UTC),
                  venue_id=places["library"].id)
    page = testapp.get("/events/calendar", {"month": "2027-04"})
    form = next(form for form in page.forms.values() if form.action == "/events/calendar")
    form["venue"] = str(places["library"].id)

    filtered = form.submit()

    assert [link["href"] for link in filtered.html.select(".month-calendar a")] == ["/events/library-event"]
    assert "month=2027-05" in filtered.html.select_one("a[rel=next]")["href"]
    assert f"venue={places['library'].id}" in filtered.html.select_one("a[rel=next]")["href"]


# --- the archive ------------------------------------------------------------------------------


def test_past_events_are_archived_latest_first(testapp, event_factory):
    event_factory(slug="long-ago", starts_at=in_days(-30))
    event_factory(slug="last-week", starts_at=in_days(-7))
    event_factory(slug="cancelled-last-month", starts_at=in_days(-20), status=EventStatus.CANCELLED)
    event_factory(slug="old-draft", starts_at=in_days(-10), status=EventStatus.DRAFT)
    event_factory(slug="next-week", starts_at=in_days(7))
    event_factory(slug="under-way", starts_at=utcnow() - HOUR, ends_at=utcnow() + HOUR)

    response = testapp.get("/events/past")

    assert listed(response) == ["last-week", "cancelled-last-month", "long-ago"]
    assert listed(testapp.get("/events/past", {"q": "Εργαστήριο", "from": in_days(-8).date().isoformat()})) == [
        "last-week"]


def test_an_empty_archive_says_so(testapp, tr):
    response = testapp.get("/events/past")

    assert tr("No past events yet.") in response.text


# --- the event page ---------------------------------------------------------------------------


def test_the_event_page_shows_the_details_and_the_ways_to_keep_and_share_it(testapp, event_factory, places):
    event = event_factory(
        slug="ai-workshop", title_el="Εργαστήριο τεχνητής νοημοσύνης", capacity=20,
        starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2027, 4, 14, 17, tzinfo=datetime.UTC),
        venue_id=places["hub"].id, category_id=places["workshops"].id, series_id=places["series"].id,
        speakers="Άννα Σπυριδάκη\nΝίκος Ζαχαριάδης", organiser="Δήμος Ηρακλείου",
        description_el="Φέρτε **laptop**.\n\n<script>alert('x')</script>\n\n[σύνδεσμος](javascript:alert(1))",
    )
    sibling = event_factory(slug="ai-workshop-2", starts_at=datetime.datetime(2027, 4, 21, 15, tzinfo=datetime.UTC),
                            series_id=places["series"].id)
    event_factory(slug="series-draft", starts_at=datetime.datetime(2027, 4, 28, 15, tzinfo=datetime.UTC),
                  series_id=places["series"].id, status=EventStatus.DRAFT)

    response = testapp.get("/events/ai-workshop")

    html = response.html
    assert html.find("h1").text.strip() == "Εργαστήριο τεχνητής νοημοσύνης"
    assert "<strong>laptop</strong>" in response.text
    assert "<script>alert('x')</script>" not in response.text
    assert 'href="javascript:' not in response.text
    assert html.select_one(f'a[href="/events/{event.slug}.ics"]') is not None
    assert html.select_one('a[href^="https://www.openstreetmap.org/?mlat=35.338700&mlon=25.144200"]') is not None
    share = [link["href"] for link in html.select(".share-links a")]
    assert any(link.startswith("https://www.facebook.com/sharer/sharer.php?u=http%3A//localhost/events/ai-workshop")
               for link in share)
    assert any(link.startswith("mailto:?subject=") for link in share)
    series_links = [link["href"] for link in html.select('section[aria-labelledby="series-heading"] a')]
    assert series_links == [f"/events/{sibling.slug}", "/events/series/startup-mondays"]
    assert html.select_one("#register-form") is not None
    assert "Νίκος Ζαχαριάδης" in response.text
    assert html.find("link", rel="canonical")["href"] == "http://localhost/events/ai-workshop"


def test_the_google_calendar_link_carries_the_time_in_utc_and_the_place(testapp, event_factory, places):
    event_factory(slug="ai-workshop", title_el="Εργαστήριο", venue_id=places["hub"].id,
                  starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC))

    response = testapp.get("/events/ai-workshop")

    link = next(link["href"] for link in response.html.select("a") if link["href"].startswith(
        "https://calendar.google.com/calendar/render?"))
    query = parse_qs(urlsplit(link).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Εργαστήριο"]
    assert query["dates"] == ["20270414T150000Z/20270414T170000Z"]
    assert query["ctz"] == ["Europe/Athens"]
    assert query["location"] == ["Κόμβος Καινοτομίας, Πλατεία Ελευθερίας 1, Ηράκλειο"]
    assert "http://localhost/events/ai-workshop" in query["details"][0]


def test_an_all_day_event_goes_to_google_calendar_as_whole_days(testapp, event_factory):
    start = datetime.datetime(2027, 4, 14, tzinfo=ATHENS).astimezone(datetime.UTC)
    event_factory(slug="expo", starts_at=start, ends_at=start + 2 * DAY, all_day=True)

    response = testapp.get("/events/expo")

    link = next(link["href"] for link in response.html.select("a") if "calendar.google.com" in link["href"])
    assert parse_qs(urlsplit(link).query)["dates"] == ["20270414/20270416"]


def test_the_event_page_carries_opengraph_tags_for_sharing(testapp, event_factory):
    event_factory(slug="pitch-night", title_el="Βραδιά pitch", summary_el="Δέκα ομάδες, τρία λεπτά η καθεμία.")

    response = testapp.get("/events/pitch-night")

    assert meta(response, "og:title") == "Βραδιά pitch"
    assert meta(response, "og:description") == "Δέκα ομάδες, τρία λεπτά η καθεμία."
    assert meta(response, "og:url") == "http://localhost/events/pitch-night"
    assert meta(response, "og:locale") == "el_GR"
    assert meta(response, "og:site_name")
    assert meta(response, "og:type")


@pytest.mark.parametrize(("fields", "status", "mode"), [
    ({"venue": True}, "EventScheduled", "OfflineEventAttendanceMode"),
    ({"online_url": "https://meet.example.gr/a"}, "EventScheduled", "OnlineEventAttendanceMode"),
    ({"venue": True, "online_url": "https://meet.example.gr/a"}, "EventScheduled", "MixedEventAttendanceMode"),
    ({"venue": True, "status": EventStatus.CANCELLED}, "EventCancelled", "OfflineEventAttendanceMode"),
    ({"online_url": "https://meet.example.gr/a", "status": EventStatus.POSTPONED}, "EventPostponed",
     "OnlineEventAttendanceMode"),
])
def test_search_engines_get_the_event_as_schema_org_json_ld(testapp, event_factory, places, fields, status, mode):
    fields = dict(fields)
    if fields.pop("venue", False):
        fields["venue_id"] = places["hub"].id
    event_factory(slug="the-event", title_el="Βραδιά pitch", speakers="Άννα Σπυριδάκη",
                  starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC), language=EventLanguage.BOTH,
                  **fields)

    data = structured_data(testapp.get("/events/the-event"))

    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["eventStatus"] == f"https://schema.org/{status}"
    assert data["eventAttendanceMode"] == f"https://schema.org/{mode}"
    assert data["name"] == "Βραδιά pitch"
    assert data["startDate"] == "2027-04-14T18:00:00+03:00"
    assert data["endDate"] == "2027-04-14T20:00:00+03:00"
    assert data["url"] == "http://localhost/events/the-event"
    assert data["inLanguage"] == ["el", "en"]
    assert data["performer"] == [{"@type": "Person", "name": "Άννα Σπυριδάκη"}]
    locations = data["location"] if isinstance(data["location"], list) else [data["location"]]
    types = [location["@type"] for location in locations]
    assert ("Place" in types) == ("Offline" in mode or "Mixed" in mode)
    assert ("VirtualLocation" in types) == ("Online" in mode or "Mixed" in mode)
    if "Place" in types:
        place = locations[types.index("Place")]
        assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 35.3387, "longitude": 25.1442}


def test_structured_data_cannot_end_its_script_element_early(testapp, event_factory):
    title = "</script><script>alert(1)</script>"
    event_factory(slug="odd-title", title_el=title)

    response = testapp.get("/events/odd-title")

    assert structured_data(response)["name"] == title
    assert "<script>alert(1)</script>" not in response.text


def test_an_all_day_event_is_dated_by_days_in_structured_data(testapp, event_factory):
    start = datetime.datetime(2027, 4, 14, tzinfo=ATHENS).astimezone(datetime.UTC)
    event_factory(slug="expo", starts_at=start, ends_at=start + 2 * DAY, all_day=True)

    data = structured_data(testapp.get("/events/expo"))

    assert (data["startDate"], data["endDate"]) == ("2027-04-14", "2027-04-15")


def test_the_event_page_says_when_the_event_is_full_and_the_waiting_list_is_open(
        testapp, dbsession, event_factory, tr):
    event = event_factory(slug="full", capacity=2)
    for _ in range(2):
        add_registration(dbsession, event)

    response = testapp.get("/events/full")

    assert tr("Full: waiting list open") in response.text
    assert tr("The event is full. Register to join the waiting list: if a seat frees up, you will be told by email.") \
        in response.text
    assert tr("Join the waiting list") in response.html.select_one("#register-form button[type=submit]").text


def test_an_event_page_in_english_shows_the_english_title_or_else_the_greek(testapp, event_factory):
    event_factory(slug="translated", title_el="Βραδιά pitch", title_en="Pitch night", capacity=5)
    event_factory(slug="greek-only", title_el="Μόνο ελληνικά")
    switch_language(testapp, "en")

    translated = testapp.get("/events/translated")

    assert translated.html.find("h1").text.strip() == "Pitch night"
    assert meta(translated, "og:locale") == "en_GB"
    assert seats_left_text(5, "en") in translated.text
    assert testapp.get("/events/greek-only").html.find("h1").text.strip() == "Μόνο ελληνικά"


@pytest.mark.parametrize(("status", "state_message"), [
    (EventStatus.CANCELLED, "This event has been cancelled."),
    (EventStatus.POSTPONED, "This event has been postponed. The new date will be announced here and to everyone "
                            "registered."),
])
def test_a_cancelled_or_postponed_event_page_says_so_and_takes_no_registrations(
        testapp, event_factory, tr, status, state_message):
    event_factory(slug="off", status=status)

    response = testapp.get("/events/off")

    assert tr(state_message) in response.text
    assert "register-form" not in response.forms


def test_a_past_event_page_says_it_is_over(testapp, event_factory, tr):
    event_factory(slug="over", starts_at=in_days(-2))

    response = testapp.get("/events/over")

    assert tr("This event is over.") in response.text
    assert "register-form" not in response.forms


def test_drafts_are_not_found_by_visitors_or_members_but_staff_can_preview_them(
        testapp, app, event_factory, user_factory, logged_in, tr):
    event_factory(slug="secret-plan", status=EventStatus.DRAFT)
    visitor, member = new_client(app), new_client(app)
    login(member, user_factory(email="member@example.gr").email)
    logged_in(Role.STAFF)

    preview = testapp.get("/events/secret-plan")

    assert tr("This is a draft: only staff can see it.") in preview.text
    assert "register-form" not in preview.forms
    for client in (visitor, member):
        client.get("/events/secret-plan", status=404)
        client.get("/events/secret-plan.ics", status=404)
        client.post("/events/secret-plan/register", {"csrf_token": csrf_token(client)}, status=404)
    testapp.get("/events/secret-plan.ics", status=404)


@pytest.mark.parametrize("path", ["/events/no-such-event", "/events/no-such-event.ics", "/events/Capitals",
                                  "/events/trailing-", "/events/series/no-such-series", "/events/%E2%82%AC"])
def test_unknown_events_are_not_found(testapp, path):
    testapp.get(path, status=404)


# --- the calendar file ------------------------------------------------------------------------


def test_the_calendar_file_of_an_event(testapp, event_factory, places):
    event = event_factory(slug="ai-workshop", title_el="Εργαστήριο", venue_id=places["hub"].id,
                          starts_at=datetime.datetime(2027, 4, 14, 15, tzinfo=datetime.UTC), sequence=3,
                          category_id=places["workshops"].id)

    response = testapp.get("/events/ai-workshop.ics")

    assert response.content_type == "text/calendar"
    assert 'filename="ai-workshop.ics"' in response.headers["Content-Disposition"]
    calendar, vevent = calendar_event(response.body)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(vevent["UID"]) == f"event-{event.id}@localhost"
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["SUMMARY"]) == "Εργαστήριο"
    start = vevent.decoded("DTSTART")
    assert vevent["DTSTART"].params["TZID"] == "Europe/Athens"
    assert start == datetime.datetime(2027, 4, 14, 18, tzinfo=ATHENS)
    assert vevent.decoded("DTEND") == datetime.datetime(2027, 4, 14, 20, tzinfo=ATHENS)
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Athens"]
    assert str(vevent["LOCATION"]) == "Κόμβος Καινοτομίας, Πλατεία Ελευθερίας 1, Ηράκλειο"
    assert str(vevent["URL"]) == "http://localhost/events/ai-workshop"
    assert "ATTENDEE" not in vevent


def test_a_cancelled_event_file_tells_calendars_it_is_cancelled(testapp, event_factory):
    event_factory(slug="called-off", status=EventStatus.CANCELLED, sequence=2)

    _, vevent = calendar_event(testapp.get("/events/called-off.ics").body)

    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 2


def test_an_all_day_event_file_has_dates_not_times(testapp, event_factory):
    start = datetime.datetime(2027, 4, 14, tzinfo=ATHENS).astimezone(datetime.UTC)
    event_factory(slug="expo", starts_at=start, ends_at=start + 2 * DAY, all_day=True)

    _, vevent = calendar_event(testapp.get("/events/expo.ics").body)

    assert vevent.decoded("DTSTART") == datetime.date(2027, 4, 14)
    assert vevent.decoded("DTEND") == datetime.date(2027, 4, 16)


def test_the_event_page_links_to_its_calendar_file(testapp, event_factory):
    event_factory(slug="linked")

    page = testapp.get("/events/linked")
    response = page.click(href="/events/linked.ics", index=0)

    assert response.content_type == "text/calendar"


# --- series and home --------------------------------------------------------------------------


def test_a_series_page_lists_its_coming_and_earlier_dates(testapp, event_factory, places):
    series_id = places["series"].id
    event_factory(slug="monday-next", starts_at=in_days(4), series_id=series_id)
    event_factory(slug="monday-after", starts_at=in_days(11), series_id=series_id)
    event_factory(slug="monday-before", starts_at=in_days(-3), series_id=series_id)
    event_factory(slug="monday-long-ago", starts_at=in_days(-10), series_id=series_id)
    event_factory(slug="monday-draft", starts_at=in_days(18), series_id=series_id, status=EventStatus.DRAFT)
    event_factory(slug="not-in-series", starts_at=in_days(5))

    response = testapp.get("/events/series/startup-mondays")

    sections = response.html.select("section.section")
    assert [link["href"] for link in sections[0].select(".event-card-title a")] == [
        "/events/monday-next", "/events/monday-after"]
    assert [link["href"] for link in sections[1].select(".event-card-title a")] == [
        "/events/monday-before", "/events/monday-long-ago"]
    assert response.html.find("h1").text.strip() == "Startup Δευτέρες"
    assert "<strong>μαζί</strong>" in response.text
    assert "<script>alert(1)</script>" not in response.text


def test_the_home_page_lists_the_next_public_events(testapp, event_factory):
    for number in range(8):
        event_factory(slug=f"soon-{number}", starts_at=in_days(1 + number))
    event_factory(slug="draft-soon", starts_at=in_days(1), status=EventStatus.DRAFT)
    event_factory(slug="yesterday", starts_at=in_days(-1))

    response = testapp.get("/")

    assert listed(response) == [f"soon-{number}" for number in range(6)]
    assert response.html.select_one('a[href="/events"]') is not None


def test_the_home_page_without_events(testapp, tr):
    response = testapp.get("/")

    assert listed(response) == []
    assert tr("There are no upcoming events in the calendar yet. Please check again soon.") in response.text


def test_each_public_page_answers_in_english_too(testapp, event_factory, places, dbsession):
    event = event_factory(slug="everywhere", starts_at=in_days(3), series_id=places["series"].id,
                          category_id=places["workshops"].id, venue_id=places["hub"].id)
    add_registration(dbsession, event, RegistrationStatus.WAITING)
    event_factory(slug="gone", starts_at=in_days(-3))
    switch_language(testapp, "en")

    for path in ("/", "/events", "/events/past", "/events/calendar", "/events/everywhere",
                 "/events/series/startup-mondays", "/events/everywhere.ics"):
        assert testapp.get(path).status_int == 200, path


@pytest.mark.parametrize("query", [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "2026-02-30"}])
def test_dates_no_calendar_can_hold_are_ignored_not_an_error(testapp, query):
    for path in ("/events", "/events/past", "/events/calendar"):
        assert testapp.get(path, query).status_int == 200


def test_the_online_join_link_is_never_on_the_public_page_or_its_calendar_file(testapp, event_factory):
    event = event_factory(online_url="https://meet.example.org/secret-room")

    page = testapp.get(f"/events/{event.slug}")
    public_ics = testapp.get(f"/events/{event.slug}.ics")

    assert "secret-room" not in page.text, "not in the page, its JSON-LD or the Google Calendar link"
    assert b"secret-room" not in public_ics.body

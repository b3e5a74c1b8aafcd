"""The open data API: JSON and CSV of public events, checked against its own OpenAPI document."""

import csv
import datetime
import decimal
import io
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from dimoskopio.db import utcnow
from dimoskopio.web import csv_safe
from events import api
from events.models import (
    Category,
    EventLanguage,
    EventStatus,
    Registration,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
)

ATHENS = ZoneInfo("Europe/Athens")
DOCUMENT_URI = "urn:dimoskopio:openapi"
REGISTRANT_NAME = "Ευτυχία Ραδαμανθάκη"
REGISTRANT_EMAIL = "eftychia.private@example.gr"


@pytest.fixture
def document(testapp: Any) -> dict[str, Any]:
    return testapp.get("/api/v1/openapi.json").json


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def assert_documented(document: dict[str, Any], path: str, response: Any) -> None:
    """The response's body is what the document promises for this path and status."""
    pointer = f"#/paths/{_escape(path)}/get/responses/{response.status_int}"
    described = document["paths"][path]["get"]["responses"][str(response.status_int)]
    if "$ref" in described:
        pointer = described["$ref"]
    pointer += f"/content/{_escape(response.content_type)}/schema"
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012),
    )
    validator = OAS31Validator(
        {"$ref": DOCUMENT_URI + pointer}, registry=registry, format_checker=OAS31Validator.FORMAT_CHECKER,
    )
    validator.validate(response.json)


def assert_open_data_headers(response: Any) -> None:
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers


def slugs(response: Any) -> list[str]:
    return [event["slug"] for event in response.json["events"]]


def in_days(days: int, hour: int = 18, minute: int = 0) -> datetime.datetime:
    """A moment `days` from today at a local (Athens) wall-clock time, as UTC."""
    day = utcnow().astimezone(ATHENS).date() + datetime.timedelta(days=days)
    local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ATHENS)
    return local.astimezone(datetime.UTC)


def add(dbsession: Any, row: Any) -> Any:
    dbsession.rollback()
    dbsession.add(row)
    dbsession.commit()
    return row


def register(dbsession: Any, event: Any, status: RegistrationStatus, email: str | None = None,
             name: str = "Γιώργος Παπαδόπουλος") -> Registration:
    return add(dbsession, Registration(
        event_id=event.id,
        name=name,
        email=email or f"{secrets.token_hex(4)}@example.gr",
        status=status,
        link_salt=secrets.token_hex(32),
        checkin_code=secrets.token_hex(8),
    ))


# --- the document -------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_for_this_installation(testapp, document):
    response = testapp.get("/api/v1/openapi.json")

    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://localhost/api/v1"}]
    assert document["info"]["license"]["identifier"] == "AGPL-3.0-or-later"
    assert {"/events", "/events/{slug}", "/events.csv"} <= set(document["paths"])
    assert response.content_type == "application/json"
    assert_open_data_headers(response)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_upcoming_public_events_earliest_first_and_never_drafts(testapp, document, event_factory):
    later = event_factory(slug="later", starts_at=in_days(9))
    cancelled = event_factory(slug="cancelled", starts_at=in_days(3), status=EventStatus.CANCELLED)
    postponed = event_factory(slug="postponed", starts_at=in_days(5), status=EventStatus.POSTPONED)
    event_factory(slug="draft", starts_at=in_days(4), status=EventStatus.DRAFT, published_at=None)
    event_factory(slug="last-month", starts_at=in_days(-30))

    response = testapp.get("/api/v1/events")

    assert slugs(response) == [cancelled.slug, postponed.slug, later.slug]
    assert [event["status"] for event in response.json["events"]] == ["cancelled", "postponed", "published"]
    assert [event["registration"] for event in response.json["events"]] == ["cancelled", "postponed", "open"]
    assert response.json["total"] == 3
    assert_documented(document, "/events", response)
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert_open_data_headers(response)


def test_an_event_in_the_list_carries_its_public_details(testapp, document, dbsession, event_factory):
    category = add(dbsession, Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops"))
    topics = [add(dbsession, Topic(slug="funding", name_el="Χρηματοδότηση", name_en="Funding")),
              add(dbsession, Topic(slug="ai", name_el="Τεχνητή νοημοσύνη"))]
    venue = add(dbsession, Venue(name="Δημοσκόπιο", address="Ανδρόγεω 2, Ηράκλειο",
                                 latitude=decimal.Decimal("35.339843"), longitude=decimal.Decimal("25.133385"),
                                 accessibility_notes="Ράμπα στην είσοδο."))
    series = add(dbsession, Series(slug="startup-mondays", title_el="Startup Δευτέρες", title_en="Startup Mondays"))
    starts_at = in_days(6, 18, 30)
    event = event_factory(
        slug="pitch-night", title_el="Βραδιά παρουσιάσεων", title_en="Pitch night", category=category,
        topics=topics, venue=venue, series=series, online_url="https://meet.example.org/pitch",
        starts_at=starts_at, hours=decimal.Decimal("2.5"), organiser="Δήμος Ηρακλείου",
        speakers="Άννα Κ.\n\nΝίκος Μ.\n", language=EventLanguage.BOTH,
    )

    response = testapp.get("/api/v1/events")

    [item] = response.json["events"]
    assert item["id"] == event.id
    assert item["url"] == "http://localhost/events/pitch-night"
    assert item["ics_url"] == "http://localhost/events/pitch-night.ics"
    assert item["title"] == {"el": "Βραδιά παρουσιάσεων", "en": "Pitch night"}
    assert item["summary"] == {"el": "Μια πρακτική συνάντηση για νέους επιχειρηματίες.", "en": None}
    assert item["category"] == {"slug": "workshops", "name": {"el": "Εργαστήρια", "en": "Workshops"}}
    assert item["topics"] == [{"slug": "ai", "name": {"el": "Τεχνητή νοημοσύνη", "en": None}},
                              {"slug": "funding", "name": {"el": "Χρηματοδότηση", "en": "Funding"}}]
    assert item["venue"] == {"name": "Δημοσκόπιο", "address": "Ανδρόγεω 2, Ηράκλειο", "latitude": 35.339843,
                             "longitude": 25.133385, "accessibility_notes": "Ράμπα στην είσοδο."}
    assert item["online"] is True
    assert item["online"] is True
    assert "meet.example.org" not in testapp.get("/api/v1/events").text, "the join link is for registrants"
    assert item["starts_at"] == starts_at.astimezone(ATHENS).isoformat()
    assert item["starts_at"][11:16] == "18:30"
    assert item["ends_at"] == (starts_at + datetime.timedelta(hours=2)).astimezone(ATHENS).isoformat()
    assert item["all_day"] is False
    assert item["language"] == "el-en"
    assert item["series"] == {"slug": "startup-mondays", "title": {"el": "Startup Δευτέρες", "en": "Startup Mondays"}}
    assert (item["capacity"], item["seats_left"], item["registration"]) == (20, 20, "open")
    assert item["hours"] == 2.5
    assert item["organiser"] == "Δήμος Ηρακλείου"
    assert item["speakers"] == ["Άννα Κ.", "Νίκος Μ."]
    assert "description_html" not in item
    assert_documented(document, "/events", response)


def test_an_event_without_extras_has_nulls_not_gaps(testapp, document, event_factory):
    event_factory(capacity=None, hours=decimal.Decimal("0"))

    [item] = testapp.get("/api/v1/events").json["events"]

    assert (item["category"], item["venue"], item["series"], item["online"]) == (None, None, None, False)
    assert (item["topics"], item["speakers"], item["online"]) == ([], [], False)
    assert (item["capacity"], item["seats_left"], item["hours"]) == (None, None, None)


def test_seats_left_counts_confirmed_and_offered_registrations_only(testapp, dbsession, event_factory):
    event = event_factory(capacity=5)
    for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED,
                   RegistrationStatus.WAITING, RegistrationStatus.PENDING, RegistrationStatus.CANCELLED):
        register(dbsession, event, status)

    [item] = testapp.get("/api/v1/events").json["events"]
    single = testapp.get(f"/api/v1/events/{event.slug}").json

    assert item["seats_left"] == single["seats_left"] == 2


def test_a_full_event_has_no_seats_left_not_a_negative_number(testapp, dbsession, event_factory):
    event = event_factory(capacity=1)
    register(dbsession, event, RegistrationStatus.CONFIRMED)
    register(dbsession, event, RegistrationStatus.CONFIRMED)

    assert testapp.get(f"/api/v1/events/{event.slug}").json["seats_left"] == 0


# --- filters ------------------------------------------------------------------------------------


def test_the_list_filters_by_category_and_topic(testapp, document, dbsession, event_factory):
    workshops = add(dbsession, Category(slug="workshops", name_el="Εργαστήρια"))
    talks = add(dbsession, Category(slug="talks", name_el="Ομιλίες"))
    funding = add(dbsession, Topic(slug="funding", name_el="Χρηματοδότηση"))
    design = add(dbsession, Topic(slug="design", name_el="Σχεδιασμός"))
    both = event_factory(category=workshops, topics=[funding, design], starts_at=in_days(2))
    workshop = event_factory(category=workshops, topics=[design], starts_at=in_days(3))
    talk = event_factory(category=talks, topics=[funding], starts_at=in_days(4))

    by_category = testapp.get("/api/v1/events", {"category": "workshops"})
    by_topic = testapp.get("/api/v1/events", {"topic": "funding"})
    by_both = testapp.get("/api/v1/events", {"category": "workshops", "topic": "funding"})
    unknown = testapp.get("/api/v1/events", {"category": "no-such-category"})

    assert slugs(by_category) == [both.slug, workshop.slug]
    assert slugs(by_topic) == [both.slug, talk.slug]
    assert slugs(by_both) == [both.slug]
    assert unknown.json["events"] == [] and unknown.json["total"] == 0
    for response in (by_category, by_topic, by_both, unknown):
        assert_documented(document, "/events", response)


def test_the_list_searches_titles_and_summaries_in_both_languages(testapp, event_factory):
    greek = event_factory(title_el="Εργαστήριο εξαγωγών", starts_at=in_days(2))
    english = event_factory(title_el="Συνάντηση", title_en="Export clinic", starts_at=in_days(3))
    summary = event_factory(title_el="Πρωινό", summary_el="Καφές και εξαγωγές με μέντορες", starts_at=in_days(4))
    event_factory(title_el="Άλλο θέμα", starts_at=in_days(5))

    assert slugs(testapp.get("/api/v1/events", {"q": "εξαγωγ"})) == [greek.slug, summary.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "EXPORT"})) == [english.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "καφές μέντορες"})) == [summary.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "100%"})) == []


def test_greek_search_ignores_letter_case_accents_and_final_sigma(testapp, event_factory):
    event = event_factory(title_el="Εργαστήριο καινοτομίας για νέους")

    assert slugs(testapp.get("/api/v1/events", {"q": "ΕΡΓΑΣΤΉΡΙΟ"})) == [event.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "εργαστήριο"})) == [event.slug]
    # Capitals are usually written without the tonos, and people often type without accents.
    assert slugs(testapp.get("/api/v1/events", {"q": "ΕΡΓΑΣΤΗΡΙΟ"})) == [event.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "καινοτομιας"})) == [event.slug]
    assert slugs(testapp.get("/api/v1/events", {"q": "ΝΕΟΥΣ"})) == [event.slug]


def test_from_and_to_are_whole_local_days_and_to_is_inclusive(testapp, document, event_factory):
    # 23:30 in Heraklion is still the previous day in UTC: the filter must use the local day.
    late = event_factory(slug="late", starts_at=in_days(10, 23, 30), ends_at=in_days(10, 23, 59))
    early = event_factory(slug="early", starts_at=in_days(11, 0, 30))
    day = (utcnow().astimezone(ATHENS) + datetime.timedelta(days=10)).date()
    next_day = day + datetime.timedelta(days=1)

    only_day = testapp.get("/api/v1/events", {"from": day.isoformat(), "to": day.isoformat()})
    only_next = testapp.get("/api/v1/events", {"from": next_day.isoformat(), "to": next_day.isoformat()})
    until_day = testapp.get("/api/v1/events", {"to": day.isoformat()})

    assert slugs(only_day) == [late.slug]
    assert slugs(only_next) == [early.slug]
    assert slugs(until_day) == [late.slug]
    assert_documented(document, "/events", only_day)


def test_past_events_are_left_out_by_default_but_found_with_from(testapp, event_factory):
    past = event_factory(slug="last-month", starts_at=in_days(-30))
    upcoming = event_factory(slug="next-week", starts_at=in_days(7))
    month_ago = (utcnow().astimezone(ATHENS) - datetime.timedelta(days=31)).date()

    with_past = testapp.get("/api/v1/events", {"from": month_ago.isoformat()}).json["events"]

    assert slugs(testapp.get("/api/v1/events")) == [upcoming.slug]
    assert [event["slug"] for event in with_past] == [past.slug, upcoming.slug]
    assert with_past[0]["registration"] == "past"


def test_an_event_that_already_started_today_is_still_listed(testapp, event_factory):
    today = event_factory(starts_at=utcnow() - datetime.timedelta(minutes=5),
                          ends_at=utcnow() + datetime.timedelta(hours=1))

    assert slugs(testapp.get("/api/v1/events")) == [today.slug]


# --- pagination ---------------------------------------------------------------------------------


def test_pages_and_their_links_keep_the_filters(testapp, document, dbsession, event_factory):
    talks = add(dbsession, Category(slug="talks", name_el="Ομιλίες"))
    made = [event_factory(slug=f"talk-{number}", category=talks, starts_at=in_days(number)) for number in range(1, 6)]
    event_factory(slug="not-a-talk", starts_at=in_days(2))

    first = testapp.get("/api/v1/events", {"category": "talks", "per_page": "2"})
    second = testapp.get(first.json["links"]["next"].replace("http://localhost", ""))
    last = testapp.get(second.json["links"]["next"].replace("http://localhost", ""))
    beyond = testapp.get("/api/v1/events", {"category": "talks", "per_page": "2", "page": "9"})

    assert slugs(first) + slugs(second) + slugs(last) == [event.slug for event in made]
    assert (first.json["total"], first.json["pages"], first.json["per_page"]) == (5, 3, 2)
    assert first.json["links"] == {
        "self": "http://localhost/api/v1/events?category=talks&page=1&per_page=2",
        "next": "http://localhost/api/v1/events?category=talks&page=2&per_page=2",
        "prev": None,
    }
    assert second.json["page"] == 2
    assert second.json["links"]["prev"] == first.json["links"]["self"]
    assert last.json["links"]["next"] is None
    assert beyond.json["events"] == []
    assert beyond.json["links"]["prev"] == last.json["links"]["self"]
    for response in (first, second, last, beyond):
        assert_documented(document, "/events", response)


def test_the_default_page_holds_twenty_events(testapp, event_factory):
    for number in range(21):
        event_factory(starts_at=in_days(1) + datetime.timedelta(minutes=number))

    response = testapp.get("/api/v1/events")

    assert len(response.json["events"]) == 20
    assert (response.json["per_page"], response.json["pages"]) == (20, 2)


def test_the_number_of_queries_does_not_grow_with_the_page(testapp, engine, dbsession, event_factory):
    category = add(dbsession, Category(slug="workshops", name_el="Εργαστήρια"))
    topic = add(dbsession, Topic(slug="funding", name_el="Χρηματοδότηση"))
    venue = add(dbsession, Venue(name="Δημοσκόπιο", address="Ανδρόγεω 2"))
    series = add(dbsession, Series(slug="mondays", title_el="Δευτέρες"))

    def make_events(count: int) -> None:
        for _ in range(count):
            event = event_factory(category=category, topics=[topic], venue=venue, series=series)
            register(dbsession, event, RegistrationStatus.CONFIRMED)

    def queries_for_the_list() -> tuple[int, int]:
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            response = testapp.get("/api/v1/events", {"per_page": "100"})
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert all(event["seats_left"] == 19 for event in response.json["events"])
        return len(statements), response.json["total"]

    make_events(5)
    few = queries_for_the_list()
    make_events(35)
    many = queries_for_the_list()

    assert (few[1], many[1]) == (5, 40)
    assert few[0] == many[0]


# --- one event ----------------------------------------------------------------------------------


def test_one_event_has_its_description_as_safe_html(testapp, document, event_factory):
    event = event_factory(description_el="Θα μιλήσουμε για **ιδέες**.<script>alert(1)</script>",
                          description_en="About *ideas*.")

    response = testapp.get(f"/api/v1/events/{event.slug}")

    assert response.json["slug"] == event.slug
    assert "<strong>ιδέες</strong>" in response.json["description_html"]["el"]
    assert "<script" not in response.json["description_html"]["el"]
    assert response.json["description_html"]["en"] == "<p>About <em>ideas</em>.</p>\n"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert_documented(document, "/events/{slug}", response)
    assert_open_data_headers(response)


def test_a_past_event_is_available_by_its_slug(testapp, event_factory):
    event = event_factory(starts_at=in_days(-100))

    assert testapp.get(f"/api/v1/events/{event.slug}").json["registration"] == "past"


@pytest.mark.parametrize("path", ["/api/v1/events/no-such-event", "/api/v1/events/Not_A_Slug",
                                  "/api/v1/nothing-here"])
def test_an_unknown_address_is_a_json_404(testapp, document, path):
    response = testapp.get(path, status=404)

    assert response.json["error"]["code"] == "not_found"
    assert_documented(document, "/events/{slug}", response)
    assert_open_data_headers(response)


def test_a_draft_is_a_404_as_if_it_did_not_exist(testapp, document, event_factory):
    draft = event_factory(status=EventStatus.DRAFT, published_at=None)

    response = testapp.get(f"/api/v1/events/{draft.slug}", status=404)

    assert response.json["error"]["code"] == "not_found"
    assert draft.slug not in testapp.get("/api/v1/events").text
    assert draft.slug not in testapp.get("/api/v1/events.csv").text


# --- bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "parameter"), [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-02-30"}, "from"),
    ({"from": "2026-1-5"}, "from"),
    ({"from": "tomorrow"}, "from"),
    ({"from": "0001-01-01"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-09"}, "to"),
    ({"to": "2000-01-01"}, "to"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"per_page": "ten"}, "per_page"),
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "9" * 5000}, "page"),
    ({"q": "α" * 201}, "q"),
    ({"q": "null\x00byte"}, "q"),
    ({"category": "Not A Slug"}, "category"),
    ({"topic": "x" * 81}, "topic"),
    ([("category", "talks"), ("category", "workshops")], "category"),
])
def test_bad_parameters_are_a_json_400_naming_the_parameter(testapp, document, query, parameter):
    response = testapp.get("/api/v1/events", query, status=400)

    assert response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["parameter"] == parameter
    assert response.json["error"]["message"]
    assert_documented(document, "/events", response)
    assert_open_data_headers(response)


def test_the_csv_refuses_bad_parameters_in_json_too(testapp, document):
    response = testapp.get("/api/v1/events.csv", {"to": "yesterday"}, status=400)

    assert response.json["error"]["parameter"] == "to"
    assert_documented(document, "/events.csv", response)


def test_an_undecodable_query_string_is_a_json_400(testapp):
    response = testapp.get("/api/v1/events?q=%FF", status=400)

    assert response.json["error"]["code"] == "bad_request"
    assert_open_data_headers(response)


def test_empty_parameters_count_as_missing(testapp, event_factory):
    event = event_factory()

    response = testapp.get("/api/v1/events", {"from": "", "to": "", "category": "", "q": " ", "page": ""})

    assert slugs(response) == [event.slug]


# --- methods, cookies and failures --------------------------------------------------------------


def test_head_works_and_other_methods_are_refused(testapp, event_factory):
    event = event_factory()

    head = testapp.head(f"/api/v1/events/{event.slug}")
    post = testapp.post("/api/v1/events", status=405)

    assert head.status_int == 200 and head.body == b""
    assert post.json["error"]["code"] == "method_not_allowed"
    assert post.headers["Allow"] == "GET, HEAD"


def test_no_api_answer_sets_a_cookie_even_for_a_visitor_with_a_session(testapp, event_factory):
    event = event_factory()
    testapp.get("/login")  # the login form puts a CSRF token in the session cookie
    assert testapp.cookies

    for path in ("/api/v1/events", f"/api/v1/events/{event.slug}", "/api/v1/events.csv",
                 "/api/v1/openapi.json"):
        assert "Set-Cookie" not in testapp.get(path).headers, path
    for path in ("/api/v1/events?page=0", "/api/v1/events/no-such-event"):
        assert "Set-Cookie" not in testapp.get(path, status="4*").headers, path


def _add_failing_api_route(config: Any) -> None:
    def fail(request):
        raise RuntimeError("secret internal detail")

    config.add_route("test.api_fail", "/api/v1/test-fail")
    config.add_view(fail, route_name="test.api_fail")


def test_a_failure_under_the_api_is_a_json_500_without_internals(make_app):
    failing = make_app(extend=_add_failing_api_route)

    response = failing.get("/api/v1/test-fail", status=500)

    assert response.json["error"]["code"] == "server_error"
    assert "secret internal detail" not in response.text
    assert_open_data_headers(response)


# --- no personal data ---------------------------------------------------------------------------


def test_no_api_answer_contains_personal_data(testapp, dbsession, event_factory):
    event = event_factory(capacity=3)
    register(dbsession, event, RegistrationStatus.CONFIRMED, email=REGISTRANT_EMAIL, name=REGISTRANT_NAME)
    register(dbsession, event, RegistrationStatus.WAITING)

    answers = [
        testapp.get("/api/v1/events"),
        testapp.get("/api/v1/events", {"q": "Εργαστήριο"}),
        testapp.get(f"/api/v1/events/{event.slug}"),
        testapp.get("/api/v1/events.csv"),
        testapp.get("/api/v1/openapi.json"),
    ]

    assert answers[2].json["seats_left"] == 2
    for response in answers:
        text = response.body.decode("utf-8-sig")
        for leak in (REGISTRANT_EMAIL, REGISTRANT_NAME, "example.gr", "checkin", "manage_key"):
            assert leak not in text, (response.request.url, leak)


# --- CSV ----------------------------------------------------------------------------------------


def _csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))


def test_the_csv_opens_in_excel_with_the_greek_intact(testapp, dbsession, event_factory):
    category = add(dbsession, Category(slug="workshops", name_el="Εργαστήρια"))
    topics = [add(dbsession, Topic(slug="ai", name_el="Τεχνητή νοημοσύνη")),
              add(dbsession, Topic(slug="funding", name_el="Χρηματοδότηση"))]
    venue = add(dbsession, Venue(name="Δημοσκόπιο", address="Ανδρόγεω 2, Ηράκλειο"))
    starts_at = in_days(4, 10)
    event = event_factory(slug="ergastirio", title_el="Εργαστήριο εξαγωγών", title_en="Export workshop",
                          category=category, topics=topics, venue=venue, starts_at=starts_at, capacity=None)

    response = testapp.get("/api/v1/events.csv")

    assert response.body.startswith("\ufeff".encode())
    assert response.content_type == "text/csv"
    assert response.charset.lower() == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="events.csv"'
    assert_open_data_headers(response)
    header, row = _csv_rows(response)
    assert header == list(api.CSV_COLUMNS)
    assert dict(zip(header, row, strict=True)) == {
        "slug": event.slug,
        "title_el": "Εργαστήριο εξαγωγών",
        "title_en": "Export workshop",
        "category": "Εργαστήρια",
        "topics": "Τεχνητή νοημοσύνη; Χρηματοδότηση",
        "starts_at": starts_at.astimezone(ATHENS).isoformat(),
        "ends_at": (starts_at + datetime.timedelta(hours=2)).astimezone(ATHENS).isoformat(),
        "all_day": "false",
        "venue": "Δημοσκόπιο",
        "address": "Ανδρόγεω 2, Ηράκλειο",
        "online": "false",
        "status": "published",
        "capacity": "",
        "seats_left": "",
        "url": "http://localhost/events/ergastirio",
    }


def test_the_csv_applies_the_filters_and_counts_seats(testapp, dbsession, event_factory):
    talks = add(dbsession, Category(slug="talks", name_el="Ομιλίες"))
    talk = event_factory(category=talks, capacity=10)
    event_factory(starts_at=in_days(2))
    event_factory(category=talks, starts_at=in_days(-20))
    register(dbsession, talk, RegistrationStatus.CONFIRMED)

    header, *rows = _csv_rows(testapp.get("/api/v1/events.csv", {"category": "talks"}))

    assert [row[0] for row in rows] == [talk.slug]
    assert rows[0][header.index("seats_left")] == "9"


def test_the_csv_defuses_spreadsheet_formulas(testapp, event_factory):
    event_factory(title_el="=HYPERLINK(\"http://evil.example\",\"κλικ\")", title_en="+1+1", organiser="x",
                  starts_at=in_days(2))
    event_factory(title_el="@SUM(A1)", title_en="-2", starts_at=in_days(3))

    _, first, second = _csv_rows(testapp.get("/api/v1/events.csv"))

    assert first[1:3] == ["'=HYPERLINK(\"http://evil.example\",\"κλικ\")", "'+1+1"]
    assert second[1:3] == ["'@SUM(A1)", "'-2"]


def test_the_csv_refuses_more_rows_than_its_cap(testapp, event_factory, monkeypatch):
    monkeypatch.setattr(api, "CSV_MAX_ROWS", 2)
    for number in range(3):
        event_factory(starts_at=in_days(number + 1))

    response = testapp.get("/api/v1/events.csv", status=400)

    assert "narrow the dates" in response.json["error"]["message"]
    two_days = in_days(2).astimezone(ATHENS).date().isoformat()
    assert len(_csv_rows(testapp.get("/api/v1/events.csv", {"to": two_days}))) == 3


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"),
    ("+30 2810 000000", "'+30 2810 000000"),
    ("-1", "'-1"),
    ("@cmd", "'@cmd"),
    ("\tindent", "'\tindent"),
    ("\rline", "'\rline"),
    ("Εργαστήριο = καλό", "Εργαστήριο = καλό"),
    ("", ""),
])
def test_csv_safe_defuses_only_cells_that_start_a_formula(value, safe):
    assert csv_safe(value) == safe

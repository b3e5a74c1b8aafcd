"""Public calendar feeds: what they hold, how three independent parsers read them, and their HTTP
caching (built once, shared, never stale after an edit)."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
import vobject
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import func, select, update

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from events import services
from events.calendar import recurring_vtimezone
from events.feeds import calendar_key, personal_feed_url
from events.models import CalendarChange, CalendarKey, Category, Event, EventStatus, RegistrationStatus, Topic, Venue
from events.tasks import prune_calendar_changes
from tests.functional.events_helpers import add_registration

ATHENS = ZoneInfo("Europe/Athens")
DAY = datetime.timedelta(days=1)


def athens(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ATHENS).astimezone(datetime.UTC)


def vevents(body):
    return {str(component["UID"]): component for component in icalendar.Calendar.from_ical(body).walk("VEVENT")}


@pytest.fixture
def places(dbsession):
    dbsession.rollback()
    workshops = Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops")
    funding = Topic(slug="funding", name_el="Χρηματοδότηση", name_en="Funding")
    hub = Venue(name="Δημοσκόπιο, αίθουσα Α", address="Λεωφ. Κνωσού 1, Ηράκλειο",
                latitude=35.3387, longitude=25.1442)
    dbsession.add_all([workshops, funding, hub])
    dbsession.commit()
    return {"workshops": workshops, "funding": funding, "hub": hub}


def test_the_feed_holds_public_events_of_the_last_90_days_onward_and_never_drafts(testapp, event_factory):
    upcoming = event_factory(slug="upcoming")
    recent = event_factory(slug="recent", starts_at=utcnow() - 30 * DAY, ends_at=utcnow() - 30 * DAY + DAY / 12)
    cancelled = event_factory(slug="cancelled", status=EventStatus.CANCELLED)
    event_factory(slug="long-ago", starts_at=utcnow() - 120 * DAY, ends_at=utcnow() - 120 * DAY + DAY / 12)
    event_factory(slug="draft", status=EventStatus.DRAFT)

    response = testapp.get("/calendar.ics")

    assert response.content_type == "text/calendar"
    assert response.charset == "utf-8"
    found = vevents(response.body)
    assert {str(component["URL"]).rsplit("/", 1)[1] for component in found.values()} == {
        upcoming.slug, recent.slug, cancelled.slug}
    assert str(found[f"event-{cancelled.id}@localhost"]["STATUS"]) == "CANCELLED"


def test_the_calendar_has_the_properties_calendar_apps_rely_on(testapp, event_factory):
    event_factory()

    calendar = icalendar.Calendar.from_ical(testapp.get("/calendar.ics").body)

    assert (str(calendar["VERSION"]), str(calendar["CALSCALE"]), str(calendar["METHOD"])) == (
        "2.0", "GREGORIAN", "PUBLISH")
    assert "Dimoskopio" in str(calendar["PRODID"])
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Athens"
    assert calendar["X-WR-CALNAME"] and calendar["X-WR-CALDESC"]
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"]
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Athens"


@pytest.mark.parametrize(("starts", "utc_hour"), [
    (athens(2027, 3, 27, 18), 16),  # Saturday before the March switch: EET, UTC+2
    (athens(2027, 3, 29, 18), 15),  # Monday after it: EEST, UTC+3
    (athens(2027, 10, 30, 18), 15),  # Saturday before the October switch: EEST
    (athens(2027, 11, 1, 18), 16),  # Monday after it: EET
])
def test_times_are_right_on_both_sides_of_the_daylight_saving_switches_in_three_parsers(
        testapp, event_factory, starts, utc_hour, monkeypatch):
    event = event_factory(starts_at=starts, ends_at=starts + datetime.timedelta(hours=2))
    body = testapp.get("/calendar.ics").body

    [written] = vevents(body).values()
    assert written["DTSTART"].dt.astimezone(datetime.UTC).hour == utc_hour
    assert written["DTSTART"].params["TZID"] == "Europe/Athens"
    [parsed] = vobject.readOne(body.decode()).vevent_list
    assert parsed.dtstart.value.astimezone(datetime.UTC).hour == utc_hour
    stream = IcsCalendarStream.calendar_from_ics(body.decode())
    [other] = stream.events
    assert other.dtstart.astimezone(datetime.UTC).hour == utc_hour
    assert other.uid == f"event-{event.id}@localhost"


def test_each_event_carries_its_identity_place_and_text_escaped_and_folded(testapp, event_factory, places):
    title = "Εργαστήριο: κόμματα, ερωτηματικά; και μια πολύ μεγάλη ελληνική γραμμή " * 2
    event = event_factory(title_el=title.strip(), summary_el="Γραμμή μία\nγραμμή δύο", venue_id=places["hub"].id,
                          category_id=places["workshops"].id, sequence=3)

    body = testapp.get("/calendar.ics").body

    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "lines are folded at 75 octets"
    [parsed] = vobject.readOne(body.decode()).vevent_list
    assert parsed.summary.value == title.strip()
    assert "Γραμμή μία\nγραμμή δύο" in parsed.description.value
    assert parsed.description.value.endswith(f"/events/{event.slug}")
    assert parsed.location.value == "Δημοσκόπιο, αίθουσα Α, Λεωφ. Κνωσού 1, Ηράκλειο"
    assert parsed.sequence.value == "3"
    assert parsed.uid.value == f"event-{event.id}@localhost"
    [other] = IcsCalendarStream.calendar_from_ics(body.decode()).events
    assert other.summary == title.strip()
    assert other.categories == ["Εργαστήρια"]
    assert (other.geo.lat, other.geo.lng) == (pytest.approx(35.3387), pytest.approx(25.1442))
    assert other.url.endswith(f"/events/{event.slug}")
    assert other.organizer is not None


def test_all_day_and_multi_day_events_are_dates_with_an_exclusive_end(testapp, event_factory):
    event_factory(all_day=True, starts_at=athens(2027, 6, 4), ends_at=athens(2027, 6, 7))

    body = testapp.get("/calendar.ics").body

    [written] = vevents(body).values()
    assert (written["DTSTART"].dt, written["DTEND"].dt) == (datetime.date(2027, 6, 4), datetime.date(2027, 6, 7))
    assert b"DTSTART;VALUE=DATE:20270604" in body
    [other] = IcsCalendarStream.calendar_from_ics(body.decode()).events
    assert (other.dtstart, other.dtend) == (datetime.date(2027, 6, 4), datetime.date(2027, 6, 7))


def test_category_topic_and_venue_feeds_hold_their_own_events(testapp, dbsession, event_factory, places):
    workshop = event_factory(category_id=places["workshops"].id)
    at_the_hub = event_factory(venue_id=places["hub"].id)
    funded = event_factory()
    dbsession.rollback()
    dbsession.get(Event, funded.id).topics = [dbsession.get(Topic, places["funding"].id)]
    dbsession.commit()

    assert list(vevents(testapp.get("/calendar/workshops.ics").body)) == [f"event-{workshop.id}@localhost"]
    assert list(vevents(testapp.get("/calendar/topics/funding.ics").body)) == [f"event-{funded.id}@localhost"]
    assert list(vevents(testapp.get(f"/calendar/venues/{places['hub'].id}.ics").body)) == [
        f"event-{at_the_hub.id}@localhost"]
    for missing in ("/calendar/nothing.ics", "/calendar/topics/nothing.ics", "/calendar/venues/999999.ics"):
        testapp.get(missing, status=404)


def test_a_feed_in_english_on_request(testapp, event_factory):
    event_factory(title_el="Βραδιά παρουσιάσεων", title_en="Pitch night")

    [english] = vevents(testapp.get("/calendar.ics", {"lang": "en"}).body).values()
    [greek] = vevents(testapp.get("/calendar.ics").body).values()

    assert (str(english["SUMMARY"]), str(greek["SUMMARY"])) == ("Pitch night", "Βραδιά παρουσιάσεων")


def test_public_feeds_carry_no_personal_data_and_no_join_link(testapp, event_factory, user_factory):
    event = event_factory(online_url="https://meet.example.org/secret-room")

    body = testapp.get("/calendar.ics").body

    assert b"secret-room" not in body
    assert b"ATTENDEE" not in body
    [component] = vevents(body).values()
    assert str(component["LOCATION"]).endswith("Διαδικτυακά"), "it says the event is online"
    assert "Ο σύνδεσμος συμμετοχής αποστέλλεται σε όλους τους εγγεγραμμένους." in str(component["DESCRIPTION"])
    assert str(component["URL"]) == f"http://localhost/events/{event.slug}", "where to register"


def test_conditional_requests_get_304_and_head_works(testapp, event_factory):
    event_factory()
    first = testapp.get("/calendar.ics")

    assert first.headers["Cache-Control"] == "public, max-age=900"
    assert first.etag and first.headers["Last-Modified"]
    assert testapp.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}, status=304).body == b""
    assert testapp.get("/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]},
                       status=304).body == b""
    head = testapp.head("/calendar.ics")
    assert (head.status_int, head.body, head.headers["ETag"]) == (200, b"", first.headers["ETag"])
    assert "Set-Cookie" not in first.headers


def test_a_304_reads_the_stored_feeds_validators_but_not_its_body(testapp, engine, event_factory):
    event_factory()
    etag = testapp.get("/calendar.ics").headers["ETag"]
    statements = []

    def record(*args):
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        testapp.get("/calendar.ics", headers={"If-None-Match": etag}, status=304)
        not_modified = list(statements)
        testapp.get("/calendar.ics")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    full = statements[len(not_modified):]

    def reads_body(statement):
        return "calendar_feeds.body" in statement

    assert any("calendar_feeds" in statement for statement in not_modified)
    assert not any(reads_body(statement) for statement in not_modified)
    assert any(reads_body(statement) for statement in full)


def test_a_feed_is_built_once_then_served_from_the_shared_cache_until_an_event_changes(
        testapp, dbsession, event_factory, app):
    event = event_factory(title_el="Πρώτος τίτλος")
    first = testapp.get("/calendar.ics")
    again = testapp.get("/calendar.ics")
    assert again.body == first.body, "the second request is served the stored copy"

    dbsession.rollback()
    dbsession.get(Event, event.id).title_el = "Νέος τίτλος"
    dbsession.commit()
    changed = testapp.get("/calendar.ics")

    assert changed.etag != first.etag
    assert "Νέος τίτλος" in changed.text
    testapp.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}, status=200)


def test_old_calendar_changes_are_pruned_nightly_and_feeds_stay_right(testapp, dbsession, event_factory):
    event = event_factory(title_el="Πρώτος τίτλος")
    for number in range(3):
        dbsession.get(Event, event.id).title_el = f"Τίτλος {number}"
        dbsession.commit()
    before = testapp.get("/calendar.ics")
    dbsession.execute(update(CalendarChange).values(changed_at=utcnow() - 2 * DAY))
    dbsession.commit()
    newest = dbsession.scalar(select(func.max(CalendarChange.id)))
    dbsession.rollback()

    assert prune_calendar_changes.call_local() > 0
    assert prune_calendar_changes.call_local() == 0
    assert dbsession.scalars(select(CalendarChange.id)).all() == [newest], "the newest change is kept"
    rebuilt = testapp.get("/calendar.ics")
    assert (rebuilt.body, rebuilt.etag, rebuilt.headers["Last-Modified"]) == (
        before.body, before.etag, before.headers["Last-Modified"]), "the same feed, so clients keep their 304s"

    dbsession.rollback()
    dbsession.get(Event, event.id).title_el = "Τίτλος μετά"
    dbsession.commit()
    assert "Τίτλος μετά" in testapp.get("/calendar.ics").text


def test_renaming_a_venue_rebuilds_the_feeds_that_show_it(testapp, dbsession, event_factory, places):
    event_factory(venue_id=places["hub"].id)
    before = testapp.get("/calendar.ics").text
    dbsession.rollback()
    dbsession.get(Venue, places["hub"].id).name = "Νέα αίθουσα"
    dbsession.commit()

    after = testapp.get("/calendar.ics").text

    assert "αίθουσα Α" in before and "Νέα αίθουσα" in after


def test_building_a_feed_takes_the_same_number_of_queries_for_few_and_many_events(
        testapp, engine, event_factory, dbsession):
    def cold_queries():
        statements = []

        def record(*args):
            statements.append(args[2])

        dbsession.rollback()
        dbsession.execute(sa.text("DELETE FROM calendar_feeds"))
        dbsession.commit()
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            testapp.get("/calendar.ics")
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    for _ in range(3):
        event_factory()
    few = cold_queries()
    for _ in range(30):
        event_factory()
    many = cold_queries()

    assert few == many


def test_the_time_zone_is_written_with_yearly_rules_and_zones_without_them_fall_back():
    athens_zone = recurring_vtimezone("Europe/Athens", 2027)
    [daylight] = athens_zone.walk("DAYLIGHT")
    [standard] = athens_zone.walk("STANDARD")

    assert (daylight["DTSTART"].dt, daylight["RRULE"].to_ical()) == (
        datetime.datetime(1970, 3, 29, 3, 0), b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3")
    assert (standard["DTSTART"].dt, standard["RRULE"].to_ical()) == (
        datetime.datetime(1970, 10, 25, 4, 0), b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10")
    assert (str(daylight["TZNAME"]), str(standard["TZNAME"])) == ("EEST", "EET")
    assert recurring_vtimezone("Asia/Tokyo", 2027) is None, "no clock changes: icalendar's own listing is used"


# --- personal feeds ---------------------------------------------------------------------------


def personal_path(testapp, dbsession, email):
    with task_request() as request:
        url = personal_feed_url(request, calendar_key(request.dbsession, email))
    return url.replace("http://localhost", "")


def test_a_personal_feed_holds_only_that_persons_registrations_with_their_status(
        testapp, dbsession, event_factory):
    confirmed = event_factory(online_url="https://meet.example.org/room-1")
    waiting = event_factory(online_url="https://meet.example.org/room-2")
    cancelled = event_factory()
    someone_elses = event_factory()
    add_registration(dbsession, confirmed, RegistrationStatus.CONFIRMED, email="eleni@example.gr")
    add_registration(dbsession, waiting, RegistrationStatus.WAITING, email="eleni@example.gr")
    add_registration(dbsession, cancelled, RegistrationStatus.CANCELLED, email="eleni@example.gr")
    add_registration(dbsession, someone_elses, RegistrationStatus.CONFIRMED, email="nikos@example.gr",
                     name="Νίκος Άλλος")

    response = testapp.get(personal_path(testapp, dbsession, "eleni@example.gr"))

    found = vevents(response.body)
    assert {uid: str(component["STATUS"]) for uid, component in found.items()} == {
        f"event-{confirmed.id}@localhost": "CONFIRMED",
        f"event-{waiting.id}@localhost": "TENTATIVE",
        f"event-{cancelled.id}@localhost": "CANCELLED",
    }
    assert b"room-1" in response.body and b"room-2" not in response.body, "the join link comes with a seat"
    assert "Νίκος" not in response.text and "nikos@" not in response.text
    assert response.headers["Cache-Control"] == "private, max-age=900"
    assert len(vobject.readOne(response.text).vevent_list) == 3
    assert len(IcsCalendarStream.calendar_from_ics(response.text).events) == 3


def test_a_tampered_personal_link_finds_nothing(testapp, dbsession, event_factory):
    path = personal_path(testapp, dbsession, "eleni@example.gr")
    key_id, signature = path.rsplit("/", 1)[1].removesuffix(".ics").split("-", 1)

    testapp.get(f"/calendar/personal/{key_id}-{signature[:-2]}xy.ics", status=404)
    testapp.get(f"/calendar/personal/{int(key_id) + 1}-{signature}.ics", status=404)
    testapp.get("/calendar/personal/not-a-token.ics", status=404)


def my_feed_link(testapp):
    """The member's personal feed link on My events, asked for first if they have none."""
    page = testapp.get("/events/my")
    if page.html.select_one("#personal-feed-url") is None:
        form = next(form for form in page.forms.values() if form.action == "/events/my/calendar-link")
        form.submit(status=303)
        page = testapp.get("/events/my")
    return page.html.select_one("#personal-feed-url")["value"]


def test_members_get_their_feed_link_on_my_events_and_can_replace_it(testapp, dbsession, logged_in):
    logged_in(Role.MEMBER)
    first_visit = testapp.get("/events/my")
    assert first_visit.html.select_one("#personal-feed-url") is None
    dbsession.rollback()
    assert dbsession.scalars(select(CalendarKey)).all() == [], "looking at the page makes no key"

    old_link = my_feed_link(testapp)
    page = testapp.get("/events/my")
    assert page.html.select_one(f"a[href='{old_link.replace('http://', 'webcal://')}']") is not None
    testapp.get(old_link.replace("http://localhost", ""), status=200)

    form = next(form for form in page.forms.values() if form.action == "/events/my/calendar-link")
    form.submit(status=303)

    testapp.get(old_link.replace("http://localhost", ""), status=404)
    new_link = testapp.get("/events/my").html.select_one("#personal-feed-url")["value"]
    assert new_link != old_link
    testapp.get(new_link.replace("http://localhost", ""), status=200)


def test_a_registrant_without_an_account_replaces_their_feed_link_from_their_registration_page(
        testapp, dbsession, event_factory, outbox):
    registration = add_registration(dbsession, event_factory(), email="eleni@example.gr")
    old_path = personal_path(testapp, dbsession, "eleni@example.gr")
    testapp.get(old_path, status=200)
    token = services.manage_token(testapp.app.registry.settings["dimoskopio.secret"], registration)

    page = testapp.get(f"/events/registration/{token}")
    form = next(form for form in page.forms.values() if "calendar_link" in form.text)
    form.submit("action", status=303)

    testapp.get(old_path, status=404)
    [email] = outbox()
    assert email["To"] == "eleni@example.gr"
    text = email.get_body(("plain",)).get_content()
    new_path = next(word for word in text.split() if word.startswith("webcal://")).replace("webcal://localhost", "")
    assert new_path != old_path
    assert "BEGIN:VEVENT" in testapp.get(new_path, status=200).text


def test_the_confirmation_email_offers_the_personal_feed(testapp, event_factory, outbox):
    event = event_factory()
    form = testapp.get(f"/events/{event.slug}").forms["register-form"]
    form["name"] = "Ελένη Μαρκάκη"
    form["email"] = "eleni@example.gr"
    form["consent"] = True
    form.submit(status=303)

    [confirmation] = outbox()
    text = confirmation.get_body(("plain",)).get_content()
    assert "webcal://localhost/calendar/personal/" in text


def test_one_events_calendar_file_answers_conditional_requests_until_the_event_changes(
        testapp, dbsession, event_factory):
    event = event_factory()
    first = testapp.get(f"/events/{event.slug}.ics")

    testapp.get(f"/events/{event.slug}.ics", headers={"If-None-Match": first.headers["ETag"]}, status=304)
    dbsession.rollback()
    dbsession.get(Event, event.id).title_el = "Άλλος τίτλος"
    dbsession.commit()
    testapp.get(f"/events/{event.slug}.ics", headers={"If-None-Match": first.headers["ETag"]}, status=200)


def test_rebuilding_an_unchanged_feed_gives_the_same_bytes_so_clients_keep_their_304(testapp, dbsession, event_factory):
    event_factory()
    first = testapp.get("/calendar.ics")
    dbsession.rollback()
    dbsession.execute(sa.text("DELETE FROM calendar_feeds"))
    dbsession.commit()

    assert testapp.get("/calendar.ics").body == first.body
    assert b"X-PUBLISHED-TTL:PT1H" in first.body


def test_the_description_is_plain_text_from_the_markdown_with_the_event_address(testapp, event_factory):
    event = event_factory(description_el="Θα δούμε:\n\n- το **πρόβλημα**\n- τη [λύση](https://example.org)")

    [parsed] = vobject.readOne(testapp.get("/calendar.ics").text).vevent_list

    assert "- το πρόβλημα\n- τη λύση (https://example.org)" in parsed.description.value
    assert "**" not in parsed.description.value and "](" not in parsed.description.value
    assert parsed.description.value.endswith(f"http://localhost/events/{event.slug}")


def test_a_venue_that_changes_its_address_raises_the_sequence_of_its_coming_events(
        testapp, dbsession, event_factory, places, logged_in):
    coming = event_factory(venue_id=places["hub"].id)
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/events/venues/{places['hub'].id}")
    form = next(form for form in page.forms.values() if "address" in form.fields)
    form["address"] = "Πλατεία Ελευθερίας 2, Ηράκλειο"
    form.submit(status=303)

    [parsed] = vobject.readOne(testapp.get("/calendar.ics").text).vevent_list

    assert parsed.sequence.value == "1"
    assert parsed.location.value == "Δημοσκόπιο, αίθουσα Α, Πλατεία Ελευθερίας 2, Ηράκλειο"
    assert coming.id


def test_a_centre_in_a_zone_without_last_sunday_rules_still_describes_its_zone(make_app, event_factory):
    event_factory()
    client = make_app(**{"dimoskopio.timezone": "America/New_York"})

    body = client.get("/calendar.ics").body

    calendar = icalendar.Calendar.from_ical(body)
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    [parsed] = vobject.readOne(body.decode()).vevent_list
    assert parsed.dtstart.value.utcoffset() in (datetime.timedelta(hours=-5), datetime.timedelta(hours=-4))


def test_a_members_feed_includes_registrations_made_from_the_account_under_another_address(
        testapp, dbsession, event_factory, logged_in):
    member = logged_in(Role.MEMBER)
    event = event_factory()
    add_registration(dbsession, event, RegistrationStatus.CONFIRMED, email="old-address@example.gr",
                     user_id=member.id)

    link = my_feed_link(testapp)

    assert list(vevents(testapp.get(link.replace("http://localhost", "")).body)) == [f"event-{event.id}@localhost"]

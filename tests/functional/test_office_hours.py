"""Office hours through the real app: mentors publish and withdraw times, founders of assigned
startups book, cancel and move them, both sides get invitations, the mentor writes notes, and the
mentor's calendar feed lists their sessions."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from incubator.models import (
    MentorAssignment,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    SessionMode,
    Startup,
)
from tests.conftest import login, make_user
from tests.functional.conftest import csrf_token, new_client, queued_mail
from tests.functional.events_helpers import attachments, calendar_event
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import errors, fill, make_startup
from tests.functional.test_mentors import assign, make_mentor, make_session, make_slot

ATHENS = ZoneInfo("Europe/Athens")
SOON = datetime.timedelta(days=3)
AGO = -datetime.timedelta(hours=3)


def reloaded(dbsession: Session, model: type[Any], row_id: int) -> Any:
    dbsession.rollback()
    return dbsession.get(model, row_id)


def sessions_count(dbsession: Session) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(MentorSession))


def invitation_of(message: Any) -> tuple[icalendar.Calendar, icalendar.Event]:
    [(content_type, data)] = [value for name, value in attachments(message).items() if name.endswith(".ics")]
    assert content_type == "text/calendar"
    return calendar_event(data if isinstance(data, bytes) else data.encode())


@pytest.fixture
def mentor(dbsession: Session) -> MentorProfile:
    return make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr", tags=("marketing",))


@pytest.fixture
def startup(dbsession: Session, mentor: MentorProfile) -> Startup:
    """OliveSense, with two founders, and the mentor assigned to it."""
    startup = make_startup(dbsession, "OliveSense")
    for email, name, locale in (("eleni@example.gr", "Ελένη Φουντουλάκη", "el"),
                                ("kostas@example.gr", "Kostas Petrakis", "en")):
        on_team(dbsession, startup, make_user(dbsession, email=email, name=name, role=Role.FOUNDER,
                                              locale=locale))
    assign(dbsession, mentor, startup)
    return startup


@pytest.fixture
def founder(testapp, startup: Startup) -> None:
    """The test app, logged in as OliveSense's first founder."""
    login(testapp, "eleni@example.gr")


@pytest.fixture
def as_mentor(testapp, mentor: MentorProfile) -> None:
    login(testapp, "anna@example.gr")


def book_path(startup: Startup, slot: OfficeHourSlot) -> str:
    return f"/account/startups/{startup.id}/office-hours/{slot.id}"


def book(testapp, startup: Startup, slot: OfficeHourSlot, topic: str = "Τιμολόγηση", status: int | str = 303):
    form = testapp.get(book_path(startup, slot)).forms["booking-form"]
    form["topic"] = topic
    return form.submit(status=status)


# --- publishing and withdrawing slots ---------------------------------------------------------


def test_a_mentor_publishes_a_slot_in_athens_time_stored_in_utc(testapp, dbsession, mentor, as_mentor):
    day = (utcnow().astimezone(ATHENS) + SOON).date()
    form = testapp.get("/account/mentoring/office-hours").forms["slot-form"]
    fill(form, day=day.isoformat(), start="10:30", minutes="45", mode="online",
         location="https://meet.example.gr/anna")

    form.submit().follow()

    dbsession.rollback()
    [slot] = dbsession.scalars(select(OfficeHourSlot)).all()
    expected = datetime.datetime.combine(day, datetime.time(10, 30), tzinfo=ATHENS)
    assert slot.starts_at == expected
    assert slot.ends_at - slot.starts_at == datetime.timedelta(minutes=45)
    assert slot.mode == SessionMode.ONLINE
    page = testapp.get("/account/mentoring/office-hours")
    assert len(page.html.select("#my-slots tbody tr")) == 1


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"start": "09:00", "day_offset": -1}, "start", "This time has already passed."),
    ({"minutes": "5"}, "minutes", "Enter a length between ${min} and ${max} minutes."),
    ({"minutes": "500"}, "minutes", "Enter a length between ${min} and ${max} minutes."),
    ({"start": "10:30"}, "start", "You already have office hours at this time."),
    ({"mode": "online", "location": "Αίθουσα 2"}, "location",
     "Online, give the meeting link, starting with https://"),
    ({"location": ""}, "location", "This field is required."),
    ({"day_offset": 400}, "start", "Office hours may be published at most a year ahead."),
])
def test_bad_slots_are_refused_next_to_the_field(testapp, dbsession, mentor, as_mentor, tr, values, field, message):
    day = (utcnow().astimezone(ATHENS) + SOON).date()
    existing = datetime.datetime.combine(day, datetime.time(10), tzinfo=ATHENS)
    dbsession.add(OfficeHourSlot(mentor_id=mentor.id, starts_at=existing,
                                 ends_at=existing + datetime.timedelta(hours=1), location="Αίθουσα 1"))
    dbsession.commit()
    offset = values.pop("day_offset", None)
    if offset is not None:
        day = utcnow().astimezone(ATHENS).date() + datetime.timedelta(days=offset)
    form = testapp.get("/account/mentoring/office-hours").forms["slot-form"]
    fill(form, **{"day": day.isoformat(), "start": "12:00", "minutes": "60", "mode": "in_person",
                  "location": "Αίθουσα 1", **values})

    page = form.submit(status=400)

    assert errors(page)[field] == tr(message, min=15, max=240)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(OfficeHourSlot)) == 1


def test_withdrawing_a_booked_slot_cancels_the_session_and_tells_the_founders(
        testapp, dbsession, mentor, startup, as_mentor, outbox):
    slot = make_slot(dbsession, mentor, SOON)
    session = make_session(dbsession, slot, startup)
    form = next(form for form in testapp.get("/account/mentoring/office-hours").forms.values()
            if form.action.endswith(f"/office-hours/{slot.id}/withdraw"))

    form.submit().follow()

    assert reloaded(dbsession, OfficeHourSlot, slot.id).withdrawn_at is not None
    cancelled = reloaded(dbsession, MentorSession, session.id)
    assert cancelled.status == MentorSessionStatus.CANCELLED
    messages = outbox()
    assert sorted(message["To"] for message in messages) == ["eleni@example.gr", "kostas@example.gr"]
    calendar, event = invitation_of(messages[0])
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_a_mentor_cannot_withdraw_another_mentors_slot(testapp, dbsession, mentor, as_mentor):
    other = make_mentor(dbsession, "Άλλος Μέντορας", "other@example.gr")
    slot = make_slot(dbsession, other, SOON)

    testapp.post(f"/account/mentoring/office-hours/{slot.id}/withdraw", {"csrf_token": csrf_token(testapp)},
                 status=404)

    assert reloaded(dbsession, OfficeHourSlot, slot.id).withdrawn_at is None


# --- booking ----------------------------------------------------------------------------------


def test_founders_see_only_their_mentors_future_open_slots(testapp, dbsession, mentor, startup, founder):
    open_slot = make_slot(dbsession, mentor, SOON)
    make_session(dbsession, make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=2)),
                 make_startup(dbsession, "HelioGrid"))
    make_slot(dbsession, mentor, AGO)
    make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=4), withdrawn_at=utcnow())
    make_slot(dbsession, make_mentor(dbsession, "Ξένος Μέντορας", "stranger@example.gr"), SOON)

    page = testapp.get("/account/office-hours")

    links = [link["href"] for link in page.html.select(f"#startup-{startup.id} .open-slots a")]
    assert links == [book_path(startup, open_slot)]


def test_booking_stores_the_session_and_emails_invitations_to_the_mentor_and_the_founders(
        testapp, dbsession, mentor, startup, founder, outbox):
    slot = make_slot(dbsession, mentor, SOON, mode=SessionMode.ONLINE, location="https://meet.example.gr/x")

    book(testapp, startup, slot, "Σχέδιο εξαγωγών").follow()

    dbsession.rollback()
    [session] = dbsession.scalars(select(MentorSession)).all()
    assert (session.slot_id, session.startup_id, session.topic) == (slot.id, startup.id, "Σχέδιο εξαγωγών")
    assert session.status == MentorSessionStatus.BOOKED
    assert {(sent.template, sent.recipient, sent.locale) for sent in queued_mail(dbsession)} == {
        ("session-booked", "anna@example.gr", "el"), ("session-booked", "eleni@example.gr", "el"),
        ("session-booked", "kostas@example.gr", "en")}
    uids = set()
    for message in outbox():
        calendar, event = invitation_of(message)
        assert calendar["METHOD"] == "REQUEST"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == slot.starts_at
        assert event.decoded("DTEND") == slot.ends_at
        assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
        assert str(event["ORGANIZER"]) == "mailto:anna@example.gr"
        assert sorted(str(attendee) for attendee in event["ATTENDEE"]) == [
            "mailto:eleni@example.gr", "mailto:kostas@example.gr"]
        assert str(event["LOCATION"]) == "https://meet.example.gr/x"
        assert str(event["URL"]) == "https://meet.example.gr/x"
        html = message.get_body(("html",)).get_content()
        assert '<a href="https://meet.example.gr/x"' in html
        uids.add(str(event["UID"]))
    assert uids == {f"mentor-session-{session.id}@localhost"}


def test_only_an_online_slots_web_address_is_shown_as_a_meeting_link(testapp, dbsession, mentor, startup, founder):
    online = make_slot(dbsession, mentor, SOON, mode=SessionMode.ONLINE, location="https://meet.example.gr/x")
    in_person = make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=3), location="http://maps.example.gr")

    page = testapp.get("/account/office-hours")

    links = [link["href"] for link in page.html.select(f"#startup-{startup.id} .open-slots a")]
    assert "https://meet.example.gr/x" in links
    assert "http://maps.example.gr" not in links
    assert "http://maps.example.gr" in page.text
    assert (online.meeting_link, in_person.meeting_link) == ("https://meet.example.gr/x", None)


def test_a_slot_is_never_booked_twice(app, testapp, dbsession, mentor, startup, founder, tr):
    other = make_startup(dbsession, "HelioGrid")
    on_team(dbsession, other, make_user(dbsession, email="giorgos@example.gr", name="Γιώργος", role=Role.FOUNDER))
    assign(dbsession, mentor, other)
    slot = make_slot(dbsession, mentor, SOON)
    rival = new_client(app)
    login(rival, "giorgos@example.gr")
    late_form = rival.get(book_path(other, slot)).forms["booking-form"]
    late_form["topic"] = "Κι εμείς"

    book(testapp, startup, slot)
    page = late_form.submit(status=409)

    assert tr("Someone has just booked this time. Please choose another one.") in page.text
    dbsession.rollback()
    assert dbsession.scalars(select(MentorSession.startup_id)).all() == [startup.id]


def test_past_and_withdrawn_slots_are_refused(testapp, dbsession, mentor, startup, founder, tr):
    past = make_slot(dbsession, mentor, AGO)
    withdrawn = make_slot(dbsession, mentor, SOON, withdrawn_at=utcnow())

    for slot, message in ((past, "This time has already passed."),
                          (withdrawn, "The mentor has withdrawn this time.")):
        page = testapp.post(book_path(startup, slot), {"topic": "Θέμα", "csrf_token": csrf_token(testapp)},
                            status=400)
        assert tr(message) in page.text
    assert sessions_count(dbsession) == 0


def test_a_slot_of_a_mentor_not_assigned_to_the_startup_is_not_found(testapp, dbsession, startup, founder):
    stranger = make_mentor(dbsession, "Ξένος Μέντορας", "stranger@example.gr")
    slot = make_slot(dbsession, stranger, SOON)

    testapp.get(book_path(startup, slot), status=404)
    testapp.post(book_path(startup, slot), {"topic": "Θέμα", "csrf_token": csrf_token(testapp)}, status=404)

    assert sessions_count(dbsession) == 0


def test_founders_cannot_book_for_another_startup(testapp, dbsession, mentor, startup, founder):
    other = make_startup(dbsession, "HelioGrid")
    assign(dbsession, mentor, other)
    slot = make_slot(dbsession, mentor, SOON)

    testapp.post(book_path(other, slot), {"topic": "Θέμα", "csrf_token": csrf_token(testapp)}, status=404)

    assert sessions_count(dbsession) == 0


def test_a_booking_needs_a_topic_of_reasonable_length(testapp, dbsession, mentor, startup, founder, tr):
    slot = make_slot(dbsession, mentor, SOON)

    empty = book(testapp, startup, slot, "   ", status=400)
    long = book(testapp, startup, slot, "x" * 501, status=400)

    assert errors(empty)["topic"] == tr("This field is required.")
    assert errors(long)["topic"] == tr("Must be at most ${max} characters.", max=500)
    assert sessions_count(dbsession) == 0


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MENTOR])
def test_only_founders_have_office_hours_screens(testapp, logged_in, dbsession, mentor, startup, role):
    slot = make_slot(dbsession, mentor, SOON)
    logged_in(role)

    testapp.get("/account/office-hours", status=403)
    testapp.get(book_path(startup, slot), status=403)


# --- cancelling and moving --------------------------------------------------------------------


def founder_session_path(startup: Startup, session: MentorSession) -> str:
    return f"/account/startups/{startup.id}/sessions/{session.id}"


def test_a_founder_cancels_and_both_sides_get_a_cancel_invitation(
        testapp, dbsession, mentor, startup, founder, outbox):
    slot = make_slot(dbsession, mentor, SOON)
    book(testapp, startup, slot)
    dbsession.rollback()
    session_id = dbsession.scalar(select(MentorSession.id))
    form = testapp.get(founder_session_path(startup, reloaded(dbsession, MentorSession, session_id))).forms[
        "cancel-form"]
    form["reason"] = "Ταξίδι σε έκθεση"

    form.submit().follow()

    session = reloaded(dbsession, MentorSession, session_id)
    assert (session.status, session.cancel_reason, session.sequence) == (
        MentorSessionStatus.CANCELLED, "Ταξίδι σε έκθεση", 1)
    cancelled = [message for message in outbox() if invitation_of(message)[0]["METHOD"] == "CANCEL"]
    assert sorted(message["To"] for message in cancelled) == [
        "anna@example.gr", "eleni@example.gr", "kostas@example.gr"]
    _calendar, event = invitation_of(cancelled[0])
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == (
        f"mentor-session-{session_id}@localhost", 1, "CANCELLED")
    assert [link["href"] for link in testapp.get("/account/office-hours").html.select(".open-slots a")] == [
        book_path(startup, slot)], "the time is open again"


def test_a_mentor_cancels_a_booking(testapp, dbsession, mentor, startup, as_mentor, outbox):
    session = make_session(dbsession, make_slot(dbsession, mentor, SOON), startup)
    form = testapp.get(f"/account/mentoring/sessions/{session.id}").forms["cancel-form"]

    form.submit().follow()

    assert reloaded(dbsession, MentorSession, session.id).status == MentorSessionStatus.CANCELLED
    assert sorted(message["To"] for message in outbox()) == [
        "anna@example.gr", "eleni@example.gr", "kostas@example.gr"]


def test_a_started_session_cannot_be_cancelled(testapp, dbsession, mentor, startup, founder, tr):
    session = make_session(dbsession, make_slot(dbsession, mentor, AGO), startup)

    page = testapp.post(f"{founder_session_path(startup, session)}/cancel",
                        {"reason": "", "csrf_token": csrf_token(testapp)}, status=400)

    assert tr("The session has already started.") in page.text
    assert reloaded(dbsession, MentorSession, session.id).status == MentorSessionStatus.BOOKED


def test_moving_a_booking_frees_the_old_slot_takes_the_new_and_updates_both_calendars(
        testapp, dbsession, mentor, startup, founder, outbox):
    old = make_slot(dbsession, mentor, SOON)
    new = make_slot(dbsession, mentor, SOON + datetime.timedelta(days=1))
    book(testapp, startup, old)
    dbsession.rollback()
    session_id = dbsession.scalar(select(MentorSession.id))
    form = testapp.get(founder_session_path(startup, reloaded(dbsession, MentorSession, session_id))).forms[
        "reschedule-form"]
    form["slot_id"] = str(new.id)

    form.submit().follow()

    session = reloaded(dbsession, MentorSession, session_id)
    assert (session.slot_id, session.status, session.sequence) == (new.id, MentorSessionStatus.BOOKED, 1)
    assert sessions_count(dbsession) == 1
    # The mail folder keeps the booking's invitations too; the move's are those of a later SEQUENCE.
    messages = [message for message in outbox() if invitation_of(message)[1]["SEQUENCE"] > 0]
    assert sorted(message["To"] for message in messages) == [
        "anna@example.gr", "eleni@example.gr", "kostas@example.gr"]
    assert {(sent.template, sent.recipient) for sent in queued_mail(dbsession)
            if sent.template == "session-rescheduled"} == {
        ("session-rescheduled", address) for address in ("anna@example.gr", "eleni@example.gr", "kostas@example.gr")}
    for message in messages:
        calendar, event = invitation_of(message)
        assert calendar["METHOD"] == "REQUEST"
        assert (str(event["UID"]), event["SEQUENCE"]) == (f"mentor-session-{session_id}@localhost", 1)
        assert event.decoded("DTSTART") == new.starts_at
    assert [link["href"] for link in testapp.get("/account/office-hours").html.select(".open-slots a")] == [
        book_path(startup, old)]


def test_a_booking_cannot_move_to_a_taken_slot_its_own_or_another_mentors(testapp, dbsession, mentor, startup, founder):
    old = make_slot(dbsession, mentor, SOON)
    session = make_session(dbsession, old, startup)
    taken = make_slot(dbsession, mentor, SOON + datetime.timedelta(days=1))
    make_session(dbsession, taken, make_startup(dbsession, "HelioGrid"))
    foreign = make_slot(dbsession, make_mentor(dbsession, "Ξένος", "stranger@example.gr"), SOON)

    for slot, status in ((taken, 409), (foreign, 400), (old, 400)):
        testapp.post(f"{founder_session_path(startup, session)}/reschedule",
                     {"slot_id": str(slot.id), "csrf_token": csrf_token(testapp)}, status=status)
    testapp.post(f"{founder_session_path(startup, session)}/reschedule",
                 {"slot_id": "999999", "csrf_token": csrf_token(testapp)}, status=400)

    assert reloaded(dbsession, MentorSession, session.id).slot_id == old.id


def test_another_startups_session_is_not_found(testapp, dbsession, mentor, startup, founder):
    other = make_startup(dbsession, "HelioGrid")
    session = make_session(dbsession, make_slot(dbsession, mentor, SOON), other)

    testapp.get(founder_session_path(startup, session), status=404)
    testapp.get(founder_session_path(other, session), status=404)
    testapp.post(f"{founder_session_path(other, session)}/cancel", {"csrf_token": csrf_token(testapp)}, status=404)

    assert reloaded(dbsession, MentorSession, session.id).status == MentorSessionStatus.BOOKED


# --- notes and minutes ------------------------------------------------------------------------


def test_notes_wait_until_the_session_has_started(testapp, dbsession, mentor, startup, as_mentor, tr):
    session = make_session(dbsession, make_slot(dbsession, mentor, SOON), startup)

    page = testapp.get(f"/account/mentoring/sessions/{session.id}")
    assert "notes-form" not in page.forms
    refused = testapp.post(f"/account/mentoring/sessions/{session.id}",
                           {"notes": "Πρόωρες", "minutes_logged": "30", "csrf_token": csrf_token(testapp)},
                           status=400)

    assert tr("Notes can be written once the session has started.") in refused.text
    assert reloaded(dbsession, MentorSession, session.id).notes == ""


@pytest.mark.parametrize(("minutes", "message"), [
    ("0", "Enter a length between ${min} and ${max} minutes."),
    ("601", "Enter a length between ${min} and ${max} minutes."),
    ("", "This field is required."),
])
def test_logged_minutes_must_be_plausible(testapp, dbsession, mentor, startup, as_mentor, tr, minutes, message):
    session = make_session(dbsession, make_slot(dbsession, mentor, AGO), startup)
    form = testapp.get(f"/account/mentoring/sessions/{session.id}").forms["notes-form"]
    fill(form, notes="Σημειώσεις", minutes_logged=minutes)

    page = form.submit(status=400)

    assert errors(page)["minutes_logged"] == tr(message, min=1, max=600)
    assert reloaded(dbsession, MentorSession, session.id).minutes_logged is None


def test_notes_are_seen_by_staff_and_the_startups_founders_only(app, testapp, dbsession, mentor, startup, as_mentor):
    session = make_session(dbsession, make_slot(dbsession, mentor, AGO), startup)
    form = testapp.get(f"/account/mentoring/sessions/{session.id}").forms["notes-form"]
    fill(form, notes="Συμφωνήσαμε σε πιλοτικό με πέντε πελάτες.", minutes_logged="50")
    form.submit().follow()
    stored = reloaded(dbsession, MentorSession, session.id)
    assert (stored.minutes_logged, stored.notes_at is not None) == (50, True)
    note = "Συμφωνήσαμε σε πιλοτικό με πέντε πελάτες."

    founder = new_client(app)
    login(founder, "eleni@example.gr")
    assert note in founder.get(founder_session_path(startup, session)).text
    assert note in founder.get("/account/office-hours").text

    staff = new_client(app)
    login(staff, make_user(dbsession, email="staff@example.gr", role=Role.STAFF).email)
    assert note in staff.get(f"/admin/incubator/startups/{startup.id}/mentors").text
    assert note in staff.get(f"/admin/incubator/mentors/{mentor.id}").text

    outsider = new_client(app)
    other = make_startup(dbsession, "HelioGrid")
    on_team(dbsession, other, make_user(dbsession, email="giorgos@example.gr", name="Γιώργος", role=Role.FOUNDER))
    login(outsider, "giorgos@example.gr")
    outsider.get(founder_session_path(other, session), status=404)
    assert note not in outsider.get("/account/office-hours").text

    colleague = new_client(app)
    make_mentor(dbsession, "Άλλος Μέντορας", "colleague@example.gr")
    login(colleague, "colleague@example.gr")
    colleague.get(f"/account/mentoring/sessions/{session.id}", status=404)
    colleague.get(f"/account/mentoring/startups/{startup.id}", status=404)

    assert note not in new_client(app).get("/mentors").text


# --- the mentor's calendar feed ---------------------------------------------------------------


def test_the_feed_lists_only_the_mentors_sessions_with_cancelled_ones_marked(testapp, dbsession, mentor, startup):
    booked = make_session(dbsession, make_slot(dbsession, mentor, SOON), startup)
    cancelled = make_session(dbsession, make_slot(dbsession, mentor, SOON + datetime.timedelta(days=1)), startup,
                             status=MentorSessionStatus.CANCELLED, cancelled_at=utcnow(), sequence=1)
    make_slot(dbsession, mentor, SOON + datetime.timedelta(days=2))
    other = make_mentor(dbsession, "Άλλος Μέντορας", "colleague@example.gr")
    make_session(dbsession, make_slot(dbsession, other, SOON), startup)

    response = testapp.get(f"/mentors/feed/{mentor.feed_token}.ics")

    assert response.content_type == "text/calendar"
    assert "private" in response.headers["Cache-Control"]
    events = {str(event["UID"]): event for event in icalendar.Calendar.from_ical(response.body).walk("VEVENT")}
    assert set(events) == {f"mentor-session-{booked.id}@localhost", f"mentor-session-{cancelled.id}@localhost"}
    assert str(events[f"mentor-session-{booked.id}@localhost"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"mentor-session-{cancelled.id}@localhost"]["STATUS"]) == "CANCELLED"
    assert "anna@example.gr" not in f"/mentors/feed/{mentor.feed_token}.ics"


def test_an_unknown_feed_token_is_not_found(testapp, dbsession, mentor):
    testapp.get("/mentors/feed/not-a-token.ics", status=404)
    testapp.get(f"/mentors/feed/{'x' * 80}.ics", status=404)


def test_a_new_feed_address_makes_the_old_one_stop_working(testapp, dbsession, mentor, as_mentor):
    old = mentor.feed_token
    page = testapp.get("/account/mentoring")
    assert page.html.select_one("#feed-url")["value"].endswith(f"/mentors/feed/{old}.ics")

    page.forms["feed-reset-form"].submit().follow()

    new = reloaded(dbsession, MentorProfile, mentor.id).feed_token
    assert new != old
    testapp.get(f"/mentors/feed/{old}.ics", status=404)
    testapp.get(f"/mentors/feed/{new}.ics", status=200)



def test_the_booking_page_of_a_taken_slot_says_so_without_a_form(testapp, dbsession, mentor, startup, founder, tr):
    slot = make_slot(dbsession, mentor, SOON)
    make_session(dbsession, make_slot(dbsession, mentor, SOON + datetime.timedelta(days=1)), startup)
    other = make_startup(dbsession, "HelioGrid")
    make_session(dbsession, slot, other)

    page = testapp.get(book_path(startup, slot))

    assert "booking-form" not in page.forms
    assert page.html.select_one("#booking-refusal").text == tr(
        "Someone has just booked this time. Please choose another one.")


def test_a_booking_cannot_move_once_the_mentor_is_no_longer_assigned(testapp, dbsession, mentor, startup, founder, tr):
    session = make_session(dbsession, make_slot(dbsession, mentor, SOON), startup)
    later = make_slot(dbsession, mentor, SOON + datetime.timedelta(days=1))
    dbsession.rollback()
    dbsession.execute(MentorAssignment.__table__.delete())
    dbsession.commit()

    page = testapp.get(founder_session_path(startup, session))
    refused = testapp.post(f"{founder_session_path(startup, session)}/reschedule",
                           {"slot_id": str(later.id), "csrf_token": csrf_token(testapp)}, status=400)

    assert "reschedule-form" not in page.forms
    assert tr("The mentor is no longer assigned to your startup.") in refused.text
    assert reloaded(dbsession, MentorSession, session.id).slot_id != later.id
    assert "cancel-form" in page.forms, "the booking made while assigned may still be cancelled"

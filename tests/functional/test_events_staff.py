"""The staff side of events through the real app: editing, schedules, registrations, check-in,
exports, charts, the dashboard and the lists events are grouped by."""

import csv
import datetime
import decimal
import io
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.tasks import run_pending_tasks
from dimoskopio.web import csv_safe
from events.display import when_text
from events.models import (
    Category,
    Event,
    EventLanguage,
    EventStatus,
    Feedback,
    Question,
    QuestionKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
)
from events.services import from_local
from tests.functional.conftest import Sent, csrf_token, queued_mail, text_body

UTC = datetime.UTC
ATHENS = ZoneInfo("Europe/Athens")
NEXT_YEAR = utcnow().year + 1
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'"


@pytest.fixture
def event_factory(event_factory: Any) -> Any:
    """The shared factory's event a week ahead, at a whole minute: the staff form has no seconds, so
    an event with seconds would move (and its registrants be emailed) whenever it is saved."""

    def make(**overrides: Any) -> Event:
        overrides.setdefault("starts_at", utcnow().replace(second=0, microsecond=0) + datetime.timedelta(days=7))
        return event_factory(**overrides)

    return make


@pytest.fixture
def staff(logged_in: Any) -> Any:
    return logged_in(Role.STAFF)


# --- helpers ----------------------------------------------------------------------------------


def form_with(page: Any, field_name: str) -> Any:
    """The form on the page that has a field of this name."""
    return next(form for form in page.forms.values() if field_name in form.fields)


def form_posting_to(page: Any, path: str) -> Any:
    return next(form for form in page.forms.values() if form.action == path)


def local_input(moment: datetime.datetime) -> str:
    """A moment as a datetime-local input shows it in Heraklion."""
    return moment.astimezone(ATHENS).strftime("%Y-%m-%dT%H:%M")


def last_sunday_of_march(year: int) -> datetime.date:
    """The day summer time starts in Greece (and the rest of the EU)."""
    day = datetime.date(year, 3, 31)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def new_event_form(testapp: Any, **values: Any) -> Any:
    form = form_with(testapp.get("/admin/events/new"), "title_el")
    typed = {
        "title_el": "Νύχτα Καινοτομίας στο Ηράκλειο",
        "starts_at": f"{NEXT_YEAR}-05-10T18:00",
        "ends_at": f"{NEXT_YEAR}-05-10T21:00",
        **values,
    }
    for name, value in typed.items():
        form[name] = value
    return form


def tick(form: Any, name: str, value: Any) -> None:
    """Tick the one checkbox of a group that has this value (a box shows its value only when ticked)."""
    for box in form.fields[name]:
        box.checked = True
        box.checked = box.value == str(value)


def edit_form(testapp: Any, event: Event, **values: Any) -> Any:
    form = form_with(testapp.get(f"/admin/events/{event.id}/edit"), "title_el")
    for name, value in values.items():
        form[name] = value
    return form


def events_in(dbsession: Any) -> list[Event]:
    dbsession.rollback()
    return list(dbsession.scalars(select(Event).order_by(Event.starts_at, Event.id)).unique())


def saved(dbsession: Any, *rows: Any) -> tuple[Any, ...]:
    """Store rows for the app to see."""
    dbsession.rollback()  # a fresh snapshot: on SQLite an old one cannot write once the app has
    dbsession.add_all(rows)
    dbsession.commit()
    return rows


def fresh(dbsession: Any, model: type[Any], row_id: int) -> Any:
    """A row as the database has it now."""
    dbsession.rollback()
    return dbsession.get(model, row_id)


def registration_for(dbsession: Any, event: Event, email: str,
                     status: RegistrationStatus = RegistrationStatus.CONFIRMED, **values: Any) -> Registration:
    dbsession.rollback()  # a fresh snapshot: on SQLite an old one cannot write once the app has
    now = utcnow()
    row = Registration(
        event_id=event.id, email=email, status=status,
        name=values.pop("name", email.split("@")[0].capitalize()),
        link_salt=secrets.token_hex(32), checkin_code=secrets.token_urlsafe(18)[:24],
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
        waiting_since=now if status in (RegistrationStatus.WAITING, RegistrationStatus.OFFERED) else None,
        **values,
    )
    dbsession.add(row)
    dbsession.commit()
    return row


def everyone(dbsession: Any, event: Event, **statuses: RegistrationStatus) -> dict[str, Registration]:
    """One registration per status, by the person's first name (their email is name@example.gr)."""
    return {name: registration_for(dbsession, event, f"{name}@example.gr", status)
            for name, status in statuses.items()}


def registration_of(dbsession: Any, email: str) -> Registration:
    dbsession.rollback()
    return dbsession.scalar(select(Registration).where(Registration.email == email))


def status_of(dbsession: Any, registration: Registration) -> RegistrationStatus:
    return fresh(dbsession, Registration, registration.id).status


def mail_sent(dbsession: Any, run_tasks: Any) -> set[Sent]:
    run_tasks()
    return set(queued_mail(dbsession))


def post_action(testapp: Any, event: Event, action: str) -> Any:
    return testapp.post(f"/admin/events/{event.id}/{action}", {"csrf_token": csrf_token(testapp)}, status="*")


def move(testapp: Any, event: Event, registration: Registration, status: str, reason: str = "",
         page_query: str = "") -> Any:
    """Move a registration with the form on the event's staff page."""
    page = testapp.get(f"/admin/events/{event.id}{page_query}")
    form = form_posting_to(page, f"/admin/events/{event.id}/registrations/{registration.id}/move")
    form["status"] = status
    form["reason"] = reason
    return form.submit(status="*")


def add_someone(testapp: Any, event: Event, name: str, email: str, **values: Any) -> Any:
    form = form_with(testapp.get(f"/admin/events/{event.id}"), "walk_in")
    form["name"] = name
    form["email"] = email
    for field_name, value in values.items():
        form[field_name] = value
    return form.submit(status="*")


def error_ids(page: Any) -> set[str]:
    return {element["id"] for element in page.html.select(".error-message")}


def rows_of(dbsession: Any, model: type[Any]) -> list[Any]:
    dbsession.rollback()
    return list(dbsession.scalars(select(model).order_by(model.id)))


def row_count(dbsession: Any, model: type[Any]) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(model))


# --- creating an event ------------------------------------------------------------------------


@pytest.mark.parametrize(("days_from_switch", "utc_hour"), [(-1, 8), (1, 7)], ids=["winter-time", "summer-time"])
def test_a_new_event_is_a_draft_whose_heraklion_times_are_stored_in_utc(
    days_from_switch, utc_hour, testapp, staff, dbsession,
):
    day = last_sunday_of_march(NEXT_YEAR) + datetime.timedelta(days=days_from_switch)
    form = new_event_form(testapp, starts_at=f"{day}T10:00", ends_at=f"{day}T12:30")

    response = form.submit()

    [event] = events_in(dbsession)
    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}"
    assert event.status is EventStatus.DRAFT
    assert event.starts_at == datetime.datetime.combine(day, datetime.time(utc_hour), UTC)
    assert event.ends_at == datetime.datetime.combine(day, datetime.time(utc_hour + 2, 30), UTC)
    shown = form_with(testapp.get(f"/admin/events/{event.id}/edit"), "title_el")
    assert (shown["starts_at"].value, shown["ends_at"].value) == (f"{day}T10:00", f"{day}T12:30")


def test_every_field_of_the_event_form_is_stored(testapp, staff, dbsession):
    category, funding, _marketing, venue, series = saved(
        dbsession,
        Category(slug="workshops", name_el="Εργαστήρια"),
        Topic(slug="funding", name_el="Χρηματοδότηση"),
        Topic(slug="marketing", name_el="Μάρκετινγκ"),
        Venue(name="Βικελαία Βιβλιοθήκη", address="Πλατεία Λιονταριών, Ηράκλειο"),
        Series(slug="startup-mondays", title_el="Startup Δευτέρες"),
    )
    form = new_event_form(
        testapp, title_en="Innovation night", slug="innovation-night", summary_el="Σύντομα.",
        description_el="Θα μιλήσουμε για **ιδέες**.", category_id=str(category.id), venue_id=str(venue.id),
        series_id=str(series.id), online_url="https://meet.example.org/innovation", organiser="Δημοσκόπιο",
        partners="Πανεπιστήμιο Κρήτης\nΕΒΕΗ", speakers="Μαρία Παπαδάκη", capacity="40",
        registration_opens_at=f"{NEXT_YEAR}-04-01T09:00", registration_closes_at=f"{NEXT_YEAR}-05-09T23:00",
        approval_required=True, auto_promote=True, offer_hours="12", hours="3.5", language="el-en",
    )
    tick(form, "topic_ids", funding.id)

    assert form.submit().status_int == 303

    [event] = events_in(dbsession)
    assert (event.title_el, event.title_en, event.slug) == (
        "Νύχτα Καινοτομίας στο Ηράκλειο", "Innovation night", "innovation-night")
    assert (event.category_id, event.venue_id, event.series_id) == (category.id, venue.id, series.id)
    assert [topic.slug for topic in event.topics] == ["funding"]
    assert event.online_url == "https://meet.example.org/innovation"
    assert event.partner_list == ["Πανεπιστήμιο Κρήτης", "ΕΒΕΗ"]
    assert event.speaker_list == ["Μαρία Παπαδάκη"]
    assert (event.capacity, event.approval_required, event.auto_promote, event.offer_hours) == (40, True, True, 12)
    assert event.hours == decimal.Decimal("3.5")
    assert event.language is EventLanguage.BOTH
    assert event.registration_opens_at == datetime.datetime(NEXT_YEAR, 4, 1, 6, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime.datetime(NEXT_YEAR, 5, 9, 20, 0, tzinfo=UTC)


def test_an_all_day_event_over_several_days_runs_from_the_first_midnight_to_the_one_after_the_last_day(
    testapp, staff, dbsession,
):
    form = new_event_form(testapp, starts_at=f"{NEXT_YEAR}-05-10T00:00", ends_at=f"{NEXT_YEAR}-05-12T00:00",
                          all_day=True)

    assert form.submit().status_int == 303

    [event] = events_in(dbsession)
    assert event.all_day
    assert event.starts_at == datetime.datetime(NEXT_YEAR, 5, 9, 21, 0, tzinfo=UTC)
    assert event.ends_at == datetime.datetime(NEXT_YEAR, 5, 12, 21, 0, tzinfo=UTC)
    shown = form_with(testapp.get(f"/admin/events/{event.id}/edit"), "title_el")
    assert (shown["starts_at"].value, shown["ends_at"].value, shown["all_day"].checked) == (
        f"{NEXT_YEAR}-05-10T00:00", f"{NEXT_YEAR}-05-12T00:00", True)


def test_a_one_day_all_day_event_may_end_on_the_day_it_starts(testapp, staff, dbsession):
    form = new_event_form(testapp, starts_at=f"{NEXT_YEAR}-05-10T00:00", ends_at=f"{NEXT_YEAR}-05-10T00:00",
                          all_day=True)

    assert form.submit().status_int == 303

    [event] = events_in(dbsession)
    assert event.ends_at - event.starts_at == datetime.timedelta(days=1)


def test_the_address_is_made_from_the_greek_title_and_never_repeats(testapp, staff, dbsession):
    for _copy in range(2):
        assert new_event_form(testapp, title_el="Νύχτα Καινοτομίας στο Ηράκλειο").submit().status_int == 303

    assert [event.slug for event in events_in(dbsession)] == [
        "nychta-kainotomias-sto-irakleio", "nychta-kainotomias-sto-irakleio-2",
    ]


@pytest.mark.parametrize("slug", ["startup-night", "new"], ids=["taken", "reserved"])
def test_an_address_already_in_use_is_refused_and_what_was_typed_is_kept(slug, testapp, staff, dbsession,
                                                                           event_factory):
    event_factory(slug="startup-night")
    form = new_event_form(testapp, slug=slug, title_en="Startup night", capacity="35")

    page = form.submit(status=400)

    assert error_ids(page) == {"slug-error"}
    kept = form_with(page, "title_el")
    assert (kept["title_el"].value, kept["title_en"].value, kept["slug"].value, kept["capacity"].value) == (
        "Νύχτα Καινοτομίας στο Ηράκλειο", "Startup night", slug, "35")
    assert kept["starts_at"].value == f"{NEXT_YEAR}-05-10T18:00"
    assert row_count(dbsession, Event) == 1


@pytest.mark.parametrize(("values", "wrong"), [
    ({"starts_at": f"{NEXT_YEAR}-05-10T18:00", "ends_at": f"{NEXT_YEAR}-05-10T17:00"}, "ends_at"),
    ({"starts_at": f"{NEXT_YEAR}-05-10T18:00", "ends_at": f"{NEXT_YEAR}-05-10T18:00"}, "ends_at"),
    ({"starts_at": f"{NEXT_YEAR}-05-10T00:00", "ends_at": f"{NEXT_YEAR}-05-09T00:00", "all_day": True}, "ends_at"),
    ({"registration_opens_at": f"{NEXT_YEAR}-05-01T10:00", "registration_closes_at": f"{NEXT_YEAR}-04-30T10:00"},
     "registration_closes_at"),
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"online_url": "www.example.org/live"}, "online_url"),
    ({"online_url": "ftp://example.org/live"}, "online_url"),
    ({"slug": "Νύχτα καινοτομίας"}, "slug"),
    ({"capacity": "-1"}, "capacity"),
], ids=["end-before-start", "end-at-start", "last-day-before-first", "registration-closes-before-it-opens",
        "script-link", "no-scheme", "ftp-link", "non-latin-address", "negative-capacity"])
def test_impossible_event_details_are_refused_next_to_the_field(values, wrong, testapp, staff, dbsession):
    page = new_event_form(testapp, **values).submit(status=400)

    assert error_ids(page) == {f"{wrong}-error"}
    assert row_count(dbsession, Event) == 0


# --- editing an event -------------------------------------------------------------------------


def test_capacity_below_the_seats_already_held_is_refused(testapp, staff, dbsession, event_factory):
    event = event_factory(capacity=3)
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.OFFERED,
             eleni=RegistrationStatus.WAITING)

    page = edit_form(testapp, event, capacity="1").submit(status=400)

    assert error_ids(page) == {"capacity-error"}
    assert fresh(dbsession, Event, event.id).capacity == 3
    assert edit_form(testapp, event, capacity="2").submit().status_int == 303
    assert fresh(dbsession, Event, event.id).capacity == 2


def test_moving_a_published_event_emails_the_people_still_registered_the_old_and_new_time(
    testapp, staff, dbsession, event_factory, outbox,
):
    event = event_factory()
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
             eleni=RegistrationStatus.PENDING, giorgos=RegistrationStatus.OFFERED,
             kostas=RegistrationStatus.CANCELLED, sofia=RegistrationStatus.REJECTED)
    before = fresh(dbsession, Event, event.id)
    old_when, sequence = when_text(before, "el", ATHENS), before.sequence
    later = before.starts_at + datetime.timedelta(days=1)

    form = edit_form(testapp, event, starts_at=local_input(later),
                     ends_at=local_input(later + datetime.timedelta(hours=2)))
    assert form.submit().status_int == 303

    moved = fresh(dbsession, Event, event.id)
    assert (moved.starts_at, moved.sequence) == (later, sequence + 1)
    delivered = outbox()
    assert sorted(message["To"] for message in delivered) == [
        f"{name}@example.gr" for name in ("eleni", "giorgos", "maria", "nikos")]
    assert {sent.template for sent in queued_mail(dbsession)} == {"event-changed"}
    assert old_when in text_body(delivered[0])
    assert when_text(moved, "el", ATHENS) in text_body(delivered[0])


def test_a_new_place_is_news_too(testapp, staff, dbsession, event_factory, outbox):
    [venue] = saved(dbsession, Venue(name="Βικελαία Βιβλιοθήκη", address="Πλατεία Λιονταριών"))
    event = event_factory()
    registration_for(dbsession, event, "maria@example.gr")

    assert edit_form(testapp, event, venue_id=str(venue.id)).submit().status_int == 303

    [message] = outbox()
    assert message["To"] == "maria@example.gr"
    assert "Βικελαία Βιβλιοθήκη, Πλατεία Λιονταριών" in text_body(message)


def test_moving_a_draft_emails_nobody(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(status=EventStatus.DRAFT, published_at=None)
    registration_for(dbsession, event, "maria@example.gr")
    later = event.starts_at + datetime.timedelta(days=1)

    form = edit_form(testapp, event, starts_at=local_input(later),
                     ends_at=local_input(later + datetime.timedelta(hours=2)))
    assert form.submit().status_int == 303

    assert fresh(dbsession, Event, event.id).starts_at == later
    assert mail_sent(dbsession, run_tasks) == set()


def days_around_the_switch_to_summer_time() -> dict[str, Any]:
    """An all-day event from two days before the clocks go forward to two days after."""
    switch = last_sunday_of_march(NEXT_YEAR)
    first, after_last = switch - datetime.timedelta(days=2), switch + datetime.timedelta(days=3)
    return {"all_day": True, "starts_at": from_local(datetime.datetime.combine(first, datetime.time()), ATHENS),
            "ends_at": from_local(datetime.datetime.combine(after_last, datetime.time()), ATHENS)}


@pytest.mark.parametrize("when", [{}, days_around_the_switch_to_summer_time()], ids=["timed", "all-day"])
def test_saving_a_published_event_with_only_a_new_summary_keeps_its_time_and_emails_nobody(
    when, testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(**when)
    registration_for(dbsession, event, "maria@example.gr")
    before = fresh(dbsession, Event, event.id)
    times, sequence = (before.starts_at, before.ends_at), before.sequence

    assert edit_form(testapp, event, summary_el="Νέα περίληψη.").submit().status_int == 303

    after = fresh(dbsession, Event, event.id)
    assert ((after.starts_at, after.ends_at), after.sequence, after.summary_el) == (times, sequence, "Νέα περίληψη.")
    assert mail_sent(dbsession, run_tasks) == set()


@pytest.mark.parametrize(("auto_promote", "status", "template"), [
    (False, RegistrationStatus.OFFERED, "seat-offered"),
    (True, RegistrationStatus.CONFIRMED, "seat-confirmed"),
], ids=["offer", "automatic"])
def test_more_seats_go_to_the_first_in_line(auto_promote, status, template, testapp, staff, dbsession,
                                           event_factory, run_tasks):
    event = event_factory(capacity=1, auto_promote=auto_promote)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
                      eleni=RegistrationStatus.WAITING)

    assert edit_form(testapp, event, capacity="2").submit().status_int == 303

    assert [status_of(dbsession, people[name]) for name in ("maria", "nikos", "eleni")] == [
        RegistrationStatus.CONFIRMED, status, RegistrationStatus.WAITING]
    assert mail_sent(dbsession, run_tasks) == {Sent(template, "nikos@example.gr", "el")}


def test_removing_the_limit_hands_everyone_waiting_a_seat(testapp, staff, dbsession, event_factory):
    event = event_factory(capacity=1)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
                      eleni=RegistrationStatus.WAITING)

    assert edit_form(testapp, event, capacity="").submit().status_int == 303

    assert fresh(dbsession, Event, event.id).capacity is None
    assert {status_of(dbsession, people[name]) for name in ("nikos", "eleni")} == {RegistrationStatus.CONFIRMED}


def test_a_new_time_and_more_seats_in_one_save_still_tell_calendars_and_registrants(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(capacity=1)
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING)
    before = fresh(dbsession, Event, event.id)
    sequence, later = before.sequence, before.starts_at + datetime.timedelta(days=1)

    form = edit_form(testapp, event, starts_at=local_input(later), capacity="2",
                     ends_at=local_input(later + datetime.timedelta(hours=2)))
    assert form.submit().status_int == 303

    after = fresh(dbsession, Event, event.id)
    assert (after.starts_at, after.capacity, after.sequence) == (later, 2, sequence + 1)
    assert mail_sent(dbsession, run_tasks) == {
        Sent("event-changed", "maria@example.gr", "el"), Sent("seat-offered", "nikos@example.gr", "el"),
        Sent("event-changed", "nikos@example.gr", "el"),
    }


# --- copies and series of dates ---------------------------------------------------------------


def with_questions(dbsession: Any, event: Event) -> list[Question]:
    return list(saved(
        dbsession,
        Question(event_id=event.id, position=1, kind=QuestionKind.TEXT, label_el="Τι περιμένετε;", required=True),
        Question(event_id=event.id, position=2, kind=QuestionKind.MULTIPLE_CHOICE, label_el="Ενδιαφέροντα",
                 label_en="Interests", choices_el="Χρηματοδότηση\nΜάρκετινγκ", choices_en="Funding\nMarketing"),
    ))


def question_details(questions: list[Question]) -> list[tuple[Any, ...]]:
    return [(question.position, question.kind, question.label_el, question.label_en, question.required,
             question.choices_el, question.choices_en) for question in questions]


def test_a_duplicate_is_a_draft_copy_with_the_questions_and_nobody_registered(
    testapp, staff, dbsession, event_factory,
):
    [topic] = saved(dbsession, Topic(slug="funding", name_el="Χρηματοδότηση"))
    event = event_factory(capacity=30, hours=decimal.Decimal("2.0"), topics=[topic])
    with_questions(dbsession, event)
    registration_for(dbsession, event, "maria@example.gr")
    page = testapp.get(f"/admin/events/{event.id}")

    response = form_posting_to(page, f"/admin/events/{event.id}/duplicate").submit()

    original, copy = sorted(events_in(dbsession), key=lambda row: row.id)
    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{copy.id}/edit"
    assert copy.status is EventStatus.DRAFT
    assert copy.slug != original.slug
    assert (copy.title_el, copy.starts_at, copy.ends_at, copy.capacity, copy.hours) == (
        original.title_el, original.starts_at, original.ends_at, 30, decimal.Decimal("2.0"))
    assert [row.slug for row in copy.topics] == ["funding"]
    assert question_details(copy.questions) == question_details(original.questions)
    assert dbsession.scalar(select(func.count()).where(Registration.event_id == copy.id)) == 0


def test_weekly_dates_keep_the_local_time_across_the_switch_to_summer_time(testapp, staff, dbsession,
                                                                          event_factory):
    first_day = last_sunday_of_march(NEXT_YEAR) - datetime.timedelta(days=10)
    start = from_local(datetime.datetime.combine(first_day, datetime.time(18, 30)), ATHENS)
    event = event_factory(starts_at=start, ends_at=start + datetime.timedelta(hours=2))
    with_questions(dbsession, event)
    form = form_with(testapp.get(f"/admin/events/{event.id}/repeat"), "pattern")
    form["pattern"] = "weekly"
    form["count"] = "3"

    response = form.submit()

    assert response.status_int == 303
    assert response.location == "http://localhost/admin/events?when=upcoming&status=draft"
    original, *copies = events_in(dbsession)
    assert original.id == event.id
    assert [copy.starts_at.astimezone(ATHENS).replace(tzinfo=None) for copy in copies] == [
        datetime.datetime.combine(first_day + datetime.timedelta(weeks=week), datetime.time(18, 30))
        for week in (1, 2, 3)
    ]
    assert {copy.ends_at - copy.starts_at for copy in copies} == {datetime.timedelta(hours=2)}
    assert {copy.status for copy in copies} == {EventStatus.DRAFT}
    assert all(len(copy.questions) == 2 for copy in copies)
    listed = response.follow()
    assert all(f'href="/admin/events/{copy.id}"' in listed.text for copy in copies)


def test_monthly_dates_skip_months_without_that_day(testapp, staff, dbsession, event_factory):
    start = from_local(datetime.datetime(NEXT_YEAR, 1, 31, 10, 0), ATHENS)
    event = event_factory(starts_at=start, ends_at=start + datetime.timedelta(hours=3))
    form = form_with(testapp.get(f"/admin/events/{event.id}/repeat"), "pattern")
    form["pattern"] = "monthly"
    form["count"] = "2"

    assert form.submit().status_int == 303

    _original, *copies = events_in(dbsession)
    assert [copy.starts_at.astimezone(ATHENS).replace(tzinfo=None) for copy in copies] == [
        datetime.datetime(NEXT_YEAR, 3, 31, 10, 0), datetime.datetime(NEXT_YEAR, 5, 31, 10, 0),
    ]


@pytest.mark.parametrize("count", ["0", "53", ""])
def test_a_count_of_dates_out_of_range_is_refused(count, testapp, staff, dbsession, event_factory):
    event = event_factory()
    form = form_with(testapp.get(f"/admin/events/{event.id}/repeat"), "pattern")
    form["count"] = count

    assert error_ids(form.submit(status=400)) == {"count-error"}
    assert row_count(dbsession, Event) == 1


# --- publish, postpone, cancel, delete --------------------------------------------------------


def test_publishing_a_draft(testapp, staff, dbsession, event_factory):
    event = event_factory(status=EventStatus.DRAFT, published_at=None)
    sequence = event.sequence
    page = testapp.get(f"/admin/events/{event.id}")

    response = form_posting_to(page, f"/admin/events/{event.id}/publish").submit()

    published = fresh(dbsession, Event, event.id)
    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}"
    assert published.status is EventStatus.PUBLISHED
    assert published.published_at is not None
    assert published.sequence == sequence, "a first publication is the first version calendars see"
    assert post_action(testapp, event, "publish").status_int == 409


@pytest.mark.parametrize(("action", "status", "template"), [
    ("postpone", EventStatus.POSTPONED, "event-postponed"),
    ("cancel", EventStatus.CANCELLED, "event-cancelled"),
])
def test_postponing_or_cancelling_tells_everyone_still_registered_with_the_staff_message(
    action, status, template, testapp, staff, dbsession, event_factory, outbox,
):
    event = event_factory()
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
             eleni=RegistrationStatus.PENDING, kostas=RegistrationStatus.CANCELLED,
             sofia=RegistrationStatus.REJECTED)
    page = testapp.get(f"/admin/events/{event.id}")
    form = form_with(page, "message")
    form["message"] = "Ο ομιλητής δεν μπορεί να ταξιδέψει λόγω καιρού."

    # The buttons choose the action with formaction, which WebTest does not follow: post the form there.
    response = testapp.post(f"/admin/events/{event.id}/{action}", dict(form.submit_fields()))

    assert response.status_int == 303
    assert fresh(dbsession, Event, event.id).status is status
    delivered = outbox()
    assert sorted(message["To"] for message in delivered) == [
        "eleni@example.gr", "maria@example.gr", "nikos@example.gr"]
    assert all("Ο ομιλητής δεν μπορεί να ταξιδέψει λόγω καιρού." in text_body(message) for message in delivered)
    assert {sent.template for sent in queued_mail(dbsession)} == {template}


@pytest.mark.parametrize(("status", "action"), [
    (EventStatus.DRAFT, "cancel"),
    (EventStatus.DRAFT, "postpone"),
    (EventStatus.CANCELLED, "cancel"),
    (EventStatus.CANCELLED, "postpone"),
    (EventStatus.POSTPONED, "postpone"),
])
def test_impossible_status_changes_are_refused(status, action, testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(status=status)
    registration_for(dbsession, event, "maria@example.gr")

    assert post_action(testapp, event, action).status_int == 409

    assert fresh(dbsession, Event, event.id).status is status
    assert mail_sent(dbsession, run_tasks) == set()


def test_a_postponed_event_can_be_published_again(testapp, staff, dbsession, event_factory):
    event = event_factory(status=EventStatus.POSTPONED)

    assert post_action(testapp, event, "publish").status_int == 303

    assert fresh(dbsession, Event, event.id).status is EventStatus.PUBLISHED


def test_seats_freed_while_an_event_was_postponed_go_to_the_waiting_list_when_it_is_published_again(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(capacity=1, status=EventStatus.POSTPONED)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
                      eleni=RegistrationStatus.WAITING)
    assert edit_form(testapp, event, capacity="2").submit().status_int == 303
    assert status_of(dbsession, people["nikos"]) is RegistrationStatus.WAITING

    assert post_action(testapp, event, "publish").status_int == 303

    assert [status_of(dbsession, people[name]) for name in ("maria", "nikos", "eleni")] == [
        RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED, RegistrationStatus.WAITING]
    assert mail_sent(dbsession, run_tasks) == {Sent("seat-offered", "nikos@example.gr", "el")}


def test_deleting_a_draft_removes_it_with_its_questions(testapp, staff, dbsession, event_factory):
    event = event_factory(status=EventStatus.DRAFT, published_at=None)
    with_questions(dbsession, event)
    page = testapp.get(f"/admin/events/{event.id}")

    response = form_posting_to(page, f"/admin/events/{event.id}/delete").submit()

    assert response.status_int == 303
    assert response.location == "http://localhost/admin/events"
    assert (row_count(dbsession, Event), row_count(dbsession, Question)) == (0, 0)


@pytest.mark.parametrize("status", [EventStatus.PUBLISHED, EventStatus.POSTPONED, EventStatus.CANCELLED])
def test_only_drafts_can_be_deleted(status, testapp, staff, dbsession, event_factory):
    event = event_factory(status=status)
    registration_for(dbsession, event, "maria@example.gr")

    assert post_action(testapp, event, "delete").status_int == 409

    assert (row_count(dbsession, Event), row_count(dbsession, Registration)) == (1, 1)


# --- registration questions -------------------------------------------------------------------


def question_form(testapp: Any, event: Event, question_id: Any = "new", **values: Any) -> Any:
    form = form_with(testapp.get(f"/admin/events/{event.id}/questions/{question_id}"), "label_el")
    for name, value in values.items():
        form[name] = value
    return form


def questions_of(dbsession: Any, event: Event) -> list[Question]:
    dbsession.rollback()
    return list(dbsession.scalars(select(Question).where(Question.event_id == event.id).order_by(Question.id)))


def test_staff_add_edit_and_delete_registration_questions(testapp, staff, dbsession, event_factory):
    event = event_factory()

    response = question_form(testapp, event, label_el="Τι περιμένετε;", kind="long_text", required=True).submit()
    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}/questions"
    response = question_form(testapp, event, label_el="Ενδιαφέροντα", label_en="Interests", kind="multiple_choice",
                             choices_el="Χρηματοδότηση\nΜάρκετινγκ\n", choices_en="Funding\nMarketing",
                             position="2").submit()
    assert response.status_int == 303
    long_text, choice = questions_of(dbsession, event)
    assert (long_text.kind, long_text.label_el, long_text.label_en, long_text.required) == (
        QuestionKind.LONG_TEXT, "Τι περιμένετε;", None, True)
    assert (choice.kind, choice.choices("en"), choice.position, choice.required) == (
        QuestionKind.MULTIPLE_CHOICE, [("Χρηματοδότηση", "Funding"), ("Μάρκετινγκ", "Marketing")], 2, False)

    form = question_form(testapp, event, long_text.id)
    assert (form["kind"].value, form["label_el"].value) == ("long_text", "Τι περιμένετε;")
    form["label_el"] = "Τι θα θέλατε να μάθετε;"
    form["required"] = False
    assert form.submit().status_int == 303
    edited = fresh(dbsession, Question, long_text.id)
    assert (edited.label_el, edited.required) == ("Τι θα θέλατε να μάθετε;", False)

    page = testapp.get(f"/admin/events/{event.id}/questions")
    assert form_posting_to(page, f"/admin/events/{event.id}/questions/{choice.id}/delete").submit().status_int == 303
    assert [question.id for question in questions_of(dbsession, event)] == [long_text.id]


@pytest.mark.parametrize(("values", "wrong"), [
    ({"kind": "single_choice", "choices_el": "Μόνο μία"}, "choices_el"),
    ({"kind": "multiple_choice", "choices_el": "\n  \n"}, "choices_el"),
    ({"kind": "single_choice", "choices_el": "Ναι\nΌχι\nΊσως", "choices_en": "Yes\nNo"}, "choices_en"),
    ({"kind": "text", "label_el": "   "}, "label_el"),
], ids=["one-choice", "blank-choices", "fewer-english-choices", "blank-question"])
def test_incomplete_questions_are_refused(values, wrong, testapp, staff, dbsession, event_factory):
    event = event_factory()

    page = question_form(testapp, event, **{"label_el": "Ερώτηση", **values}).submit(status=400)

    assert error_ids(page) == {f"{wrong}-error"}
    assert questions_of(dbsession, event) == []


def test_a_question_belongs_to_its_own_event(testapp, staff, dbsession, event_factory):
    event, other = event_factory(), event_factory()
    question, _second = with_questions(dbsession, other)

    assert testapp.get(f"/admin/events/{event.id}/questions/{question.id}", status="*").status_int == 404
    response = testapp.post(f"/admin/events/{event.id}/questions/{question.id}/delete",
                            {"csrf_token": csrf_token(testapp)}, status="*")
    assert response.status_int == 404
    assert len(questions_of(dbsession, other)) == 2


# --- the registrations of an event ------------------------------------------------------------


def emails_listed(page: Any) -> set[str]:
    return {cell.text for cell in page.html.select("table tbody td:nth-of-type(1)")}


def test_the_registrations_are_filtered_by_status_and_searched(testapp, staff, dbsession, event_factory):
    event = event_factory()
    registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη", organisation="Κρήτη Labs")
    registration_for(dbsession, event, "nikos@example.gr", RegistrationStatus.WAITING, name="Νίκος Σηφάκης")
    registration_for(dbsession, event, "eleni@example.gr", RegistrationStatus.CANCELLED, name="Ελένη Μαρκάκη")
    registration_for(dbsession, event_factory(), "giorgos@example.gr")
    path = f"/admin/events/{event.id}"

    assert emails_listed(testapp.get(path)) == {"maria@example.gr", "nikos@example.gr", "eleni@example.gr"}
    assert emails_listed(testapp.get(path, {"status": "waiting"})) == {"nikos@example.gr"}
    assert emails_listed(testapp.get(path, {"status": "cancelled"})) == {"eleni@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "ΜΑΡΙΑ"})) == {"maria@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "σηφακης"})) == {"nikos@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "μαρ"})) == {"maria@example.gr", "eleni@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "labs"})) == {"maria@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "NIKOS@"})) == {"nikos@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "μαρ", "status": "cancelled"})) == {"eleni@example.gr"}
    assert emails_listed(testapp.get(path, {"q": "100%_"})) == set()
    assert testapp.get(path, {"status": "everything"}).status_int == 200


def test_staff_add_someone_who_waits_when_the_event_is_full(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(capacity=1)
    registration_for(dbsession, event, "maria@example.gr")

    response = add_someone(testapp, event, "Νίκος Σηφάκης", "Nikos@Example.gr", organisation="ΕΒΕΗ", locale="en")

    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}"
    added = registration_of(dbsession, "nikos@example.gr")
    assert (added.name, added.organisation, added.status, added.source, added.checked_in_at) == (
        "Νίκος Σηφάκης", "ΕΒΕΗ", RegistrationStatus.WAITING, RegistrationSource.STAFF, None)
    assert mail_sent(dbsession, run_tasks) == {Sent("registration-waiting", "nikos@example.gr", "en")}


def test_staff_add_someone_with_a_seat_without_emailing_them(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(approval_required=True)

    assert add_someone(testapp, event, "Νίκος Σηφάκης", "nikos@example.gr", notify=False).status_int == 303

    added = registration_of(dbsession, "nikos@example.gr")
    assert added.status is RegistrationStatus.CONFIRMED
    assert mail_sent(dbsession, run_tasks) == set()


def test_the_same_email_is_not_added_twice(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory()
    registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη")

    page = add_someone(testapp, event, "Μαρία Π.", "MARIA@example.gr")

    assert page.status_int == 409
    assert page.html.select("details[open] .error-summary")
    assert form_with(page, "walk_in")["name"].value == "Μαρία Π."
    assert [(row.name, row.email) for row in rows_of(dbsession, Registration)] == [
        ("Μαρία Παπαδάκη", "maria@example.gr")]
    assert mail_sent(dbsession, run_tasks) == set()


def test_someone_who_had_cancelled_can_be_added_again(testapp, staff, dbsession, event_factory):
    event = event_factory()
    cancelled = registration_for(dbsession, event, "maria@example.gr", RegistrationStatus.CANCELLED)

    assert add_someone(testapp, event, "Μαρία Παπαδάκη", "maria@example.gr").status_int == 303

    again = fresh(dbsession, Registration, cancelled.id)
    assert (again.status, again.name, again.cancelled_at) == (RegistrationStatus.CONFIRMED, "Μαρία Παπαδάκη", None)


@pytest.mark.parametrize(("values", "wrong"), [
    ({"name": "", "email": "nikos@example.gr"}, "name-error"),
    ({"name": "Νίκος", "email": "nikos.example.gr"}, "email-error"),
], ids=["no-name", "bad-email"])
def test_adding_someone_needs_a_name_and_a_working_email(values, wrong, testapp, staff, dbsession, event_factory):
    event = event_factory()

    page = add_someone(testapp, event, **values)

    assert page.status_int == 400
    assert wrong in error_ids(page)
    assert row_count(dbsession, Registration) == 0


def test_nobody_is_added_to_a_cancelled_event(testapp, staff, dbsession, event_factory):
    event = event_factory(status=EventStatus.CANCELLED)

    assert add_someone(testapp, event, "Νίκος", "nikos@example.gr").status_int == 409

    assert row_count(dbsession, Registration) == 0


# --- moving registrations between states -------------------------------------------------------


def test_approving_a_pending_registration_confirms_and_emails_the_person(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(approval_required=True)
    pending = registration_for(dbsession, event, "maria@example.gr", RegistrationStatus.PENDING)

    response = move(testapp, event, pending, "confirmed", page_query="?status=pending")

    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}?status=pending"
    assert status_of(dbsession, pending) is RegistrationStatus.CONFIRMED
    assert mail_sent(dbsession, run_tasks) == {Sent("registration-confirmed", "maria@example.gr", "el")}


def test_approving_when_the_event_is_full_puts_the_person_on_the_waiting_list(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(approval_required=True, capacity=1)
    registration_for(dbsession, event, "maria@example.gr")
    pending = registration_for(dbsession, event, "nikos@example.gr", RegistrationStatus.PENDING)

    assert move(testapp, event, pending, "confirmed").status_int == 303

    assert status_of(dbsession, pending) is RegistrationStatus.WAITING
    assert mail_sent(dbsession, run_tasks) == {Sent("registration-waiting", "nikos@example.gr", "el")}


def test_rejecting_emails_the_person_the_reason(testapp, staff, dbsession, event_factory, outbox):
    event = event_factory(approval_required=True)
    pending = registration_for(dbsession, event, "maria@example.gr", RegistrationStatus.PENDING)

    response = move(testapp, event, pending, "rejected", reason="Η εκδήλωση είναι μόνο για φοιτητές.")

    assert response.status_int == 303
    rejected = fresh(dbsession, Registration, pending.id)
    assert (rejected.status, rejected.decision_reason) == (
        RegistrationStatus.REJECTED, "Η εκδήλωση είναι μόνο για φοιτητές.")
    [message] = outbox()
    assert message["To"] == "maria@example.gr"
    assert "Η εκδήλωση είναι μόνο για φοιτητές." in text_body(message)
    assert {sent.template for sent in queued_mail(dbsession)} == {"registration-rejected"}


def test_cancelling_a_confirmed_registration_offers_the_seat_to_the_next_in_line(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(capacity=1)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING,
                      eleni=RegistrationStatus.WAITING)

    assert move(testapp, event, people["maria"], "cancelled").status_int == 303

    assert [status_of(dbsession, people[name]) for name in ("maria", "nikos", "eleni")] == [
        RegistrationStatus.CANCELLED, RegistrationStatus.OFFERED, RegistrationStatus.WAITING]
    assert mail_sent(dbsession, run_tasks) == {
        Sent("registration-cancelled", "maria@example.gr", "el"), Sent("seat-offered", "nikos@example.gr", "el"),
    }


def test_confirming_someone_waiting_is_refused_when_the_event_is_full(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(capacity=1)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING)

    page = move(testapp, event, people["nikos"], "confirmed")

    assert page.status_int == 409
    assert page.html.select(".notice-error")
    assert status_of(dbsession, people["nikos"]) is RegistrationStatus.WAITING
    assert mail_sent(dbsession, run_tasks) == set()


def test_someone_waiting_is_confirmed_when_a_seat_is_free(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(capacity=2)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING)

    assert move(testapp, event, people["nikos"], "confirmed").status_int == 303

    assert status_of(dbsession, people["nikos"]) is RegistrationStatus.CONFIRMED
    assert mail_sent(dbsession, run_tasks) == {Sent("registration-confirmed", "nikos@example.gr", "el")}


def test_moving_someone_with_a_seat_to_the_waiting_list_hands_the_seat_on(
    testapp, staff, dbsession, event_factory, run_tasks,
):
    event = event_factory(capacity=1, auto_promote=True)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING)

    assert move(testapp, event, people["maria"], "waiting").status_int == 303

    assert [status_of(dbsession, people[name]) for name in ("maria", "nikos")] == [
        RegistrationStatus.WAITING, RegistrationStatus.CONFIRMED]
    assert mail_sent(dbsession, run_tasks) == {
        Sent("registration-waiting", "maria@example.gr", "el"), Sent("seat-confirmed", "nikos@example.gr", "el"),
    }


@pytest.mark.parametrize("status", ["offered", "pending", "expired", "nonsense", ""])
def test_moves_staff_cannot_make_are_refused(status, testapp, staff, dbsession, event_factory):
    event = event_factory()
    confirmed = registration_for(dbsession, event, "maria@example.gr")

    response = testapp.post(f"/admin/events/{event.id}/registrations/{confirmed.id}/move",
                            {"csrf_token": csrf_token(testapp), "status": status}, status="*")

    assert response.status_int == 400
    assert status_of(dbsession, confirmed) is RegistrationStatus.CONFIRMED


def test_a_registration_is_moved_only_from_its_own_events_page(testapp, staff, dbsession, event_factory):
    event, other = event_factory(), event_factory()
    theirs = registration_for(dbsession, other, "maria@example.gr")

    response = testapp.post(f"/admin/events/{event.id}/registrations/{theirs.id}/move",
                            {"csrf_token": csrf_token(testapp), "status": "cancelled"}, status="*")

    assert response.status_int == 404
    assert status_of(dbsession, theirs) is RegistrationStatus.CONFIRMED


@pytest.mark.parametrize("next_url", [
    "https://evil.example/admin/events/{id}", "//evil.example/", "/admin/users", "/admin/events/{id}\r\nX-Evil: 1",
], ids=["other-site", "scheme-relative", "other-page", "header-break"])
def test_after_a_move_staff_return_only_to_the_events_own_page(next_url, testapp, staff, dbsession, event_factory):
    event = event_factory()
    confirmed = registration_for(dbsession, event, "maria@example.gr")

    response = testapp.post(f"/admin/events/{event.id}/registrations/{confirmed.id}/move", {
        "csrf_token": csrf_token(testapp), "status": "waiting", "next": next_url.format(id=event.id),
    })

    assert response.location == f"http://localhost/admin/events/{event.id}"


# --- check-in ---------------------------------------------------------------------------------


def names_listed(page: Any) -> set[str]:
    return {element.contents[0].strip() for element in page.html.select(".checkin-name")}


def checkin_form(page: Any, event: Event, registration: Registration) -> Any:
    return form_posting_to(page, f"/admin/events/{event.id}/check-in/{registration.id}")


def test_the_check_in_list_shows_the_confirmed_people_and_finds_them(testapp, staff, dbsession, event_factory):
    event = event_factory()
    registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη")
    registration_for(dbsession, event, "nikos@example.gr", name="Νίκος Σηφάκης")
    registration_for(dbsession, event, "eleni@example.gr", RegistrationStatus.WAITING, name="Ελένη Μαρκάκη")
    path = f"/admin/events/{event.id}/check-in"

    assert names_listed(testapp.get(path)) == {"Μαρία Παπαδάκη", "Νίκος Σηφάκης"}
    assert names_listed(testapp.get(path, {"q": "μαρια"})) == {"Μαρία Παπαδάκη"}
    assert names_listed(testapp.get(path, {"q": "nikos@example"})) == {"Νίκος Σηφάκης"}
    assert names_listed(testapp.get(path, {"q": "ελένη"})) == set()


def test_one_click_checks_someone_in_and_another_undoes_it(testapp, staff, dbsession, event_factory):
    event = event_factory()
    maria = registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη")

    response = checkin_form(testapp.get(f"/admin/events/{event.id}/check-in", {"q": "μαρία"}), event, maria).submit()

    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}/check-in?q=%CE%BC%CE%B1%CF%81%CE%AF%CE%B1"
    checked = fresh(dbsession, Registration, maria.id)
    assert (checked.checked_in_at is not None, checked.checked_in_by_id) == (True, staff.id)
    page = response.follow()
    assert page.html.select("li.checked-in")

    assert checkin_form(page, event, maria).submit("undo").status_int == 303
    undone = fresh(dbsession, Registration, maria.id)
    assert (undone.checked_in_at, undone.checked_in_by_id) == (None, None)


def test_only_confirmed_people_are_checked_in(testapp, staff, dbsession, event_factory):
    event = event_factory()
    waiting = registration_for(dbsession, event, "nikos@example.gr", RegistrationStatus.WAITING)

    response = testapp.post(f"/admin/events/{event.id}/check-in/{waiting.id}", {"csrf_token": csrf_token(testapp)})

    assert response.status_int == 303
    assert response.follow().html.select(".notice-error")
    assert fresh(dbsession, Registration, waiting.id).checked_in_at is None


def test_the_qr_code_opens_the_persons_check_in_and_one_press_checks_them_in(
    testapp, staff, dbsession, event_factory,
):
    event = event_factory()
    maria = registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη")
    path = f"/admin/events/check-in/{maria.checkin_code}"

    page = testapp.get(path)

    assert page.html.h1.text == "Μαρία Παπαδάκη"
    assert fresh(dbsession, Registration, maria.id).checked_in_at is None
    response = form_posting_to(page, "").submit()

    assert response.status_int == 303
    assert response.location == f"http://localhost{path}"
    checked = fresh(dbsession, Registration, maria.id)
    assert (checked.checked_in_at is not None, checked.checked_in_by_id) == (True, staff.id)
    assert response.follow().html.select(".notice-success")
    assert testapp.post(path, {"csrf_token": csrf_token(testapp)}).status_int == 303
    assert fresh(dbsession, Registration, maria.id).checked_in_at == checked.checked_in_at


@pytest.mark.parametrize("status", [RegistrationStatus.WAITING, RegistrationStatus.PENDING,
                                    RegistrationStatus.CANCELLED, RegistrationStatus.OFFERED])
def test_a_qr_code_of_someone_without_a_confirmed_seat_does_not_check_them_in(
    status, testapp, staff, dbsession, event_factory,
):
    event = event_factory()
    registration = registration_for(dbsession, event, "nikos@example.gr", status)
    path = f"/admin/events/check-in/{registration.checkin_code}"

    assert not any(form.action == "" for form in testapp.get(path).forms.values())
    page = testapp.post(path, {"csrf_token": csrf_token(testapp)}, status=409)

    assert page.html.select(".notice-error")
    assert fresh(dbsession, Registration, registration.id).checked_in_at is None


def test_an_unknown_qr_code_is_not_found(testapp, staff):
    assert testapp.get("/admin/events/check-in/not-a-real-code", status="*").status_int == 404


def walk_in(testapp: Any, event: Event, name: str, email: str) -> Any:
    form = form_with(testapp.get(f"/admin/events/{event.id}/check-in"), "name")
    form["name"] = name
    form["email"] = email
    return form.submit(status="*")


def test_a_walk_in_is_added_and_checked_in_at_once(testapp, staff, dbsession, event_factory):
    event = event_factory(capacity=2)
    registration_for(dbsession, event, "maria@example.gr")

    response = walk_in(testapp, event, "Νίκος Σηφάκης", "nikos@example.gr")

    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{event.id}/check-in"
    added = registration_of(dbsession, "nikos@example.gr")
    assert (added.status, added.source, added.checked_in_at is not None) == (
        RegistrationStatus.CONFIRMED, RegistrationSource.WALK_IN, True)
    assert "Νίκος Σηφάκης" in names_listed(response.follow())


def test_a_walk_in_is_refused_when_the_event_is_full(testapp, staff, dbsession, event_factory, run_tasks):
    event = event_factory(capacity=1)
    registration_for(dbsession, event, "maria@example.gr")

    page = walk_in(testapp, event, "Νίκος Σηφάκης", "nikos@example.gr")

    assert page.status_int == 409
    assert registration_of(dbsession, "nikos@example.gr") is None
    assert mail_sent(dbsession, run_tasks) == set()


def test_a_refused_walk_in_leaves_an_earlier_cancelled_registration_as_it_was(
    testapp, staff, dbsession, event_factory,
):
    event = event_factory(capacity=1)
    registration_for(dbsession, event, "maria@example.gr")
    cancelled = registration_for(dbsession, event, "nikos@example.gr", RegistrationStatus.CANCELLED,
                                 name="Νίκος Σηφάκης")

    assert walk_in(testapp, event, "Νίκος Σ.", "nikos@example.gr").status_int == 409

    unchanged = fresh(dbsession, Registration, cancelled.id)
    assert (unchanged.status, unchanged.name, unchanged.source) == (
        RegistrationStatus.CANCELLED, "Νίκος Σηφάκης", RegistrationSource.ONLINE)


# --- the export -------------------------------------------------------------------------------


def test_the_export_opens_in_excel_with_the_greek_and_the_answers_and_defuses_formulas(
    testapp, staff, dbsession, event_factory,
):
    event = event_factory(slug="startup-night")
    text, interests = with_questions(dbsession, event)
    [handle] = saved(dbsession, Question(event_id=event.id, position=3, kind=QuestionKind.TEXT,
                                         label_el="@Instagram"))
    registration_for(dbsession, event, "maria@example.gr", name="Μαρία Παπαδάκη", organisation="Κρήτη Labs",
                     answers={str(text.id): "Να βρω συνιδρυτή", str(interests.id): ["Χρηματοδότηση", "Μάρκετινγκ"],
                              str(handle.id): "@maria"})
    registration_for(dbsession, event, "nikos@example.gr", RegistrationStatus.WAITING,
                     name="=HYPERLINK(\"https://evil.example\")", organisation="+30 2810 000000",
                     answers={str(text.id): "-1+1"})

    response = testapp.get(f"/admin/events/{event.id}/registrations.csv")

    assert response.content_type == "text/csv"
    assert response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="startup-night-registrations.csv"'
    assert response.body.startswith(b"\xef\xbb\xbf")
    header, maria, nikos = csv.reader(io.StringIO(response.body.decode("utf-8-sig")))
    assert header[-3:] == ["Τι περιμένετε;", "Ενδιαφέροντα", csv_safe("@Instagram")]
    assert maria[:3] == ["Μαρία Παπαδάκη", "maria@example.gr", "Κρήτη Labs"]
    assert maria[-3:] == ["Να βρω συνιδρυτή", "Χρηματοδότηση; Μάρκετινγκ", csv_safe("@maria")]
    assert nikos[:3] == [csv_safe('=HYPERLINK("https://evil.example")'), "nikos@example.gr",
                         csv_safe("+30 2810 000000")]
    assert nikos[-3:] == [csv_safe("-1+1"), "", ""]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in (header, maria, nikos) for cell in row)


def test_answers_to_a_deleted_question_stay_in_the_export(testapp, staff, dbsession, event_factory, tr):
    event = event_factory()
    text, interests = with_questions(dbsession, event)
    registration_for(dbsession, event, "maria@example.gr",
                     answers={str(text.id): "Να βρω συνιδρυτή", str(interests.id): ["Μάρκετινγκ"]})
    page = testapp.get(f"/admin/events/{event.id}/questions")
    assert form_posting_to(page, f"/admin/events/{event.id}/questions/{text.id}/delete").submit().status_int == 303

    response = testapp.get(f"/admin/events/{event.id}/registrations.csv")

    header, maria = csv.reader(io.StringIO(response.body.decode("utf-8-sig")))
    assert header[-2:] == ["Ενδιαφέροντα", tr("Deleted question ${number}", number=text.id)]
    assert maria[-2:] == ["Μάρκετινγκ", "Να βρω συνιδρυτή"]


# --- charts -----------------------------------------------------------------------------------


def assert_is_a_chart(response: Any) -> None:
    assert response.content_type == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == CHART_CSP
    assert response.text.startswith("<svg")


@pytest.mark.parametrize("days_with_registrations", [0, 3])
def test_the_registrations_chart_is_an_svg_image_of_its_own(days_with_registrations, testapp, staff, dbsession,
                                                              event_factory):
    event = event_factory()
    for day in range(days_with_registrations):
        registration_for(dbsession, event, f"person{day}@example.gr",
                         created_at=utcnow() - datetime.timedelta(days=day))

    response = testapp.get(f"/admin/events/{event.id}/registrations.svg")

    assert_is_a_chart(response)
    assert f'src="/admin/events/{event.id}/registrations.svg"' in testapp.get(f"/admin/events/{event.id}").text


@pytest.mark.parametrize("chart", ["events", "registrations", "attendance"])
def test_the_dashboard_charts_are_svg_images_of_their_own(chart, testapp, staff, dbsession, event_factory):
    event = event_factory(starts_at=utcnow().replace(microsecond=0) - datetime.timedelta(hours=1))
    registration_for(dbsession, event, "maria@example.gr", checked_in_at=utcnow())

    response = testapp.get(f"/admin/events/charts/{chart}.svg")

    assert_is_a_chart(response)


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_shows_the_upcoming_events_with_how_full_they_are_and_the_years_charts(
    testapp, staff, dbsession, event_factory,
):
    half_full = event_factory(capacity=4)
    unlimited = event_factory(capacity=None)
    event_factory(status=EventStatus.DRAFT)
    event_factory(starts_at=utcnow().replace(microsecond=0) - datetime.timedelta(days=2))
    everyone(dbsession, half_full, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.OFFERED,
             eleni=RegistrationStatus.WAITING, kostas=RegistrationStatus.CANCELLED)

    page = testapp.get("/admin")

    rows = {row.th.a["href"]: row for row in page.html.select("#upcoming-heading ~ div table tbody tr")}
    assert set(rows) == {f"/admin/events/{half_full.id}", f"/admin/events/{unlimited.id}"}
    filled = rows[f"/admin/events/{half_full.id}"]
    # Confirmed as on the event page; the offered seat counts towards how full it is.
    assert [cell.text.strip() for cell in filled.select("td.numeric")] == ["1 / 4", "1"]
    assert filled.meter["value"] == "0.5"
    assert rows[f"/admin/events/{unlimited.id}"].meter is None
    assert [image["src"] for image in page.html.select("img.chart")] == [
        "/admin/events/charts/events.svg", "/admin/events/charts/registrations.svg",
        "/admin/events/charts/attendance.svg",
    ]


def test_the_dashboard_counts_this_years_events_registrations_and_attendance_by_month(
    testapp, staff, dbsession, event_factory,
):
    start = utcnow().replace(microsecond=0) - datetime.timedelta(hours=1)
    event = event_factory(starts_at=start)
    event_factory(starts_at=start, status=EventStatus.DRAFT)
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.CONFIRMED,
             eleni=RegistrationStatus.WAITING, kostas=RegistrationStatus.CANCELLED)
    registration_for(dbsession, event, "sofia@example.gr", checked_in_at=utcnow())
    month = start.astimezone(ATHENS).month

    page = testapp.get("/admin")

    table = page.html.select("#year-heading ~ details table tbody tr")
    figures = {int(row.th.text): [int(cell.text) for cell in row.select("td")] for row in table}
    assert figures[month] == [1, 4, 1]
    assert sum(sum(numbers) for numbers in figures.values()) == 6


# --- the event's staff page and the list of events ----------------------------------------------


def test_the_event_page_counts_registrations_attendance_and_feedback(testapp, staff, dbsession, event_factory):
    event = event_factory(capacity=4)
    people = everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.CONFIRMED,
                      eleni=RegistrationStatus.OFFERED, kostas=RegistrationStatus.WAITING,
                      sofia=RegistrationStatus.PENDING, giorgos=RegistrationStatus.CANCELLED)
    registration_for(dbsession, event, "anna@example.gr", checked_in_at=utcnow())
    saved(dbsession,
          Feedback(registration_id=people["maria"].id, rating=4, useful="Η παρουσίαση για τη χρηματοδότηση."),
          Feedback(registration_id=people["nikos"].id, rating=5, ideas="Περισσότερα εργαστήρια."))

    page = testapp.get(f"/admin/events/{event.id}")

    cards = [card.select_one(".stat-number").text for card in page.html.select(".cards .stat")]
    assert cards == ["3 / 4", "1", "1", "1", "1"]
    confirmed_card, _waiting, _pending, checked_in_card, _cancelled = page.html.select(".cards .stat")
    assert "100%" in confirmed_card.text  # three confirmed and one offered: every seat taken
    assert "33%" in checked_in_card.text  # one of the three confirmed came
    feedback = page.html.select_one("section[aria-labelledby=feedback-heading]").text
    assert "4.5" in feedback
    assert "Η παρουσίαση για τη χρηματοδότηση." in feedback
    assert "Περισσότερα εργαστήρια." in feedback


def titles_listed(page: Any) -> set[str]:
    return {cell.a.text for cell in page.html.select("table tbody th")}


def test_the_list_of_events_is_filtered(testapp, staff, dbsession, event_factory):
    [workshops] = saved(dbsession, Category(slug="workshops", name_el="Εργαστήρια"))
    event_factory(title_el="Νύχτα Καινοτομίας", category_id=workshops.id)
    event_factory(title_el="Ημέρα Χρηματοδότησης", status=EventStatus.DRAFT)
    event_factory(title_el="Πρωινό Δικτύωσης", status=EventStatus.CANCELLED)
    event_factory(title_el="Παλιό Hackathon", starts_at=utcnow().replace(microsecond=0) - datetime.timedelta(days=30))

    assert titles_listed(testapp.get("/admin/events")) == {
        "Νύχτα Καινοτομίας", "Ημέρα Χρηματοδότησης", "Πρωινό Δικτύωσης"}
    assert titles_listed(testapp.get("/admin/events", {"when": "past"})) == {"Παλιό Hackathon"}
    assert len(titles_listed(testapp.get("/admin/events", {"when": "all"}))) == 4
    assert titles_listed(testapp.get("/admin/events", {"status": "draft"})) == {"Ημέρα Χρηματοδότησης"}
    assert titles_listed(testapp.get("/admin/events", {"category": "workshops"})) == {"Νύχτα Καινοτομίας"}
    assert titles_listed(testapp.get("/admin/events", {"q": "καινοτομια"})) == {"Νύχτα Καινοτομίας"}
    assert titles_listed(testapp.get("/admin/events", {"q": "hackathon", "when": "all"})) == {"Παλιό Hackathon"}
    assert len(titles_listed(testapp.get("/admin/events", {"status": "nonsense", "when": "whenever"}))) == 3


# --- categories, topics, venues and series ------------------------------------------------------


def taxonomy_form(testapp: Any, kind: str, row_id: Any = "new", **values: Any) -> Any:
    form = form_posting_to(testapp.get(f"/admin/events/{kind}/{row_id}"), "")
    for name, value in values.items():
        form[name] = value
    return form


TAXONOMY_MODELS = {"categories": Category, "topics": Topic, "venues": Venue, "series": Series}


@pytest.mark.parametrize(("kind", "values", "slug"), [
    ("categories", {"name_el": "Εργαστήρια", "name_en": "Workshops", "position": "3"}, "ergastiria"),
    ("topics", {"name_el": "Πράσινη Οικονομία"}, "prasini-oikonomia"),
    ("series", {"title_el": "Startup Δευτέρες", "description_el": "Κάθε Δευτέρα."}, "startup-devteres"),
], ids=["category", "topic", "series"])
def test_staff_create_and_edit_what_events_are_grouped_by_with_an_address_made_from_the_name(
    kind, values, slug, testapp, staff, dbsession,
):
    model = TAXONOMY_MODELS[kind]

    response = taxonomy_form(testapp, kind, **values).submit()
    assert response.status_int == 303
    assert response.location == f"http://localhost/admin/events/{kind}"
    assert taxonomy_form(testapp, kind, **values).submit().status_int == 303

    first, second = rows_of(dbsession, model)
    assert (first.slug, second.slug) == (slug, f"{slug}-2")
    assert all(getattr(first, name) == (int(value) if name == "position" else value) for name, value in values.items())
    name_field = next(iter(values))
    renamed = taxonomy_form(testapp, kind, second.id, **{name_field: "Άλλο όνομα", "slug": "allo"})
    assert renamed.submit().status_int == 303
    edited = fresh(dbsession, model, second.id)
    assert (getattr(edited, name_field), edited.slug) == ("Άλλο όνομα", "allo")
    assert f'href="/admin/events/{kind}/{second.id}"' in testapp.get(f"/admin/events/{kind}").text


def test_a_venue_has_both_map_coordinates_or_neither(testapp, staff, dbsession):
    venue = {"name": "Βικελαία Βιβλιοθήκη", "address": "Πλατεία Λιονταριών, Ηράκλειο",
             "accessibility_notes": "Ράμπα στην είσοδο."}

    page = taxonomy_form(testapp, "venues", **venue, latitude="35.3387").submit(status=400)
    assert error_ids(page) == {"longitude-error"}
    assert taxonomy_form(testapp, "venues", **venue, latitude="35.3387", longitude="25.1442").submit().status_int == 303
    assert taxonomy_form(testapp, "venues", **venue).submit().status_int == 303

    with_map, without_map = rows_of(dbsession, Venue)
    assert (with_map.latitude, with_map.longitude) == (decimal.Decimal("35.3387"), decimal.Decimal("25.1442"))
    assert with_map.accessibility_notes == "Ράμπα στην είσοδο."
    assert not without_map.has_coordinates


@pytest.mark.parametrize("values", [
    {"latitude": "91", "longitude": "25"},
    {"latitude": "35", "longitude": "-181"},
    {"latitude": "north", "longitude": "25"},
], ids=["latitude-too-far", "longitude-too-far", "not-a-number"])
def test_impossible_coordinates_are_refused(values, testapp, staff, dbsession):
    page = taxonomy_form(testapp, "venues", name="Πλατεία", address="Ηράκλειο", **values).submit(status=400)

    assert error_ids(page)
    assert row_count(dbsession, Venue) == 0


def grouping_rows(dbsession: Any) -> dict[str, Any]:
    return dict(zip(TAXONOMY_MODELS, saved(
        dbsession,
        Category(slug="workshops", name_el="Εργαστήρια"),
        Topic(slug="funding", name_el="Χρηματοδότηση"),
        Venue(name="Βικελαία Βιβλιοθήκη", address="Πλατεία Λιονταριών"),
        Series(slug="startup-mondays", title_el="Startup Δευτέρες"),
    ), strict=True))


def delete_from_list(testapp: Any, kind: str, row_id: int) -> Any:
    page = testapp.get(f"/admin/events/{kind}")
    return form_posting_to(page, f"/admin/events/{kind}/{row_id}/delete").submit()


@pytest.mark.parametrize("kind", list(TAXONOMY_MODELS))
def test_what_no_event_uses_can_be_deleted(kind, testapp, staff, dbsession):
    row = grouping_rows(dbsession)[kind]

    response = delete_from_list(testapp, kind, row.id)

    assert response.status_int == 303
    assert fresh(dbsession, TAXONOMY_MODELS[kind], row.id) is None


@pytest.mark.parametrize("kind", list(TAXONOMY_MODELS))
def test_what_an_event_uses_cannot_be_deleted(kind, testapp, staff, dbsession, event_factory):
    rows = grouping_rows(dbsession)
    event_factory(category_id=rows["categories"].id, topics=[rows["topics"]], venue_id=rows["venues"].id,
                  series_id=rows["series"].id)
    row_id = rows[kind].id

    response = delete_from_list(testapp, kind, row_id)

    assert response.status_int == 303
    assert response.follow().html.select(".notice-error")
    assert fresh(dbsession, TAXONOMY_MODELS[kind], row_id) is not None



def test_a_start_in_year_one_is_refused_with_the_typed_values_kept(testapp, staff, event_factory):
    event = event_factory()

    response = edit_form(testapp, event, starts_at="0001-01-01T00:10").submit(status=400)

    assert response.html.select_one("#starts_at-error") is not None


def test_the_event_page_shows_whether_a_notice_is_still_being_sent(testapp, staff, dbsession, event_factory, tr):
    event = event_factory()
    everyone(dbsession, event, maria=RegistrationStatus.CONFIRMED, nikos=RegistrationStatus.WAITING)
    assert post_action(testapp, event, "cancel").status_int == 303

    sending = testapp.get(f"/admin/events/{event.id}").html.select_one("#notices-heading").parent.text
    run_pending_tasks()
    sent = testapp.get(f"/admin/events/{event.id}").html.select_one("#notices-heading").parent.text

    assert tr("being sent") in sending
    assert tr("Cancellation") in sent and tr("being sent") not in sent

"""Office-hours changes that meet at once are decided on what the first one did: each request
takes the row lock of the slot (booking, withdrawing) or of the booking (cancelling, moving) and
reads it again, so the second waits for the first and then decides on its outcome (PostgreSQL:
concurrent writers, READ COMMITTED).

Each test holds the first change open in a request of its own (the same service the view calls)
while the second arrives through the whole web request in another thread."""

import datetime
import threading

import pytest
import webtest
from sqlalchemy import select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from incubator import mentor_services as mentoring
from incubator.models import MentorSession, MentorSessionStatus, OfficeHourSlot, Startup
from tests.conftest import login, make_user
from tests.functional.conftest import csrf_token, queued_mail
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import make_startup
from tests.functional.test_mentors import assign, make_mentor, make_session, make_slot
from tests.postgres.test_application_submission import wait_for_a_lock_wait
from tests.postgres.test_concurrency import ENVIRON

SOON = datetime.timedelta(days=2)
# Long enough for a request to be seen waiting for a lock; a request that takes none is done by then.
LOCK_WAIT = 5.0


@pytest.fixture
def mentor(dbsession):
    return make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")


@pytest.fixture
def startup(dbsession, mentor):
    startup = make_startup(dbsession, "OliveSense")
    on_team(dbsession, startup, make_user(dbsession, email="eleni@example.gr", name="Ελένη Φουντουλάκη",
                                          role=Role.FOUNDER))
    assign(dbsession, mentor, startup)
    return startup


def browser(app, email):
    client = webtest.TestApp(app, extra_environ=ENVIRON)
    login(client, email)
    return client


def while_held_open(engine, first, second):
    """Run `first(request)` in a transaction kept open while `second()` runs in another thread;
    commit it, let `second` finish, and return whether `second` was seen waiting for a lock and
    what it returned."""
    results = []
    with task_request() as request:
        first(request)
        thread = threading.Thread(target=lambda: results.append(second()))
        thread.start()
        waited = wait_for_a_lock_wait(engine, timeout=LOCK_WAIT)
    thread.join(timeout=30)
    (result,) = results
    return waited, result


def stored_session(dbsession, session_id):
    dbsession.rollback()
    return dbsession.get(MentorSession, session_id)


def booked_on(dbsession, slot_id):
    dbsession.rollback()
    return dbsession.scalars(select(MentorSession).where(
        MentorSession.slot_id == slot_id, MentorSession.status == MentorSessionStatus.BOOKED)).all()


def sent(dbsession):
    return [(message.template, message.recipient) for message in queued_mail(dbsession)]


# --- withdrawing a slot while it is booked ----------------------------------------------------


def test_a_booking_in_flight_is_cancelled_by_the_withdrawal_that_waits_for_it(app, engine, dbsession, mentor, startup):
    slot = make_slot(dbsession, mentor, SOON)
    mentors_browser = browser(app, "anna@example.gr")
    token = csrf_token(mentors_browser)

    def book(request):
        loaded = request.dbsession.get(Startup, startup.id)
        mentoring.book(request, loaded, request.dbsession.get(OfficeHourSlot, slot.id), loaded.founders[0].user,
                       "Τιμολόγηση", utcnow())

    waited, response = while_held_open(engine, book, lambda: mentors_browser.post(
        f"/account/mentoring/office-hours/{slot.id}/withdraw", {"csrf_token": token}, expect_errors=True))

    assert response.status_int == 303
    dbsession.rollback()
    assert dbsession.get(OfficeHourSlot, slot.id).withdrawn_at is not None
    assert booked_on(dbsession, slot.id) == [], "a withdrawn slot keeps no booking"
    [session] = dbsession.scalars(select(MentorSession)).all()
    assert session.status == MentorSessionStatus.CANCELLED
    assert session.sequence == 1
    assert sent(dbsession) == [("session-booked", "anna@example.gr"), ("session-booked", "eleni@example.gr"),
                               ("session-cancelled", "eleni@example.gr")]
    assert waited, "the withdrawal waits for the booking's lock"


def test_a_withdrawal_in_flight_refuses_the_booking_that_waits_for_it(app, engine, dbsession, mentor, startup, tr):
    slot = make_slot(dbsession, mentor, SOON)
    founders_browser = browser(app, "eleni@example.gr")
    form = founders_browser.get(f"/account/startups/{startup.id}/office-hours/{slot.id}").forms["booking-form"]
    form["topic"] = "Τιμολόγηση"

    def withdraw(request):
        mentoring.withdraw_slot(request, request.dbsession.get(OfficeHourSlot, slot.id), utcnow())

    waited, response = while_held_open(engine, withdraw, lambda: form.submit(expect_errors=True))

    assert response.status_int == 400
    assert tr("The mentor has withdrawn this time.") in response.text
    dbsession.rollback()
    assert dbsession.get(OfficeHourSlot, slot.id).withdrawn_at is not None
    assert dbsession.scalars(select(MentorSession)).all() == []
    assert sent(dbsession) == [], "nobody was invited to a withdrawn time"
    assert waited, "the booking waits for the withdrawal's lock"


def test_a_move_onto_a_slot_in_flight_is_cancelled_by_the_withdrawal_that_waits_for_it(
        app, engine, dbsession, mentor, startup):
    old, new = make_slot(dbsession, mentor, SOON), make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=3))
    session = make_session(dbsession, old, startup)
    mentors_browser = browser(app, "anna@example.gr")
    token = csrf_token(mentors_browser)

    def move(request):
        mentoring.reschedule(request, request.dbsession.get(MentorSession, session.id), new.id, utcnow())

    waited, response = while_held_open(engine, move, lambda: mentors_browser.post(
        f"/account/mentoring/office-hours/{new.id}/withdraw", {"csrf_token": token}, expect_errors=True))

    assert response.status_int == 303
    assert booked_on(dbsession, new.id) == [], "a withdrawn slot keeps no booking"
    stored = stored_session(dbsession, session.id)
    assert (stored.status, stored.slot_id, stored.sequence) == (MentorSessionStatus.CANCELLED, new.id, 2)
    assert waited, "the withdrawal waits for the move's lock"


def test_a_withdrawal_leaves_alone_the_booking_moved_away_from_the_slot_meanwhile(
        app, engine, dbsession, mentor, startup):
    old, new = make_slot(dbsession, mentor, SOON), make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=3))
    session = make_session(dbsession, old, startup)
    mentors_browser = browser(app, "anna@example.gr")
    token = csrf_token(mentors_browser)

    def move(request):
        mentoring.reschedule(request, request.dbsession.get(MentorSession, session.id), new.id, utcnow())

    waited, response = while_held_open(engine, move, lambda: mentors_browser.post(
        f"/account/mentoring/office-hours/{old.id}/withdraw", {"csrf_token": token}, expect_errors=True))

    assert response.status_int == 303
    dbsession.rollback()
    assert dbsession.get(OfficeHourSlot, old.id).withdrawn_at is not None
    stored = stored_session(dbsession, session.id)
    assert (stored.status, stored.slot_id, stored.sequence) == (MentorSessionStatus.BOOKED, new.id, 1)
    assert sent(dbsession) == [("session-rescheduled", "anna@example.gr"), ("session-rescheduled", "eleni@example.gr")]
    assert waited, "the withdrawal waits for the move's lock on the booking"


# --- cancelling a booking while it is moved ---------------------------------------------------


def test_a_cancellation_in_flight_refuses_the_move_that_waits_for_it(app, engine, dbsession, mentor, startup, tr):
    old, new = make_slot(dbsession, mentor, SOON), make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=3))
    session = make_session(dbsession, old, startup)
    founders_browser = browser(app, "eleni@example.gr")
    page = founders_browser.get(f"/account/startups/{startup.id}/sessions/{session.id}")
    form = page.forms["reschedule-form"]
    form["slot_id"] = str(new.id)

    def cancel(request):
        mentor_user = request.dbsession.get(OfficeHourSlot, old.id).mentor.user
        mentoring.cancel(request, request.dbsession.get(MentorSession, session.id), mentor_user, "", utcnow())

    waited, response = while_held_open(engine, cancel, lambda: form.submit(expect_errors=True))

    assert response.status_int == 400, "exactly one of the two succeeds"
    assert tr("This session was cancelled.") in response.text
    stored = stored_session(dbsession, session.id)
    assert (stored.status, stored.slot_id, stored.sequence) == (MentorSessionStatus.CANCELLED, old.id, 1)
    assert booked_on(dbsession, new.id) == []
    assert sent(dbsession) == [("session-cancelled", "anna@example.gr"), ("session-cancelled", "eleni@example.gr")]
    assert waited, "the move waits for the cancellation's lock"


def test_a_move_in_flight_is_then_cancelled_by_the_cancellation_that_waits_for_it(
        app, engine, dbsession, mentor, startup):
    """Cancelling a booking that was just moved cancels the moved booking: both changes stand,
    one after the other, and each raises the invitation's SEQUENCE once."""
    old, new = make_slot(dbsession, mentor, SOON), make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=3))
    session = make_session(dbsession, old, startup)
    founders_browser = browser(app, "eleni@example.gr")
    form = founders_browser.get(f"/account/startups/{startup.id}/sessions/{session.id}").forms["cancel-form"]

    def move(request):
        mentoring.reschedule(request, request.dbsession.get(MentorSession, session.id), new.id, utcnow())

    waited, response = while_held_open(engine, move, lambda: form.submit(expect_errors=True))

    assert response.status_int == 303
    stored = stored_session(dbsession, session.id)
    assert (stored.status, stored.slot_id) == (MentorSessionStatus.CANCELLED, new.id)
    assert stored.sequence == 2, "one SEQUENCE step for each of the two changes, none lost"
    assert booked_on(dbsession, old.id) == [] and booked_on(dbsession, new.id) == []
    assert sent(dbsession) == [("session-rescheduled", "anna@example.gr"), ("session-rescheduled", "eleni@example.gr"),
                               ("session-cancelled", "anna@example.gr"), ("session-cancelled", "eleni@example.gr")]
    assert waited, "the cancellation waits for the move's lock"

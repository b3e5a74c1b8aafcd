"""An office-hours slot is never double-booked, even when many founders press "Book" at the same
moment (PostgreSQL, real threads, real commits through the app)."""

import datetime

import webtest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from incubator.models import MentorSession, MentorSessionStatus
from tests.conftest import login, make_user
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import make_startup
from tests.functional.test_mentors import assign, make_mentor, make_session, make_slot
from tests.postgres.test_concurrency import ENVIRON, run_together

FOUNDERS = 8
SOON = datetime.timedelta(days=2)


def founders_of_startups(app, dbsession, mentor, count):
    """`count` startups the mentor is assigned to, each with a logged-in founder's browser."""
    clients = []
    for index in range(count):
        startup = make_startup(dbsession, f"Startup {index}", slug=f"startup-{index}")
        user = make_user(dbsession, email=f"founder{index}@example.gr", name=f"Ιδρυτής {index}", role=Role.FOUNDER)
        on_team(dbsession, startup, user)
        assign(dbsession, mentor, startup)
        client = webtest.TestApp(app, extra_environ=ENVIRON)
        login(client, user.email)
        clients.append((client, startup))
    return clients


def booked_on(dbsession, slot_id):
    dbsession.rollback()
    return dbsession.scalars(select(MentorSession.startup_id).where(
        MentorSession.slot_id == slot_id, MentorSession.status == MentorSessionStatus.BOOKED)).all()


def test_simultaneous_bookings_of_one_slot_give_it_to_exactly_one_startup(app, dbsession):
    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    slot = make_slot(dbsession, mentor, SOON)
    clients = founders_of_startups(app, dbsession, mentor, FOUNDERS)
    forms = []
    for client, startup in clients:
        form = client.get(f"/account/startups/{startup.id}/office-hours/{slot.id}").forms["booking-form"]
        form["topic"] = f"Θέμα της {startup.name}"
        forms.append(form)

    statuses = run_together(len(forms), lambda index: forms[index].submit(expect_errors=True).status_int)

    assert sorted(statuses) == [303] + [409] * (FOUNDERS - 1)
    winner = clients[statuses.index(303)][1]
    assert booked_on(dbsession, slot.id) == [winner.id]
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(MentorSession)) == 1


def test_bookings_and_moves_onto_one_slot_at_once_leave_it_booked_once(app, dbsession):
    """Half the founders book the slot, the other half move an earlier booking onto it."""
    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    target = make_slot(dbsession, mentor, SOON)
    clients = founders_of_startups(app, dbsession, mentor, FOUNDERS)
    actions = []
    for index, (client, startup) in enumerate(clients):
        if index % 2:
            form = client.get(f"/account/startups/{startup.id}/office-hours/{target.id}").forms["booking-form"]
            form["topic"] = "Θέμα"
        else:
            own = make_slot(dbsession, mentor, SOON + datetime.timedelta(hours=2 + index))
            session = make_session(dbsession, own, startup)
            form = client.get(f"/account/startups/{startup.id}/sessions/{session.id}").forms["reschedule-form"]
            form["slot_id"] = str(target.id)
        actions.append(form)

    statuses = run_together(len(actions), lambda index: actions[index].submit(expect_errors=True).status_int)

    assert statuses.count(303) == 1
    assert set(statuses) == {303, 409}
    assert len(booked_on(dbsession, target.id)) == 1

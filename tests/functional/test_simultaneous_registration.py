"""Capacity holds when registrations arrive together, on SQLite as on PostgreSQL (threads, one app)."""

import threading

import webtest
from sqlalchemy import func, select

from events.models import Registration, RegistrationStatus

ENVIRON = {"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"}


def test_threads_registering_at_once_never_overbook(app, event_factory, dbsession):
    event = event_factory(capacity=4)
    forms = []
    for number in range(12):
        form = webtest.TestApp(app, extra_environ=ENVIRON).get(f"/events/{event.slug}").forms["register-form"]
        form["name"] = f"Επισκέπτης {number}"
        form["email"] = f"visitor{number}@example.gr"
        form["consent"] = True
        forms.append(form)
    barrier = threading.Barrier(len(forms))
    statuses = [0] * len(forms)

    def send(index):
        barrier.wait(timeout=20)
        statuses[index] = forms[index].submit(expect_errors=True).status_int

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert set(statuses) == {303}
    dbsession.rollback()
    by_status = dict(dbsession.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all())
    assert by_status == {RegistrationStatus.CONFIRMED: 4, RegistrationStatus.WAITING: 8}

"""Decisions are made on what the database holds once the seat lock is taken, not on what a
request loaded before another one changed it (PostgreSQL: concurrent writers, READ COMMITTED)."""

import threading

import pytest
import sqlalchemy as sa

from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from events import services
from events.models import Event, Registration, RegistrationStatus
from events.services import RegistrantDetails, RegistrationRefused


def person(number):
    return RegistrantDetails(name=f"Συμμετέχουσα {number}", email=f"person{number}@example.gr")


def committed(engine, statement, **values):
    """Another request's change, committed while ours is in flight."""
    with engine.begin() as connection:
        connection.execute(sa.text(statement), values)


def test_a_registration_that_arrives_after_the_cancellation_is_refused(engine, event_factory):
    event = event_factory(capacity=5)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        loaded = request.dbsession.get(Event, event.id)
        committed(engine, "UPDATE events SET status = 'cancelled' WHERE id = :id", id=event.id)
        services.register(request, loaded, person(1), utcnow())

    assert refused.value.reason == "cancelled"


def test_capacity_lowered_meanwhile_is_the_capacity_that_counts(engine, event_factory, dbsession):
    event = event_factory(capacity=3)
    with task_request() as request:
        services.register(request, request.dbsession.get(Event, event.id), person(1), utcnow())

    with task_request() as request:
        loaded = request.dbsession.get(Event, event.id)
        committed(engine, "UPDATE events SET capacity = 1 WHERE id = :id", id=event.id)
        outcome = services.register(request, loaded, person(2), utcnow())
        status = outcome.registration.status

    assert status == RegistrationStatus.WAITING


def test_a_second_approval_of_the_last_seat_leaves_the_person_confirmed(engine, event_factory, dbsession):
    event = event_factory(capacity=1, approval_required=True)
    with task_request() as request:
        registration_id = services.register(
            request, request.dbsession.get(Event, event.id), person(1), utcnow(),
        ).registration.id

    with task_request() as request:
        stale = request.dbsession.get(Registration, registration_id)
        assert stale.status == RegistrationStatus.PENDING
        with task_request() as other:
            services.approve(other, other.dbsession.get(Registration, registration_id), utcnow())
        # Without re-reading, the second click would count the seat as taken and demote them.
        assert services.move_registration(request, stale, RegistrationStatus.CONFIRMED, utcnow()) is False

    dbsession.rollback()
    assert dbsession.get(Registration, registration_id).status == RegistrationStatus.CONFIRMED


def test_a_registration_waits_for_staff_lowering_the_capacity_and_then_respects_it(engine, event_factory):
    event = event_factory(capacity=2)
    with task_request() as request:
        services.register(request, request.dbsession.get(Event, event.id), person(1), utcnow())
    statuses = []

    def register_second_person():
        with task_request() as request:
            outcome = services.register(request, request.dbsession.get(Event, event.id), person(2), utcnow())
            statuses.append(outcome.registration.status)

    with task_request() as staff:
        loaded = staff.dbsession.get(Event, event.id)
        services.lock_seats(staff, loaded)
        visitor = threading.Thread(target=register_second_person)
        visitor.start()
        visitor.join(timeout=1)
        assert visitor.is_alive(), "the registration waits for the seat lock"
        assert services.seats_taken(staff.dbsession, event.id) == 1
        loaded.capacity = 1
    visitor.join(timeout=30)

    assert statuses == [RegistrationStatus.WAITING]

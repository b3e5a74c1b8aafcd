"""No overbooking, ever: many registrations at once through a real multi-process server."""

import pytest
import sqlalchemy as sa

from events.models import Registration
from tests.registration_load import gunicorn_server, outcome, register_all_at_once, server_settings

CAPACITY = 10
VISITORS = 60
# Without the lock a race is likely, not certain; a few rounds make the control reliable.
CONTROL_ROUNDS = 4


def _run(database_url, tmp_path, event_factory, engine, seat_lock, capacity, visitors):
    with gunicorn_server(server_settings(database_url, tmp_path / "var", seat_lock), tmp_path) as address:
        event = event_factory(capacity=capacity)
        attempts = register_all_at_once(address, event.slug, visitors)
    return outcome(engine, event.id, capacity, attempts)


def test_simultaneous_registrations_fill_the_seats_exactly_and_queue_the_rest(
    database_url, tmp_path, event_factory, engine
):
    result = _run(database_url, tmp_path, event_factory, engine, True, CAPACITY, VISITORS)

    assert result.errors == 0
    assert result.confirmed == CAPACITY
    assert result.waiting == VISITORS - CAPACITY
    assert result.overbooked == 0


def test_the_test_sees_overbooking_when_the_seat_lock_is_switched_off(
    database_url, tmp_path, event_factory, engine
):
    """The control: the same load without the lock overbooks, so the test above can catch it."""
    overbooked = 0
    for round_number in range(CONTROL_ROUNDS):
        result = _run(database_url, tmp_path / str(round_number), event_factory, engine, False, 3, 40)
        overbooked = max(overbooked, result.overbooked)
        if overbooked:
            break

    if not overbooked:
        pytest.fail(f"{CONTROL_ROUNDS} unlocked rounds never overbooked: the load is not concurrent enough")


def test_a_registration_that_waits_too_long_for_the_seat_lock_gets_a_busy_page_and_nothing_is_stored(
    make_app, event_factory, engine, dbsession, tr
):
    event = event_factory(capacity=5)
    client = make_app(**{"events.seat_lock_timeout_ms": "200"})
    form = client.get(f"/events/{event.slug}").forms["register-form"]
    form["name"] = "Υπομονετική Επισκέπτρια"
    form["email"] = "patient@example.gr"
    form["consent"] = True

    with engine.connect() as holder:
        holder.execute(sa.text("SELECT id FROM events WHERE id = :id FOR UPDATE"), {"id": event.id})
        response = form.submit(status=503)
        holder.rollback()

    assert response.headers["Retry-After"] == "5"
    assert tr("Many people are registering right now") in response.text
    dbsession.rollback()
    assert dbsession.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    assert form.submit().status_int == 303, "once the lock is free, the same form goes through"

"""No overbooking, ever: many registrations at once through a real multi-process server."""

import pytest

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

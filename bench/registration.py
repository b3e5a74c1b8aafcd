"""300 people register for a 50-seat event at the same moment, through gunicorn on PostgreSQL.

Ours: the seat lock on. Naive: the same run with the lock switched off (`events.seat_lock =
false`), which shows that the benchmark sees overbooking when it happens.
"""

import datetime
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.common import BenchResult, scratch_postgresql
from events.models import Event, EventStatus
from tests.registration_load import gunicorn_server, outcome, register_all_at_once, server_settings

CAPACITY = 50
VISITORS = 300


def _event(engine: sa.Engine, slug: str) -> int:
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
    with Session(engine) as session:
        event = Event(slug=slug, title_el="Βραδιά παρουσιάσεων", starts_at=start,
                      ends_at=start + datetime.timedelta(hours=2), capacity=CAPACITY,
                      status=EventStatus.PUBLISHED, published_at=start)
        session.add(event)
        session.commit()
        return event.id


def _measure(database_url: str, directory: Path, seat_lock: bool) -> dict[str, float]:
    engine = sa.create_engine(database_url)
    slug = "pitch-night-locked" if seat_lock else "pitch-night-unlocked"
    event_id = _event(engine, slug)
    with gunicorn_server(server_settings(database_url, directory / "var", seat_lock), directory) as address:
        attempts = register_all_at_once(address, slug, VISITORS)
    figures = outcome(engine, event_id, CAPACITY, attempts).as_figures()
    engine.dispose()
    return figures


def run() -> BenchResult:
    with scratch_postgresql("registration") as database_url, tempfile.TemporaryDirectory() as scratch:
        ours = _measure(database_url, Path(scratch) / "ours", seat_lock=True)
        naive = _measure(database_url, Path(scratch) / "naive", seat_lock=False)
    return BenchResult(
        name="registration",
        goal=f"{VISITORS} simultaneous registrations, {CAPACITY} seats: overbooked 0, errors 0 "
             "(ratio: naive overbooked seats + 1 over ours + 1)",
        ours=ours,
        naive=naive,
        ratio=(naive["overbooked"] + 1) / (ours["overbooked"] + 1),
    )

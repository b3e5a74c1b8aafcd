"""The busiest pages with ten times the data: the time and the SQL queries of each page.

Ours: the demo seed at --scale 10. Naive: the same pages with a 10x smaller seed (--scale 1).
The number of queries per page must not grow with the data (no query per row).
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import transaction
import webtest
from sqlalchemy import func, select

from bench.common import BenchResult, median_ms, scratch_app
from dimoskopio.db import get_tm_session, utcnow
from dimoskopio.seed import run_seeders
from events.models import Event, EventStatus, Registration

STAFF_EMAIL = "staff@dimoskopio.example"
STAFF_PASSWORD = "dimoskopio-staff"  # noqa: S105 - the demo account the seed creates
REPEAT = 15


@contextmanager
def seeded_app(directory: Path, scale: float) -> Iterator[Any]:
    app = scratch_app(directory)
    registry = app.registry
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(registry["dbsession_factory"], manager)
    with manager:
        run_seeders(registry, session, scale=scale)
    session.close()
    yield app
    registry["db_engine"].dispose()


class QueryCounter:
    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.count += 1


def busiest_upcoming_event(app: Any) -> Event:
    session = app.registry["dbsession_factory"]()
    registrations = func.count(Registration.id)
    event = session.execute(
        select(Event).join(Registration, Registration.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED, Event.starts_at > utcnow())
        .group_by(Event.id).order_by(registrations.desc()).limit(1)
    ).scalar_one()
    session.close()
    return event


def measure(app: Any) -> dict[str, float]:
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    event = busiest_upcoming_event(app)
    login = client.get("/login").forms["login-form"]
    login["email"] = STAFF_EMAIL
    login["password"] = STAFF_PASSWORD
    assert login.submit().status_int == 303, "the seed's staff login failed"
    counter = QueryCounter(app.registry["db_engine"])
    pages = {
        "list": "/events",
        "event": f"/events/{event.slug}",
        "staff_registrations": f"/admin/events/{event.id}",
    }
    figures: dict[str, float] = {}
    for name, path in pages.items():
        client.get(path)  # warm the template cache
        counter.count = 0
        client.get(path)
        figures[f"{name}_queries"] = counter.count
        figures[f"{name}_ms"] = round(median_ms(lambda path=path: client.get(path), REPEAT), 1)
    return figures


def run() -> BenchResult:
    results = {}
    for label, scale in (("ours", 10.0), ("naive", 1.0)):
        with tempfile.TemporaryDirectory() as scratch, seeded_app(Path(scratch), scale) as app:
            results[label] = measure(app)
    ours, naive = results["ours"], results["naive"]
    query_keys = [key for key in ours if key.endswith("_queries")]
    return BenchResult(
        name="pages",
        goal="event list, event page and staff registrations page at --scale 10 vs --scale 1: "
             "queries per page must not grow (ratio: queries at scale 1 over queries at scale 10)",
        ours=ours,
        naive=naive,
        ratio=sum(naive[key] for key in query_keys) / sum(ours[key] for key in query_keys),
    )

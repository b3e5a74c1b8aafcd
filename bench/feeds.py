"""The all-events calendar feed with 1,000 events: built once and served from the shared cache.

Ours: the first build through the app with nothing stored (cold), a rebuild after one event
changed (the other VEVENTs come from their stored entries), a cached GET (warm), a conditional
GET (304), and the SQL queries of a cold build. Naive: a build
that makes one icalendar.Event per event on every request (the events loaded, each turned into
a VEVENT, the calendar serialized).
"""

import datetime
import statistics
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import transaction
import webtest
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import delete, select

from bench.common import BenchResult, median_ms, scratch_app
from dimoskopio.db import get_tm_session, utcnow
from events.models import CalendarEntry, CalendarFeed, Category, Event, EventStatus, Venue

EVENTS = 1000


def _events(app: Any) -> None:
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(app.registry["dbsession_factory"], manager)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=60)
    with manager:
        category = Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops")
        venue = Venue(name="Δημοσκόπιο, αίθουσα Α", address="Λεωφ. Κνωσού 1, Ηράκλειο",
                      latitude=35.3387, longitude=25.1442)
        session.add_all([category, venue])
        for number in range(EVENTS):
            begins = start + datetime.timedelta(hours=7 * number)
            session.add(Event(
                slug=f"event-{number}", title_el=f"Εργαστήριο {number}: από την ιδέα στο MVP, βήμα βήμα",
                summary_el="Πρακτικό εργαστήριο για ομάδες που ξεκινούν.",
                description_el="Θα δούμε:\n\n- το πρόβλημα\n- τη λύση\n- **το επόμενο βήμα**\n" * 3,
                starts_at=begins, ends_at=begins + datetime.timedelta(hours=2), category=category, venue=venue,
                status=EventStatus.PUBLISHED, published_at=begins,
            ))
    session.close()


def _naive_build(app: Any) -> bytes:
    """What a feed costs without a cache: every event becomes an icalendar.Event on every request."""
    session = app.registry["dbsession_factory"]()
    now = utcnow()
    calendar = Calendar()
    calendar.add("prodid", "-//naive//EN")
    calendar.add("version", "2.0")
    for event in session.scalars(select(Event).where(Event.status != EventStatus.DRAFT)).unique():
        component = CalendarEvent()
        component.add("uid", f"event-{event.id}@localhost")
        component.add("dtstamp", now)
        component.add("last-modified", event.updated_at)
        component.add("sequence", event.sequence)
        component.add("status", "CONFIRMED")
        component.add("dtstart", event.starts_at.astimezone(app.registry["timezone"]))
        component.add("dtend", event.ends_at.astimezone(app.registry["timezone"]))
        component.add("summary", event.title_el)
        component.add("description", f"{event.summary_el}\n\n{event.description_el}")
        component.add("location", f"{event.venue.name}, {event.venue.address}")
        component.add("geo", (float(event.venue.latitude), float(event.venue.longitude)))
        component.add("url", f"http://localhost/events/{event.slug}")
        component.add("categories", [event.category.name_el])
        calendar.add_component(component)
    calendar.add_missing_timezones()
    body = calendar.to_ical()
    session.close()
    return body


def _forget_built_feeds(app: Any) -> None:
    with app.registry["db_engine"].begin() as connection:
        connection.execute(delete(CalendarFeed))
        connection.execute(delete(CalendarEntry))


def _edit_one_event(app: Any) -> None:
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(app.registry["dbsession_factory"], manager)
    with manager:
        event = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).unique().one()
        event.title_el = f"{event.title_el.split(' (')[0]} ({utcnow():%H:%M:%S.%f})"
    session.close()


def run() -> BenchResult:
    with tempfile.TemporaryDirectory() as scratch:
        app = scratch_app(Path(scratch))
        _events(app)
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
        engine = app.registry["db_engine"]
        client.get("/calendar.ics")  # templates, the time zone and the code warmed once

        def cold() -> None:
            """The first build after an edit: the feed and the edited event's entry are stale."""
            _edit_one_event(app)
            client.get("/calendar.ics")

        def first_build() -> float:
            """A feed built from nothing stored at all (every VEVENT written)."""
            _forget_built_feeds(app)
            return median_ms(lambda: client.get("/calendar.ics"), 1)

        statements: list[str] = []
        _forget_built_feeds(app)
        record = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", record)
        client.get("/calendar.ics")
        sa.event.remove(engine, "before_cursor_execute", record)

        rebuild_ms = round(median_ms(cold, 5), 1)
        # The two builds alternate, so that a busy moment on a shared machine weighs on both alike.
        first_builds, naive_builds = [], []
        for _ in range(5):
            first_builds.append(first_build())
            naive_builds.append(median_ms(lambda: _naive_build(app), 1))
        cold_ms = round(statistics.median(first_builds), 1)
        etag = client.get("/calendar.ics").headers["ETag"]
        ours = {
            "cold_ms": cold_ms,
            "rebuild_after_edit_ms": rebuild_ms,
            "warm_ms": round(median_ms(lambda: client.get("/calendar.ics"), 30), 2),
            "conditional_ms": round(median_ms(
                lambda: client.get("/calendar.ics", headers={"If-None-Match": etag}, status=304), 30), 2),
            "queries_cold": len(statements),
        }
        naive = {"build_ms": round(statistics.median(naive_builds), 1)}
        engine.dispose()
    return BenchResult(
        name="feeds",
        goal=f"/calendar.ics with {EVENTS} events: ratio (naive build_ms / ours warm_ms) >= 50, "
             "cold no slower than naive, queries_cold independent of the number of events",
        ours=ours,
        naive=naive,
        ratio=naive["build_ms"] / ours["warm_ms"],
    )

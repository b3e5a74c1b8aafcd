"""Certificate runs under real concurrency (PostgreSQL, real threads, real commits): two workers
never process one run at once, and nobody ever holds two standing certificates for one event."""

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from events.certificate_services import attendees_without_certificate, issue, issue_batch
from events.models import Certificate, CertificateRun, Event
from tests.functional.events_helpers import add, add_registration, past_event_with_attendees
from tests.postgres.test_concurrency import run_together


@pytest.fixture
def run(dbsession, event_factory):
    """An event with two people checked in and a run for their certificates that no worker took yet."""
    event, people = past_event_with_attendees(dbsession, event_factory)
    now = utcnow()
    run = add(dbsession, CertificateRun(event_id=event.id, total=2, email_attendees=False, created_at=now,
                                        touched_at=now))
    return event, people, run.id


def standing_counts(engine, event_id) -> dict[int, int]:
    """Standing certificates of the event per registration."""
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(Certificate.registration_id, sa.func.count())
                                       .where(Certificate.event_id == event_id, Certificate.revoked_at.is_(None))
                                       .group_by(Certificate.registration_id)).all())


def stored_run(engine, run_id) -> sa.Row:
    with engine.connect() as connection:
        return connection.execute(sa.select(CertificateRun.issued, CertificateRun.touched_at,
                                            CertificateRun.finished_at).where(CertificateRun.id == run_id)).one()


def batch(run_id) -> bool:
    """One batch, as the task runs it; a worker that waited for a lock fails rather than hangs."""
    with task_request() as request:
        request.dbsession.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
        return issue_batch(request, run_id, utcnow())


def test_a_run_another_worker_holds_is_skipped_without_waiting_or_issuing(engine, run):
    event, people, run_id = run
    before = stored_run(engine, run_id)

    with engine.connect() as holder:
        holder.execute(sa.text("SELECT id FROM certificate_runs WHERE id = :id FOR UPDATE"), {"id": run_id})
        started = time.monotonic()
        more = batch(run_id)
        waited = time.monotonic() - started
        holder.rollback()

    assert more is False, "the other worker has the run: this one ends its chain"
    assert waited < 5, f"skipped at once, not after waiting for the lock ({waited:.1f}s)"
    assert standing_counts(engine, event.id) == {}
    assert stored_run(engine, run_id) == before, "the run is left as it was"

    assert batch(run_id) is True, "once the lock is free, the run goes on"
    assert standing_counts(engine, event.id) == {people["greek"].id: 1, people["english"].id: 1}
    assert batch(run_id) is False
    issued, _, finished_at = stored_run(engine, run_id)
    assert (issued, finished_at is not None) == (2, True)


def test_workers_taking_one_run_at_the_same_moment_issue_each_certificate_once(engine, run, dbsession):
    event, _people, run_id = run
    for number in range(3):
        add_registration(dbsession, event, email=f"extra{number}@example.gr", checked_in_at=utcnow())

    results = run_together(4, lambda index: batch(run_id))

    assert sorted(results) == [False, False, False, True], "exactly one worker issued the batch"
    counts = standing_counts(engine, event.id)
    assert len(counts) == 5 and set(counts.values()) == {1}
    issued, _, _ = stored_run(engine, run_id)
    assert issued == 5


def test_the_database_refuses_a_second_standing_certificate_for_one_registration(engine, run):
    event, people, _ = run
    now = utcnow()

    def certificate(code, **values):
        return {"code": code, "kind": "attendance", "event_id": event.id, "registration_id": people["greek"].id,
                "recipient_name": "Ελένη", "title": "Τίτλος", "period": "Χθες", "locale": "el", "pdf": b"%PDF",
                "issued_at": now, "revoke_reason": "", **values}

    table = Certificate.__table__
    with engine.begin() as connection:
        connection.execute(table.insert(), certificate("first"))
    with pytest.raises(IntegrityError) as refused, engine.begin() as connection:
        connection.execute(table.insert(), certificate("second"))
    assert refused.value.orig.diag.constraint_name == "uq_certificates_registration_standing"

    with engine.begin() as connection:
        connection.execute(table.insert(), certificate("revoked", revoked_at=now, revoke_reason="Λάθος"))
        connection.execute(table.update().where(table.c.code == "first").values(revoked_at=now))
        connection.execute(table.insert(), certificate("replacement"))
    assert standing_counts(engine, event.id) == {people["greek"].id: 1}


def test_two_workers_that_read_the_same_missing_attendees_cannot_both_issue(engine, run):
    """Without the run lock (say a second code path issued for the event), the partial unique
    index is what stops the slower worker: its transaction fails, and nothing of it is kept."""
    event, people, _ = run
    both_read = threading.Barrier(2)

    def worker(index):
        try:
            with task_request() as request:
                request.dbsession.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
                stored = request.dbsession.get(Event, event.id)
                missing = attendees_without_certificate(request.dbsession, event.id)
                both_read.wait(timeout=20)
                issue(request, stored, missing, utcnow())
            return "issued"
        except IntegrityError as error:
            return error.orig.diag.constraint_name

    outcomes = run_together(2, worker)

    assert sorted(outcomes) == ["issued", "uq_certificates_registration_standing"]
    assert standing_counts(engine, event.id) == {people["greek"].id: 1, people["english"].id: 1}

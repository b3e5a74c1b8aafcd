"""An application is submitted once, even when two requests submit it at the same time (two tabs,
a double click): the second waits for the first's row lock and then sees it submitted
(PostgreSQL: concurrent writers, READ COMMITTED)."""

import threading
import time

import sqlalchemy as sa
import webtest

from dimoskopio.db import lock_row, utcnow
from dimoskopio.tasks import task_request
from incubator import call_services
from incubator.models import Application, ApplicationStatus
from tests.conftest import login
from tests.functional.calls_helpers import make_application, make_call
from tests.functional.conftest import queued_mail
from tests.postgres.test_concurrency import ENVIRON


def wait_for_a_lock_wait(engine, timeout=10.0):
    """Until another connection to this database waits for a row lock (True), or the timeout (False)."""
    deadline = time.monotonic() + timeout
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(query):
                return True
        time.sleep(0.05)
    return False


def test_a_submission_made_while_another_is_in_flight_waits_for_it_and_is_refused(
        app, engine, dbsession, user_factory, tr):
    call = make_call(dbsession)
    applicant = user_factory(email="eleni@example.gr")
    application = make_application(dbsession, call, applicant, status=ApplicationStatus.DRAFT)
    second_tab = webtest.TestApp(app, extra_environ=ENVIRON)
    login(second_tab, applicant.email)
    form = second_tab.get(f"/account/applications/{application.id}").forms["application-form"]
    responses = []

    # The first tab's submission, through the same service, holding its change (and the row lock)
    # open while the second tab submits through the whole web request.
    with task_request() as first_tab:
        loaded = first_tab.dbsession.get(Application, application.id)
        lock_row(first_tab.dbsession, loaded)
        call_services.submit_application(first_tab, loaded, utcnow())
        first_submitted_at = loaded.submitted_at
        submitting = threading.Thread(target=lambda: responses.append(form.submit("submit", expect_errors=True)))
        submitting.start()
        assert wait_for_a_lock_wait(engine), "the second submission waits for the first one's lock"
        assert submitting.is_alive()
    submitting.join(timeout=30)

    (response,) = responses
    assert response.status_int == 409
    assert tr("This application was submitted: it can no longer be changed.") in response.text
    assert [(sent.template, sent.recipient) for sent in queued_mail(dbsession)] == [
        ("application-submitted", "eleni@example.gr")]
    dbsession.rollback()
    stored = dbsession.get(Application, application.id)
    assert stored.status is ApplicationStatus.SUBMITTED
    assert stored.submitted_at == first_submitted_at

"""Rules that must hold when many requests arrive at once (PostgreSQL, real threads, real commits)."""

import threading

import webtest
from sqlalchemy import func, select

from dimoskopio.accounts.models import User
from dimoskopio.db import utcnow
from dimoskopio.mail import send_email
from dimoskopio.mail.services import claim_message
from dimoskopio.tasks import task_request

ENVIRON = {"HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"}


def run_together(count, action):
    """Start `count` threads that call `action(index)` at the same moment; return their results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        barrier.wait(timeout=20)
        results[index] = action(index)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def prepared_form(app, path, form_id):
    client = webtest.TestApp(app, extra_environ=ENVIRON)
    return client.get(path).forms[form_id]


def test_parallel_wrong_passwords_all_count_and_lock_the_account(app, user_factory, dbsession):
    user = user_factory(email="target@example.gr")
    forms = [prepared_form(app, "/login", "login-form") for _ in range(8)]
    for index, form in enumerate(forms):
        form["email"] = user.email
        form["password"] = f"wrong guess number {index}"

    statuses = run_together(len(forms), lambda index: forms[index].submit(expect_errors=True).status_int)

    assert set(statuses) == {400}
    dbsession.rollback()
    locked = dbsession.get(User, user.id)
    assert locked.locked_until is not None, "eight parallel guesses are more than the five allowed"


def test_parallel_sign_ups_with_one_address_create_one_account_and_no_error(app, dbsession):
    forms = [prepared_form(app, "/signup", "signup-form") for _ in range(6)]
    for form in forms:
        form["name"] = "Διπλή Εγγραφή"
        form["email"] = "twice@example.gr"
        form["password"] = "a long enough password"
        form["password_confirm"] = "a long enough password"
        form["accept_terms"] = True

    statuses = run_together(len(forms), lambda index: forms[index].submit(expect_errors=True).status_int)

    assert statuses == [303] * len(forms)
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(User)) == 1


def test_only_one_worker_claims_a_message(app):
    with task_request() as request:
        message_id = send_email(request, "verify-email", "one@example.gr",
                                {"name": "One", "link": "http://localhost/x", "hours": 72}).id
    now = utcnow()

    def claim(index):
        with task_request() as request:
            return claim_message(request.dbsession, message_id, now) is not None

    assert sorted(run_together(8, claim)) == [False] * 7 + [True]

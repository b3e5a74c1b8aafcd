"""A request whose data changed under it is tried again instead of failing (both databases).

On SQLite a form submission (POST) takes the write lock when it begins, so this can only happen to
requests that write on a safe method, as the background tasks' requests do.
"""

import threading

import sqlalchemy as sa
from pyramid.response import Response
from zope.sqlalchemy import mark_changed

from tests.conftest import TEST_DB


def test_a_request_that_reads_then_writes_after_another_commit_succeeds(make_app, engine):
    attempts = []

    def view(request):
        attempt = request.environ["retry.attempt"]
        attempts.append(attempt)
        request.dbsession.execute(sa.text("SELECT count(*) FROM users")).scalar_one()
        if attempt == 0:
            # Another request commits a write between this one's read and its write.
            with engine.begin() as other:
                other.execute(sa.text(
                    "INSERT INTO users (email, name, password_hash, role, locale, is_active, "
                    "password_changed_at, failed_logins, created_at) VALUES ('other@example.gr', 'Other', 'x', "
                    "'member', 'el', true, CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"
                ))
        request.dbsession.execute(sa.text(
            "INSERT INTO users (email, name, password_hash, role, locale, is_active, password_changed_at, "
            "failed_logins, created_at) VALUES (:email, 'Writer', 'x', 'member', 'el', true, CURRENT_TIMESTAMP, "
            "0, CURRENT_TIMESTAMP)"
        ), {"email": f"writer{attempt}@example.gr"})
        mark_changed(request.dbsession)
        return Response("written")

    def add_route(config):
        config.add_route("test.write", "/test-write")
        config.add_view(view, route_name="test.write")

    assert make_app(add_route).get("/test-write").text == "written"
    with engine.connect() as connection:
        emails = set(connection.scalars(sa.text("SELECT email FROM users")))
    if TEST_DB == "sqlite":
        assert attempts == [0, 1], "SQLite refuses the stale write; the whole request is tried again"
        assert emails == {"other@example.gr", "writer1@example.gr"}
    else:
        assert attempts == [0]
        assert emails == {"other@example.gr", "writer0@example.gr"}


def test_simultaneous_form_submissions_all_succeed(make_app, engine):
    """On SQLite each POST begins only once the previous writer has committed, and sees its data;
    PostgreSQL lets them run side by side."""
    seen = []

    def view(request):
        seen.append(request.dbsession.execute(sa.text("SELECT count(*) FROM users")).scalar_one())
        request.dbsession.execute(sa.text(
            "INSERT INTO users (email, name, password_hash, role, locale, is_active, password_changed_at, "
            "failed_logins, created_at) VALUES (:email, 'Writer', 'x', 'member', 'el', true, CURRENT_TIMESTAMP, "
            "0, CURRENT_TIMESTAMP)"
        ), {"email": f"writer{len(seen)}@example.gr"})
        mark_changed(request.dbsession)
        return Response("written")

    def add_route(config):
        config.add_route("test.write", "/test-write")
        config.add_view(view, route_name="test.write", require_csrf=False)

    client = make_app(add_route)
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.post("/test-write").status_int))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results == [200] * 4
    if TEST_DB == "sqlite":
        assert sorted(seen) == [0, 1, 2, 3], "each writer saw every earlier commit: none read a stale snapshot"

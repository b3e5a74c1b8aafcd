"""Serialization failures under concurrency are retried by pyramid_retry instead of failing."""

import threading

import sqlalchemy as sa
import webtest
from pyramid.response import Response
from zope.sqlalchemy import mark_changed

from dimoskopio.config import make_configurator


def counter_view(barrier: threading.Barrier):
    def view(request):
        dbsession = request.dbsession
        dbsession.execute(sa.text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
        value = dbsession.execute(sa.text("SELECT value FROM retry_counter WHERE id = 1")).scalar_one()
        attempt = request.environ["retry.attempt"]
        if attempt == 0:
            barrier.wait(timeout=10)
        dbsession.execute(sa.text("UPDATE retry_counter SET value = :value WHERE id = 1"), {"value": value + 1})
        mark_changed(dbsession)
        return Response(f"{value + 1} after {attempt} retries")

    return view


def test_conflicting_requests_both_succeed_thanks_to_retry(app_settings, engine):
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE retry_counter (id integer PRIMARY KEY, value integer NOT NULL)"))
        connection.execute(sa.text("INSERT INTO retry_counter VALUES (1, 0)"))
    try:
        barrier = threading.Barrier(2)
        config = make_configurator(dict(app_settings))
        config.add_route("test.counter", "/test-counter")
        config.add_view(counter_view(barrier), route_name="test.counter", require_csrf=False)
        testapp = webtest.TestApp(config.make_wsgi_app())
        responses = []

        def hit():
            responses.append(testapp.post("/test-counter", extra_environ={"HTTP_HOST": "localhost"}))

        threads = [threading.Thread(target=hit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(response.status_int for response in responses) == [200, 200]
        assert any("after 1 retries" in response.text for response in responses), "one request was retried"
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT value FROM retry_counter")).scalar_one() == 2
        config.registry["db_engine"].dispose()
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE retry_counter"))

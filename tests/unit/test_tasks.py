"""The task layer: Huey tasks in a request with their own transaction, enqueued after commit."""

import datetime

import pytest
from sqlalchemy import select

from dimoskopio.accounts.models import User
from dimoskopio.tasks import configure_huey, huey, run_pending_tasks, task, task_request
from tests.conftest import REDIS_URL, unavailable

calls: list[tuple[str, object]] = []


@task()
def record_call(request, label):
    calls.append((label, request.registry))


@task()
def create_user(request, email):
    request.dbsession.add(User(email=email, name="Task", password_hash="x"))


@task()
def create_user_then_fail(request, email):
    request.dbsession.add(User(email=email, name="Task", password_hash="x"))
    request.dbsession.flush()
    raise RuntimeError("the task failed after writing")


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def test_task_is_enqueued_only_when_the_transaction_commits(app):
    with task_request() as request:
        request.enqueue(record_call, "committed")
    with pytest.raises(RuntimeError), task_request() as request:
        request.enqueue(record_call, "rolled back")
        raise RuntimeError("abort")
    assert run_pending_tasks() == 1
    assert [label for label, _ in calls] == ["committed"]


def test_task_runs_in_a_request_bound_to_the_app(app):
    record_call("direct")
    run_pending_tasks()
    assert calls == [("direct", app.registry)]


def test_task_commits_its_own_transaction(app, dbsession):
    create_user("task@example.gr")
    run_pending_tasks()
    assert dbsession.scalar(select(User.email)) == "task@example.gr"


def test_failing_task_leaves_nothing_half_written(app, dbsession):
    create_user_then_fail("half@example.gr")
    run_pending_tasks()
    assert dbsession.scalars(select(User)).all() == []


def test_outbox_sweep_is_a_periodic_task_run_every_minute(app):
    for minute in (0, 1, 17, 59):
        due = huey.read_periodic(datetime.datetime(2026, 11, 27, 10, minute))
        assert "dimoskopio.mail.tasks.sweep_outbox" in {f"{type(task).__module__}.{task.name}" for task in due}


def test_sqlite_storage_is_the_default(app, var_dir):
    assert type(huey.storage).__name__ == "SqliteStorage"
    assert huey.storage.filename == str(var_dir / "huey.sqlite")


def test_redis_storage_when_configured(app):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        unavailable(f"Redis not reachable at {REDIS_URL}")
    settings = {**app.registry.settings, "huey.redis_url": REDIS_URL}
    configure_huey(settings, app.registry)
    try:
        assert type(huey.storage).__name__ == "RedisStorage"
        huey.flush()
        record_call("through redis")
        assert huey.pending_count() == 1
        assert run_pending_tasks() == 1
        assert [label for label, _ in calls] == ["through redis"]
    finally:
        huey.flush()
        configure_huey(app.registry.settings, app.registry)

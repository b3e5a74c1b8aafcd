"""Background work with Huey: tasks run in a Pyramid request with their own transaction.

Tasks are enqueued only after the web transaction commits (`request.enqueue`), so a task never
sees data that was rolled back and never runs before the data it needs is visible.
"""

import contextlib
import datetime
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from huey import Huey, crontab
from huey.api import TaskWrapper
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.scripting import prepare

log = logging.getLogger(__name__)

__all__ = ["crontab", "enqueue", "huey", "periodic_task", "run_pending_tasks", "schedule", "task"]

huey = Huey("dimoskopio", results=False, utc=True, storage_class=MemoryStorage)
_state: dict[str, Registry] = {}


def configure_huey(settings: dict[str, Any], registry: Registry) -> None:
    """Point the shared Huey instance at Redis (if configured) or a SQLite file under var/."""
    redis_url = settings.get("huey.redis_url")
    if redis_url:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": redis_url}
    else:
        path = Path(settings["huey.sqlite_path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    huey.storage = huey.create_storage()
    _state["registry"] = registry


@contextlib.contextmanager
def task_request() -> Iterator[Request]:
    """A request bound to the application's registry, inside its own transaction."""
    registry = _state["registry"]
    request = Request.blank("/", base_url=registry.settings["dimoskopio.base_url"])
    with prepare(request=request, registry=registry), request.tm:
        yield request


def _in_request(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with task_request() as request:
            return func(request, *args, **kwargs)

    return run


# A task that fails (say, on a deadlock) is tried again a little later; tasks must therefore be
# idempotent, which the outbox claim and similar checks make them.
DEFAULT_TASK_OPTIONS = {"retries": 3, "retry_delay": 30}


def task(**options: Any) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a background task; the function receives a request as its first argument."""

    def decorator(func: Callable[..., Any]) -> TaskWrapper:
        return huey.task(**{**DEFAULT_TASK_OPTIONS, **options})(_in_request(func))

    return decorator


def periodic_task(when: Any, **options: Any) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a task the worker runs on a crontab schedule (`when`)."""

    def decorator(func: Callable[..., Any]) -> TaskWrapper:
        return huey.periodic_task(when, **options)(_in_request(func))

    return decorator


def _after_commit(request: Request, task_wrapper: TaskWrapper, put_in_queue: Callable[[], Any]) -> None:
    def hook(succeeded: bool) -> None:
        if not succeeded:
            return
        try:
            put_in_queue()
        except Exception:
            # The work it stood for is recorded in the database, where a sweep can find it.
            log.exception("could not queue %s", task_wrapper.func.__name__)

    request.tm.get().addAfterCommitHook(hook)


def enqueue(request: Request, task_wrapper: TaskWrapper, *args: Any, **kwargs: Any) -> None:
    """Enqueue a task once (and only if) the current transaction commits."""
    _after_commit(request, task_wrapper, functools.partial(task_wrapper, *args, **kwargs))


def schedule(request: Request, task_wrapper: TaskWrapper, eta: datetime.datetime, *args: Any) -> None:
    """Run a task at `eta` (an aware datetime), once the current transaction commits."""
    _after_commit(request, task_wrapper, functools.partial(task_wrapper.schedule, args=args, eta=eta))


def run_pending_tasks(limit: int = 1000) -> int:
    """Execute queued tasks in this process (used by the test suite and management commands)."""
    executed = 0
    while executed < limit:
        queued = huey.dequeue()
        if queued is None:
            break
        huey.execute(queued)
        executed += 1
    return executed


def includeme(config: Configurator) -> None:
    configure_huey(config.get_settings(), config.registry)
    config.add_request_method(enqueue, "enqueue")

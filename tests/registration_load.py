"""Many people registering for one event at the same moment, through a real multi-process server.

Shared by the PostgreSQL concurrency test and the `registration` benchmark: the app runs under
gunicorn (several worker processes, each with threads), and every client is a real HTTP client
with its own session cookie and CSRF token.
"""

import contextlib
import http.client
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(settings: dict[str, Any], directory: Path, workers: int = 4, threads: int = 4) -> Iterator[str]:
    """The app under gunicorn on a free local port; yields its base URL and stops it afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["[app:main]", "use = egg:dimoskopio"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    config = directory / "load.ini"
    config.write_text("\n".join(lines) + "\n")
    port = _free_port()
    log = (directory / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--paste", str(config), "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
         "--backlog", "2048", "--timeout", "60"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, server, directory / "gunicorn.log")
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_until_up(port: int, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in time: {log_path.read_text()[-2000:]}")


@dataclass
class Attempt:
    status: int
    milliseconds: float


class Visitor:
    """One browser: opens the event page (cookie, CSRF token), then sends the registration form."""

    def __init__(self, address: str, slug: str, number: int) -> None:
        self.host, _, port = address.partition(":")
        self.port = int(port)
        self.slug = slug
        self.number = number
        self.cookie = ""
        self.token = ""

    def open_page(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        connection.request("GET", f"/events/{self.slug}")
        response = connection.getresponse()
        body = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"event page answered {response.status}")
        self.cookie = "; ".join(
            value.split(";", 1)[0] for name, value in response.getheaders() if name.lower() == "set-cookie"
        )
        match = CSRF_FIELD.search(body)
        if match is None:
            raise RuntimeError("no CSRF token on the event page")
        self.token = match.group(1)

    def register(self) -> Attempt:
        body = urllib.parse.urlencode({
            "csrf_token": self.token,
            "name": f"Επισκέπτης {self.number}",
            "email": f"visitor{self.number}@example.gr",
            "role": "other",
            "consent": "y",
        })
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        started = time.perf_counter()
        connection.request("POST", f"/events/{self.slug}/register", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie,
        })
        response = connection.getresponse()
        response.read()
        return Attempt(response.status, (time.perf_counter() - started) * 1000)


def register_all_at_once(address: str, slug: str, count: int) -> list[Attempt]:
    """`count` visitors open the page, then all send the form at the same moment."""
    visitors = [Visitor(address, slug, number) for number in range(count)]
    for visitor in visitors:
        visitor.open_page()
    barrier = threading.Barrier(count)
    attempts: list[Attempt | None] = [None] * count

    def send(index: int) -> None:
        barrier.wait(timeout=60)
        try:
            attempts[index] = visitors[index].register()
        except OSError:
            attempts[index] = Attempt(0, 0.0)

    threads = [threading.Thread(target=send, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return [attempt or Attempt(0, 0.0) for attempt in attempts]


@dataclass
class Outcome:
    confirmed: int
    waiting: int
    overbooked: int
    errors: int
    p50_ms: float
    p95_ms: float

    def as_figures(self) -> dict[str, float]:
        return {key: round(value, 1) if isinstance(value, float) else value for key, value in vars(self).items()}


def outcome(engine: sa.Engine, event_id: int, capacity: int, attempts: list[Attempt]) -> Outcome:
    with engine.connect() as connection:
        by_status = dict(connection.execute(sa.text(
            "SELECT status, count(*) FROM registrations WHERE event_id = :id GROUP BY status"
        ), {"id": event_id}).all())
    confirmed = by_status.get("confirmed", 0)
    timings = sorted(attempt.milliseconds for attempt in attempts if attempt.status)
    return Outcome(
        confirmed=confirmed,
        waiting=by_status.get("waiting", 0),
        overbooked=max(0, confirmed - capacity),
        errors=sum(1 for attempt in attempts if not 200 <= attempt.status < 400),
        p50_ms=statistics.median(timings) if timings else 0.0,
        p95_ms=timings[int(len(timings) * 0.95) - 1] if timings else 0.0,
    )


def server_settings(database_url: str, var_dir: Path, seat_lock: bool) -> dict[str, Any]:
    return {
        "sqlalchemy.url": database_url,
        "dimoskopio.secret": "load-test-secret",
        "dimoskopio.base_url": "http://localhost",
        "dimoskopio.var_dir": str(var_dir),
        "jinja2.directories": str(ROOT / "templates"),
        "mail.backend": "file",
        "mail.file_dir": str(var_dir / "mail"),
        "huey.sqlite_path": str(var_dir / "huey.sqlite"),
        "huey.redis_url": "",
        "events.seat_lock": "true" if seat_lock else "false",
        "sqlalchemy.pool_size": "4",
    }

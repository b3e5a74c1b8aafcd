"""What every benchmark reports: figures for our way and the naive way, and how many times better."""

import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa


@dataclass
class BenchResult:
    name: str
    goal: str
    ours: dict[str, float]
    naive: dict[str, float]
    ratio: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "goal": self.goal, "ratio": round(self.ratio, 2),
                "ours": self.ours, "naive": self.naive}


def median_ms(action: Callable[[], Any], repeat: int = 5) -> float:
    """The median wall time of `action` in milliseconds (medians resist a noisy shared machine)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def table(result: BenchResult) -> str:
    keys = sorted(set(result.ours) | set(result.naive))
    width = max(len(key) for key in keys) if keys else 6
    lines = [f"{result.name}: {result.goal}", f"{'figure':<{width}}  {'ours':>12}  {'naive':>12}"]
    for key in keys:
        ours = result.ours.get(key, "")
        naive = result.naive.get(key, "")
        lines.append(f"{key:<{width}}  {ours!s:>12}  {naive!s:>12}")
    lines.append(f"ratio (times better): {result.ratio:.2f}")
    lines.extend(result.notes)
    return "\n".join(lines)


def write_result(result: BenchResult, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.name}.json"
    path.write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    print(table(result))
    print(f"written to {path}")
    return path


PG_ADMIN_URL = os.environ.get("DIMOSKOPIO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def scratch_postgresql(prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database for one run; dropped afterwards."""
    from dimoskopio.cli import migrate

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"dimoskopio_bench_{prefix}_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        migrate(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
            ), {"name": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


ROOT = Path(__file__).resolve().parent.parent


def scratch_app(directory: Path, **settings: str) -> Any:
    """The application on a new, migrated SQLite database in `directory` (a benchmark's own);
    `settings` add to or replace the defaults."""
    from dimoskopio import main
    from dimoskopio.cli import migrate

    url = f"sqlite:///{directory / 'bench.sqlite'}"
    engine = sa.create_engine(url)
    migrate(engine)
    engine.dispose()
    return main({}, **{
        "sqlalchemy.url": url,
        "dimoskopio.secret": "bench-secret",
        "dimoskopio.var_dir": str(directory),
        "jinja2.directories": str(ROOT / "templates"),
        "mail.file_dir": str(directory / "mail"),
        "huey.sqlite_path": str(directory / "huey.sqlite"),
        **settings,
    })

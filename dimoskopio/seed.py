"""Deterministic demo data: each package registers a seeder; `dimoskopio-seed` runs them in order."""

import contextlib
import datetime
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.scripting import prepare
from sqlalchemy.orm import Session

from dimoskopio.accounts.services import count_users

log = logging.getLogger(__name__)

Seeder = Callable[["SeedContext"], None]

@dataclass
class SeedContext:
    """What every seeder gets: the session, a seeded random generator, the scale, shared results."""

    dbsession: Session
    rng: random.Random
    scale: float
    today: datetime.date
    # The application being seeded, for seeders that call services needing a request.
    registry: Any = None
    shared: dict[str, Any] = field(default_factory=dict)

    def count(self, base: int) -> int:
        return max(1, round(base * self.scale))

    @contextlib.contextmanager
    def request(self) -> Iterator[Request]:
        """A request on the seed's own session and transaction, as `tasks.task_request` makes one
        for the worker, for the services that need one (URLs, settings)."""
        request = Request.blank("/", base_url=self.registry.settings["dimoskopio.base_url"])
        with prepare(request=request, registry=self.registry):
            request.dbsession = self.dbsession
            yield request


def add_seeder(config: Configurator, name: str, seeder: Seeder, order: int) -> None:
    def register() -> None:
        config.registry.setdefault("seeders", []).append((order, name, seeder))

    config.action(("dimoskopio.seeder", name), register)


def database_is_empty(dbsession: Session) -> bool:
    return count_users(dbsession) == 0


def run_seeders(
    registry: Any, dbsession: Session, scale: float = 1.0, seed: int = 2026,
    today: datetime.date | None = None,
) -> list[str]:
    context = SeedContext(
        dbsession=dbsession, rng=random.Random(seed), scale=scale,
        today=today or datetime.datetime.now(registry["timezone"]).date(), registry=registry,
    )
    ran = []
    for _order, name, seeder in sorted(registry.get("seeders", []), key=lambda item: item[:2]):
        log.info("seeding %s", name)
        seeder(context)
        dbsession.flush()
        ran.append(name)
    return ran


def includeme(config: Configurator) -> None:
    config.add_directive("add_seeder", add_seeder)
    from dimoskopio.accounts.seed import seed_accounts

    config.add_seeder("accounts", seed_accounts, order=10)

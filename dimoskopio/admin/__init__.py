"""The staff area's entry page; each package adds its own staff screens under /admin."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("admin.dashboard", "/admin")

"""Events: the city's entrepreneurship calendar, registration, check-in, feeds, certificates."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("events.index", "/events")

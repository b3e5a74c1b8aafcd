"""Mailing: newsletter subscribers, topics, consent, campaigns and delivery statistics."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("mailing.index", "/newsletter")

"""Incubator: calls, applications, reviews, cohorts, startups, mentors, KPIs and reports."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("incubator.index", "/incubator")

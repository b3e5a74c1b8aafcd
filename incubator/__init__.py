"""Incubator: calls, applications, reviews, cohorts, startups, mentors, KPIs and reports."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    # Demo data, in the order their `order=` numbers give.
    config.include("incubator.seed")
    config.include("incubator.call_seed")
    config.include("incubator.mentor_seed")
    config.include("incubator.kpi_seed")
    config.include("incubator.call_views")
    config.include("incubator.milestone_views")
    config.include("incubator.graduation_views")
    config.include("incubator.kpi_views")
    config.include("incubator.mentor_views")
    config.add_route("incubator.index", "/incubator")

    # The public directory (`/startups` is a public contract: people bookmark it).
    config.add_route("incubator.startups", "/startups")
    config.add_route("incubator.startup", "/startups/{slug}")
    config.add_route("incubator.startup_logo", "/startups/{slug}/logo")

    # Founders' own startups; the account navigation links here only for them.
    config.add_route("incubator.my_startups", "/account/startups")
    config.add_route("incubator.my_startup", "/account/startups/{id:\\d+}")
    config.add_request_method("incubator.views.founds_startups", "founds_startups", reify=True)

    # Staff.
    config.add_route("admin.incubator.cohorts", "/admin/incubator/cohorts")
    config.add_route("admin.incubator.cohort", "/admin/incubator/cohorts/{id:new|\\d+}")
    config.add_route("admin.incubator.startups", "/admin/incubator/startups")
    config.add_route("admin.incubator.startup", "/admin/incubator/startups/{id:new|\\d+}")
    config.add_route("admin.incubator.founders", "/admin/incubator/startups/{id:\\d+}/founders")
    config.add_route("admin.incubator.founder_remove",
                     "/admin/incubator/startups/{id:\\d+}/founders/{founder_id:\\d+}/remove")

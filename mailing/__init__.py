"""Mailing: newsletter subscribers, topics, consent, campaigns and delivery statistics."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.include("mailing.seed")
    config.add_route("mailing.index", "/newsletter")
    config.add_route("mailing.subscribed", "/newsletter/check-your-email")
    config.add_route("mailing.confirm", "/newsletter/confirm/{token}")
    config.add_route("mailing.preferences", "/newsletter/preferences/{token}")
    config.add_route("mailing.unsubscribe", "/newsletter/unsubscribe/{token}")
    config.add_route("admin.mailing.subscribers", "/admin/newsletter/subscribers")
    config.add_route("admin.mailing.subscribers_csv", "/admin/newsletter/subscribers.csv")
    config.add_route("admin.mailing.import", "/admin/newsletter/import")
    config.add_route("admin.mailing.subscriber", "/admin/newsletter/subscribers/{id}")
    config.add_route("admin.mailing.suppressions", "/admin/newsletter/suppressions")
    config.add_route("admin.mailing.suppression_lift", "/admin/newsletter/suppressions/{id}/lift")
    config.add_route("admin.mailing.topics", "/admin/newsletter/topics")
    config.add_route("admin.mailing.topic", "/admin/newsletter/topics/{id:new|\\d+}")

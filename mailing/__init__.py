"""Mailing: newsletter subscribers, topics, consent, campaigns and delivery statistics."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.include("mailing.seed")
    config.add_route("mailing.index", "/newsletter")
    config.add_route("mailing.subscribed", "/newsletter/check-your-email")
    config.add_route("mailing.confirm", "/newsletter/confirm/{token}")
    config.add_route("mailing.preferences", "/newsletter/preferences/{token}")
    config.add_route("mailing.unsubscribe", "/newsletter/unsubscribe/{token}")
    config.add_route("mailing.archive", "/newsletter/archive")
    config.add_route("mailing.archive_item", "/newsletter/archive/{id:\\d+}")
    config.add_route("mailing.sendgrid_events", "/newsletter/sendgrid/events")
    config.add_route("admin.mailing.subscribers", "/admin/newsletter/subscribers")
    config.add_route("admin.mailing.subscribers_csv", "/admin/newsletter/subscribers.csv")
    config.add_route("admin.mailing.import", "/admin/newsletter/import")
    config.add_route("admin.mailing.subscriber", "/admin/newsletter/subscribers/{id}")
    config.add_route("admin.mailing.suppressions", "/admin/newsletter/suppressions")
    config.add_route("admin.mailing.suppression_lift", "/admin/newsletter/suppressions/{id}/lift")
    config.add_route("admin.mailing.topics", "/admin/newsletter/topics")
    config.add_route("admin.mailing.topic", "/admin/newsletter/topics/{id:new|\\d+}")
    config.add_route("admin.mailing.campaigns", "/admin/newsletter/campaigns")
    config.add_route("admin.mailing.campaign_new", "/admin/newsletter/campaigns/new")
    config.add_route("admin.mailing.campaign", "/admin/newsletter/campaigns/{id:\\d+}")
    config.add_route("admin.mailing.campaign_edit", "/admin/newsletter/campaigns/{id:\\d+}/edit")
    config.add_route("admin.mailing.campaign_preview", "/admin/newsletter/campaigns/{id:\\d+}/preview")
    config.add_route("admin.mailing.campaign_test", "/admin/newsletter/campaigns/{id:\\d+}/test")
    config.add_route("admin.mailing.campaign_send", "/admin/newsletter/campaigns/{id:\\d+}/send")
    config.add_route("admin.mailing.campaign_action",
                     "/admin/newsletter/campaigns/{id:\\d+}/{action:pause|resume|cancel|unschedule|duplicate|delete|publish|unpublish}")
    config.add_route("admin.mailing.campaign_batch", "/admin/newsletter/campaigns/{id:\\d+}/batches/{batch_id:\\d+}")
    config.add_route("admin.mailing.campaign_progress", "/admin/newsletter/campaigns/{id:\\d+}/progress.json")
    config.add_route("admin.mailing.campaign_stats", "/admin/newsletter/campaigns/{id:\\d+}/stats")
    config.add_route("admin.mailing.campaign_chart", "/admin/newsletter/campaigns/{id:\\d+}/stats.svg")
    config.add_route("admin.mailing.digest", "/admin/newsletter/digest")

"""The mail layer shared by every package: outbox, renderer, file and SendGrid backends."""

from pyramid.config import Configurator

from dimoskopio.mail.services import IMailer, mailer_from_settings, send_email

__all__ = ["IMailer", "send_email"]


def includeme(config: Configurator) -> None:
    config.registry.registerUtility(mailer_from_settings(config.get_settings()), IMailer)
    config.add_route("admin.mail", "/admin/mail")
    config.add_route("admin.mail.message", "/admin/mail/{id:\\d+}")
    config.add_route("admin.mail.retry", "/admin/mail/{id:\\d+}/retry")
    config.add_route("admin.mail.eml", "/admin/mail/{id:\\d+}.eml")
    config.add_route("admin.mail.html", "/admin/mail/{id:\\d+}/html")

"""Events: the city's entrepreneurship calendar, registration, check-in, feeds, certificates."""

from pyramid.config import Configurator

# Slugs are lower-case ASCII words joined by hyphens; anything else under /events is not an event.
SLUG = r"{slug:[a-z0-9]+(?:-[a-z0-9]+)*}"


def includeme(config: Configurator) -> None:
    config.include("events.seed")
    config.include(".display")
    # Public pages (specific paths before the event page, which would match them too).
    config.add_route("events.index", "/events")
    config.add_route("events.past", "/events/past")
    config.add_route("events.calendar", "/events/calendar")
    config.add_route("events.mine", "/events/my")
    config.add_route("events.mine_calendar_link", "/events/my/calendar-link")
    config.add_route("events.series", f"/events/series/{SLUG}")
    config.add_route("events.registration", "/events/registration/{token}")
    config.add_route("events.registration_ics", "/events/registration/{token}/event.ics")
    config.add_route("events.registration_feedback", "/events/registration/{token}/feedback")
    config.add_route("events.registration_certificate", "/events/registration/{token}/certificate.pdf")
    config.add_route("events.ics", f"/events/{SLUG}.ics")
    config.add_route("events.detail", f"/events/{SLUG}")
    config.add_route("events.register", f"/events/{SLUG}/register")
    config.add_route("events.registered", f"/events/{SLUG}/registered")

    # Calendar feeds.
    config.add_route("calendar.index", "/calendar")
    config.add_route("calendar.all", "/calendar.ics")
    config.add_route("calendar.personal", "/calendar/personal/{token}.ics")
    config.add_route("calendar.topic", "/calendar/topics/{slug}.ics")
    config.add_route("calendar.venue", "/calendar/venues/{id:\\d+}.ics")
    config.add_route("calendar.category", "/calendar/{slug}.ics")

    # Certificates.
    config.add_route("certificates.verify", "/certificates/verify/{code}")

    # Open data.
    config.add_route("api.events", "/api/v1/events")
    config.add_route("api.events_csv", "/api/v1/events.csv")
    config.add_route("api.event", f"/api/v1/events/{SLUG}")
    config.add_route("api.openapi", "/api/v1/openapi.json")

    # Staff.
    config.add_route("admin.events", "/admin/events")
    config.add_route("admin.events.new", "/admin/events/new")
    config.add_route("admin.events.checkin_code", "/admin/events/check-in/{code}")
    config.add_route("admin.events.taxonomy", "/admin/events/{kind:categories|topics|venues|series}")
    config.add_route("admin.events.taxonomy_edit",
                     "/admin/events/{kind:categories|topics|venues|series}/{id:new|\\d+}")
    config.add_route("admin.events.taxonomy_delete",
                     "/admin/events/{kind:categories|topics|venues|series}/{id:\\d+}/delete")
    config.add_route("admin.event", "/admin/events/{id:\\d+}")
    config.add_route("admin.event.edit", "/admin/events/{id:\\d+}/edit")
    config.add_route("admin.event.action", "/admin/events/{id:\\d+}/{action:publish|cancel|postpone|delete}")
    config.add_route("admin.event.duplicate", "/admin/events/{id:\\d+}/duplicate")
    config.add_route("admin.event.repeat", "/admin/events/{id:\\d+}/repeat")
    config.add_route("admin.event.questions", "/admin/events/{id:\\d+}/questions")
    config.add_route("admin.event.question", "/admin/events/{id:\\d+}/questions/{question_id:new|\\d+}")
    config.add_route("admin.event.question_delete", "/admin/events/{id:\\d+}/questions/{question_id:\\d+}/delete")
    config.add_route("admin.event.registrations_csv", "/admin/events/{id:\\d+}/registrations.csv")
    config.add_route("admin.event.add_registration", "/admin/events/{id:\\d+}/registrations/new")
    config.add_route("admin.event.move", "/admin/events/{id:\\d+}/registrations/{registration_id:\\d+}/move")
    config.add_route("admin.event.checkin", "/admin/events/{id:\\d+}/check-in")
    config.add_route("admin.event.checkin_toggle",
                     "/admin/events/{id:\\d+}/check-in/{registration_id:\\d+}")
    config.add_route("admin.event.chart", "/admin/events/{id:\\d+}/registrations.svg")
    config.add_route("admin.event.certificates", "/admin/events/{id:\\d+}/certificates")
    config.add_route("admin.event.certificates_preview", "/admin/events/{id:\\d+}/certificates/preview.pdf")
    config.add_route("admin.event.certificates_issue", "/admin/events/{id:\\d+}/certificates/issue")
    config.add_route("admin.event.certificates_progress", "/admin/events/{id:\\d+}/certificates/progress")
    config.add_route("admin.event.certificates_download",
                     "/admin/events/{id:\\d+}/certificates/all.{format:zip|pdf}")
    config.add_route("admin.certificate.pdf", "/admin/certificates/{certificate_id:\\d+}.pdf")
    config.add_route("admin.certificate.revoke", "/admin/certificates/{certificate_id:\\d+}/revoke")
    config.add_route("admin.certificate.reissue", "/admin/certificates/{certificate_id:\\d+}/reissue")
    config.add_route("admin.events.chart", "/admin/events/charts/{chart:events|registrations|attendance}.svg")

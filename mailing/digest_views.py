"""The staff's screen for the weekly digest: what the Monday task does, and drafting one now."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import page_count, requested_page
from mailing import digest, services
from mailing.forms import DigestForm
from mailing.models import CAMPAIGN_STATUS_LABELS, DigestMode

MANAGE = Permission.MAILING_MANAGE

DIGEST_REFUSALS = {
    digest.DigestRefusal.NO_TOPIC: _("There is no newsletter topic with the short name “weekly-digest”, so the "
                                     "digest would reach no one. Add it on the topics page."),
    digest.DigestRefusal.ALREADY_DRAFTED: _("This week's digest has been drafted already: it is in the list below."),
    digest.DigestRefusal.NO_EVENTS: _("No published event starts in the next two weeks, so there is nothing to "
                                      "put in a digest."),
}


@view_config(route_name="admin.mailing.digest", renderer="admin/mailing/digest.jinja2", permission=MANAGE)
def digest_screen(request: Request) -> Any:
    dbsession = request.dbsession
    if request.method == "POST" and request.POST.get("action") == "draft":
        attempt = digest.attempt_digest(request, utcnow())
        if not attempt.campaigns:
            request.flash_message(DIGEST_REFUSALS[attempt.refusal], "warning")
            return HTTPSeeOther(request.route_path("admin.mailing.digest"))
        if len(attempt.campaigns) > 1:
            request.flash_message(_("This week's digest is drafted, one campaign per language of its readers. "
                                    "Read each through, then send it."))
            return HTTPSeeOther(request.route_path("admin.mailing.digest"))
        request.flash_message(_("This week's digest is drafted. Read it through, then send it."))
        return HTTPSeeOther(request.route_path("admin.mailing.campaign", id=attempt.campaigns[0].id))
    form = DigestForm(request)
    if request.method == "POST":
        if form.validate():
            digest.save_digest_mode(dbsession, DigestMode(form.mode.data))
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.mailing.digest"))
        request.response.status = 400
    else:
        form.mode.data = digest.mailing_settings(dbsession).digest_mode.value
    topic = digest.digest_topic(dbsession)
    page = requested_page(request)
    campaigns, total = digest.digest_campaigns(dbsession, page)
    return {
        "form": form,
        "topic": topic,
        "subscribers": services.topic_subscriber_counts(dbsession).get(topic.id, 0) if topic is not None else 0,
        "campaigns": campaigns,
        "page": page,
        "pages": page_count(total, digest.DIGESTS_PER_PAGE),
        "query": {},
        "status_labels": CAMPAIGN_STATUS_LABELS,
    }

"""The staff's statistics page of a campaign, and its chart over time."""

from typing import Any

import pygal
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404
from events.charts import CHART_OPTIONS, svg_response, whole_number_ticks
from events.services import local_timezone
from mailing import stats
from mailing.models import Campaign
from mailing.services import LinkMaker

MANAGE = Permission.MAILING_MANAGE
MAJOR_X_LABELS = 8


def personal_link_prefixes(request: Request) -> list[str]:
    """The starts of the links every recipient gets their own of (a signed token at the end)."""
    maker = LinkMaker(request)
    return [maker.prefix("preferences"), maker.prefix("unsubscribe")]


@view_config(route_name="admin.mailing.campaign_stats", renderer="admin/mailing/campaign_stats.jinja2",
             permission=MANAGE)
def campaign_stats(request: Request) -> dict[str, Any]:
    campaign = object_or_404(request, Campaign, request.matchdict["id"])
    if campaign.started_at is None:
        return {"campaign": campaign, "figures": None}
    timeline = stats.timeline(request.dbsession, campaign.id, local_timezone(request))
    return {
        "campaign": campaign,
        "figures": stats.campaign_figures(request.dbsession, campaign.id),
        "timeline": timeline,
        "timeline_rows": list(zip(timeline.labels(request.locale_name), timeline.buckets, strict=True)),
        "links": stats.top_links(request.dbsession, campaign.id, personal_link_prefixes(request)),
    }


@view_config(route_name="admin.mailing.campaign_chart", permission=MANAGE)
def campaign_chart(request: Request) -> Response:
    campaign = object_or_404(request, Campaign, request.matchdict["id"])
    timeline = stats.timeline(request.dbsession, campaign.id, local_timezone(request))
    return svg_response(timeline_chart(request, timeline))


def timeline_chart(request: Request, timeline: stats.Timeline) -> str:
    """Deliveries, first opens and clicks per hour or day, as lines in the project's chart style."""
    translate = request.localizer.translate
    title = _("Deliveries, opens and clicks per hour") if timeline.hourly else _(
        "Deliveries, opens and clicks per day")
    options = {**CHART_OPTIONS, "show_legend": True, "legend_at_bottom": True, "legend_at_bottom_columns": 3}
    line = pygal.Line(title=translate(title), x_label_rotation=30, show_minor_x_labels=False,
                      no_data_text=translate(_("No deliveries, opens or clicks reported yet")), **options)
    labels = timeline.labels(request.locale_name)
    line.x_labels = labels
    line.x_labels_major = labels[:: max(1, len(labels) // MAJOR_X_LABELS)]
    line.y_labels = whole_number_ticks(timeline.largest)
    buckets = timeline.buckets
    line.add(translate(_("Delivered")), [bucket.delivered for bucket in buckets])
    line.add(translate(_("Opened (first time)")), [bucket.opened for bucket in buckets])
    line.add(translate(_("Clicks")), [bucket.clicked for bucket in buckets])
    return line.render(is_unicode=True)

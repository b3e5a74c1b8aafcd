"""KPI reports: founders report their startup's figures; staff see who is late, and the KPI
dashboards of a cohort and of a startup, with their charts."""

import datetime
from collections.abc import Callable, Sequence
from typing import Any

import pygal
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404
from events.charts import CHART_OPTIONS, svg_response, whole_number_ticks
from events.services import parse_day
from incubator import kpi_services
from incubator.forms import local_today
from incubator.kpi_forms import EMPTY_FUNDING_ROWS, KpiReportForm
from incubator.kpi_services import PERIOD_STATE_LABELS
from incubator.models import (
    FUNDING_SOURCE_LABELS,
    REVENUE_BAND_LABELS,
    STARTUP_STATUS_LABELS,
    Cohort,
    KpiReport,
    Startup,
)
from incubator.views import own_startup_or_404

MANAGE = Permission.INCUBATOR_MANAGE
CHART_NAMES = ("employees", "funding", "customers")
CHART_TITLES = {
    "employees": _("Full-time employees"),
    "funding": _("Funding raised (euros)"),
    "customers": _("Paying customers"),
}
LABELS = {"state_labels": PERIOD_STATE_LABELS, "revenue_labels": REVENUE_BAND_LABELS,
          "source_labels": FUNDING_SOURCE_LABELS, "status_labels": STARTUP_STATUS_LABELS}


def includeme(config: Configurator) -> None:
    config.add_route("incubator.kpi_reports", "/account/startups/{id:\\d+}/kpis")
    config.add_route("incubator.kpi_report", "/account/startups/{id:\\d+}/kpis/{start:\\d{4}-\\d{2}-\\d{2}}")
    config.add_route("admin.incubator.cohort_kpis", "/admin/incubator/cohorts/{id:\\d+}/kpis")
    config.add_route("admin.incubator.cohort_kpi_chart",
                     "/admin/incubator/cohorts/{id:\\d+}/kpis/{chart:employees|funding|customers}.svg")
    config.add_route("admin.incubator.startup_kpis", "/admin/incubator/startups/{id:\\d+}/kpis")
    config.add_route("admin.incubator.startup_kpi_chart",
                     "/admin/incubator/startups/{id:\\d+}/kpis/{chart:employees|funding|customers}.svg")
    config.include("incubator.impact_views")


# --- founders ---------------------------------------------------------------------------------


@view_config(route_name="incubator.kpi_reports", renderer="incubator/kpis/reports.jinja2",
             permission=Permission.STARTUP_EDIT)
def kpi_reports(request: Request) -> dict[str, Any]:
    startup = own_startup_or_404(request)
    today = local_today(request)
    reports = kpi_services.reports_of(request.dbsession, [startup.id])[startup.id]
    rows = kpi_services.period_rows(startup, reports, today)
    return {"startup": startup, "rows": rows, "overdue_after": kpi_services.OVERDUE_AFTER.days, **LABELS}


def _requested_start(request: Request) -> datetime.date:
    start = parse_day(request.matchdict["start"])
    if start is None:
        raise HTTPNotFound()
    return start


@view_config(route_name="incubator.kpi_report", renderer="incubator/kpis/report.jinja2",
             permission=Permission.STARTUP_EDIT)
def kpi_report(request: Request) -> Any:
    startup = own_startup_or_404(request)
    start = _requested_start(request)
    today = local_today(request)
    period = kpi_services.reportable_period(startup, start, today)
    if period is None:
        if kpi_services.future_period(startup, start, today):
            raise HTTPBadRequest(request.localizer.translate(_(
                "This period has not ended yet. Its report can be sent from its last day.")))
        raise HTTPBadRequest(request.localizer.translate(_("Your startup does not report on this period.")))
    report = kpi_services.report_of(request.dbsession, startup.id, start)
    reported_rows = len(report.funding) if report else 0
    if request.method == "POST":
        form = KpiReportForm(request, funding_rows=reported_rows + EMPTY_FUNDING_ROWS)
        if form.validate():
            kpi_services.save_report(request.dbsession, startup, period, form.values(), request.user, utcnow())
            request.flash_message(_("Report saved. Thank you."))
            return HTTPSeeOther(request.route_path("incubator.kpi_reports", id=startup.id))
        request.response.status = 400
    else:
        form = KpiReportForm(request, obj=report, funding_rows=reported_rows + EMPTY_FUNDING_ROWS)
        if report is not None:
            form.revenue_band.data = report.revenue_band.value
            form.show_existing_funding(report.funding)
    return {"startup": startup, "period": period, "report": report, "form": form, **LABELS}


# --- staff ------------------------------------------------------------------------------------


@view_config(route_name="admin.incubator.cohort_kpis", renderer="admin/incubator/kpis/cohort.jinja2",
             permission=MANAGE)
def cohort_kpis(request: Request) -> dict[str, Any]:
    cohort = object_or_404(request, Cohort, request.matchdict["id"])
    today = local_today(request)
    startups = kpi_services.cohort_startups(request.dbsession, cohort)
    reports = kpi_services.reports_of(request.dbsession, [startup.id for startup in startups])
    late = kpi_services.late_table(request.dbsession, cohort, today, startups=startups, reports=reports)
    dashboard = kpi_services.cohort_dashboard(startups, reports)
    return {"cohort": cohort, "late": late, "dashboard": dashboard,
            "quarter_labels": [row.period.label(request.locale_name) for row in dashboard.quarters],
            "period_label": _period_labeller(request), "overdue_after": kpi_services.OVERDUE_AFTER.days,
            "charts": CHART_NAMES, "chart_titles": CHART_TITLES, **LABELS}


@view_config(route_name="admin.incubator.startup_kpis", renderer="admin/incubator/kpis/startup.jinja2",
             permission=MANAGE)
def startup_kpis(request: Request) -> dict[str, Any]:
    startup = object_or_404(request, Startup, request.matchdict["id"])
    today = local_today(request)
    dashboard = kpi_services.startup_dashboard(request.dbsession, startup)
    reports = {report.period_start: report for report in dashboard.reports}
    labeller = _period_labeller(request)
    return {"startup": startup, "dashboard": dashboard, "rows": kpi_services.period_rows(startup, reports, today),
            "report_labels": [labeller(report) for report in dashboard.reports],
            "chart_values": {key: [report_figure(report, key) for report in dashboard.reports] for key in CHART_NAMES},
            "charts": CHART_NAMES, "chart_titles": CHART_TITLES, "period_label": labeller, **LABELS}


def line_or_bar(request: Request, chart: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """One KPI over time: funding as bars (money raised in each period), counts as a line."""
    translate = request.localizer.translate
    title = translate(CHART_TITLES[chart])
    kind: Callable[..., Any] = pygal.Bar if chart == "funding" else pygal.Line
    options = {**CHART_OPTIONS, "x_label_rotation": 30, "value_formatter": lambda value: f"{value:,.0f}"}
    drawing = kind(title=title, no_data_text=translate(_("No reports yet")), **options)
    drawing.x_labels = list(labels)
    largest = max(values, default=0)
    if chart != "funding" or not largest:
        # Counts get whole-number ticks; pygal's own would show fractions (or 0, 0, 1, 1 for no funding).
        drawing.y_labels = whole_number_ticks(largest)
    drawing.add(title, list(values))
    return drawing.render(is_unicode=True)


@view_config(route_name="admin.incubator.cohort_kpi_chart", permission=MANAGE)
def cohort_kpi_chart(request: Request) -> Response:
    cohort = object_or_404(request, Cohort, request.matchdict["id"])
    quarters = kpi_services.quarterly_figures(kpi_services.cohort_reports(request.dbsession, cohort))
    chart = request.matchdict["chart"]
    return svg_response(line_or_bar(request, chart, [row.period.label(request.locale_name) for row in quarters],
                                    [getattr(row, chart) for row in quarters]))


def _period_labeller(request: Request) -> Callable[[KpiReport], str]:
    """For templates: a report's period, named in the page's language."""
    return lambda report: kpi_services.period_of(report).label(request.locale_name)


def report_figure(report: KpiReport, chart: str) -> int:
    if chart == "employees":
        return report.full_time_employees
    if chart == "customers":
        return report.customers
    return kpi_services.funding_total(report)


@view_config(route_name="admin.incubator.startup_kpi_chart", permission=MANAGE)
def startup_kpi_chart(request: Request) -> Response:
    startup = object_or_404(request, Startup, request.matchdict["id"])
    reports = list(kpi_services.reports_of(request.dbsession, [startup.id])[startup.id].values())
    chart = request.matchdict["chart"]
    labels = [kpi_services.period_of(report).label(request.locale_name) for report in reports]
    return svg_response(line_or_bar(request, chart, labels, [report_figure(report, chart) for report in reports]))

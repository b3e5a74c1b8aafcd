"""The impact report for the municipality and funders: an HTML page for staff, the same as a PDF
(WeasyPrint, charts included as SVG) and as CSV (one figure a row)."""

import base64
from pathlib import Path
from typing import Any

import pygal
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import CsvCell, csv_download
from events.certificate_views import pdf_response
from events.certificates import pdf_layout
from events.charts import CHART_OPTIONS, whole_number_ticks
from events.services import local_timezone
from incubator import impact
from incubator.forms import local_today
from incubator.models import FUNDING_SOURCE_LABELS

MANAGE = Permission.INCUBATOR_MANAGE
# One label for each of impact.SURVIVAL_YEARS.
SURVIVAL_LABELS = {
    1: _("Graduates still operating one year after graduating"),
    2: _("Graduates still operating two years after graduating"),
}
STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "admin" / "incubator" / "impact" / "pdf.css"


def includeme(config: Configurator) -> None:
    config.add_route("admin.incubator.impact", "/admin/incubator/impact")
    config.add_route("admin.incubator.impact_file", "/admin/incubator/impact.{format:pdf|csv}")


def _figures(request: Request, choices: list[tuple[str, str | None]] | None = None) -> impact.ImpactFigures:
    """The report the query string asks for (`period`: a year or "cohort-<id>"; the current year
    when absent); 404 for a period that names nothing. `choices`: impact.scope_choices, if loaded."""
    today = local_today(request)
    key = request.GET.get("period", str(today.year))[:20]
    scope = impact.scope_for(request.dbsession, key, today, choices)
    if scope is None:
        raise HTTPNotFound()
    return impact.impact_figures(request.dbsession, scope, local_timezone(request))


def _scope_title(request: Request, scope: impact.Scope) -> str:
    translate = request.localizer.translate
    if scope.cohort is not None:
        return translate(_("Impact report: ${cohort}", mapping={"cohort": scope.cohort.name}))
    return translate(_("Impact report ${year}", mapping={"year": scope.key}))


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def charts(request: Request, figures: impact.ImpactFigures) -> dict[str, str]:
    """The report's charts as data: URIs (the page and the PDF embed the same SVG)."""
    translate = request.localizer.translate
    drawn = {}
    if figures.funding_by_source:
        title = translate(_("Funding raised by source (euros)"))
        bar = pygal.HorizontalBar(title=title, **{**CHART_OPTIONS, "height": 300}, truncate_label=-1,
                                  x_label_rotation=30, value_formatter=lambda value: f"{value:,.0f}")
        bar.x_labels = [translate(FUNDING_SOURCE_LABELS[source]) for source in figures.funding_by_source]
        bar.add(title, list(figures.funding_by_source.values()))
        drawn["funding"] = _data_uri(bar.render(is_unicode=True))
    if figures.cohorts:
        title = translate(_("Startups supported and jobs created, by cohort"))
        options = {**CHART_OPTIONS, "show_legend": True, "legend_at_bottom": True, "height": 320}
        bar = pygal.Bar(title=title, **options)
        bar.x_labels = [row.cohort.name for row in figures.cohorts]
        bar.y_labels = whole_number_ticks(max(max(row.startups, row.jobs) for row in figures.cohorts))
        bar.add(translate(_("Startups supported")), [row.startups for row in figures.cohorts])
        bar.add(translate(_("Jobs created")), [row.jobs for row in figures.cohorts])
        drawn["cohorts"] = _data_uri(bar.render(is_unicode=True))
    return drawn


def _context(request: Request, figures: impact.ImpactFigures) -> dict[str, Any]:
    return {"figures": figures, "title": _scope_title(request, figures.scope), "charts": charts(request, figures),
            "source_labels": FUNDING_SOURCE_LABELS, "survival_labels": SURVIVAL_LABELS}


@view_config(route_name="admin.incubator.impact", renderer="admin/incubator/impact/report.jinja2",
             permission=MANAGE)
def impact_report(request: Request) -> dict[str, Any]:
    choices = impact.scope_choices(request.dbsession, local_today(request))
    figures = _figures(request, choices)
    return {**_context(request, figures), "choices": choices}


def pdf_of(html: str) -> bytes:
    """Lay out the report as the certificates are laid out: only the project's own assets and
    data: URIs may be loaded; this thread's fonts and stylesheet are loaded once."""
    return pdf_layout(STYLESHEET, "impact report").pdf(html)


def csv_rows(request: Request, figures: impact.ImpactFigures) -> list[tuple[str, CsvCell]]:
    """The report's figures, one a row: what it is, and its value (amounts in euros, hours to one
    decimal), numbers as numbers."""
    translate = request.localizer.translate
    scope = figures.scope
    rows: list[tuple[str, CsvCell]] = [
        (translate(_("Period")), _scope_title(request, scope)),
        (translate(_("From")), scope.starts_on.isoformat()),
        (translate(_("To")), scope.ends_on.isoformat()),
        (translate(_("Startups supported")), figures.startups_supported),
        (translate(_("Jobs created")), figures.jobs_created),
        (translate(_("Funding raised (euros)")), figures.funding),
    ]
    for source, amount in figures.funding_by_source.items():
        rows.append((translate(_("Funding raised (euros): ${source}",
                                 mapping={"source": translate(FUNDING_SOURCE_LABELS[source])})), amount))
    for survival in figures.survival:
        label = translate(SURVIVAL_LABELS[survival.years])
        rows += [
            (translate(_("${survival}: graduates counted", mapping={"survival": label})), survival.graduates),
            (translate(_("${survival}: still operating", mapping={"survival": label})), survival.operating),
            (translate(_("${survival}: rate (%)", mapping={"survival": label})),
             "" if survival.rate is None else survival.rate),
        ]
    rows += [
        (translate(_("Mentor hours")), figures.mentor_hours),
        (translate(_("Mentor sessions held")), figures.mentor_sessions),
        (translate(_("Events held")), figures.events_held),
        (translate(_("Attendance (people checked in)")), figures.attendance),
    ]
    for row in figures.cohorts:
        for label, value in ((_("Startups supported"), row.startups), (_("Jobs created"), row.jobs),
                             (_("Funding raised (euros)"), row.funding), (_("Mentor hours"), row.mentor_hours)):
            rows.append((f"{row.cohort.name}: {translate(label)}", value))
    return rows


@view_config(route_name="admin.incubator.impact_file", permission=MANAGE)
def impact_file(request: Request) -> Response:
    figures = _figures(request)
    filename = f"impact-{figures.scope.key}"
    if request.matchdict["format"] == "csv":
        translate = request.localizer.translate
        return csv_download(f"{filename}.csv", [translate(_("Figure")), translate(_("Value"))],
                            csv_rows(request, figures))
    html = render("admin/incubator/impact/pdf.jinja2", {**_context(request, figures), "today": local_today(request)},
                  request=request)
    return pdf_response(pdf_of(html), f"{filename}.pdf", inline=False)

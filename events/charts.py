"""Charts for the staff pages, drawn by pygal as SVG images of their own."""

import datetime
from collections.abc import Sequence

import pygal
from babel.dates import get_month_names
from pygal.style import Style
from pyramid.request import Request
from pyramid.response import Response

from dimoskopio.i18n import _
from events.services import MonthFigures

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b2733",
    foreground_strong="#1b2733",
    foreground_subtle="#4a5b6a",
    colors=("#0b4f6c", "#f2a541", "#1e6b3a"),
    font_family="system-ui, 'DejaVu Sans', Arial, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    title_font_size=18,
)

CHART_OPTIONS = {
    "style": STYLE,
    "js": [],  # no scripts from the network; the CSP would refuse them anyway
    "disable_xml_declaration": True,
    "width": 800,
    "height": 360,
    "show_legend": False,
    "print_values": False,
}

YEAR_CHARTS = {
    "events": (_("Events per month"), "events"),
    "registrations": (_("Registrations per month"), "registrations"),
    "attendance": (_("People checked in per month"), "attended"),
}


def whole_number_ticks(largest: int, count: int = 6) -> list[int]:
    """Axis ticks for counts: whole numbers only (pygal would label 0.2, 0.4... for small counts)."""
    step = max(1, -(-largest // (count - 1)))
    return list(range(0, max(largest, 1) + step, step))


def svg_response(svg: str) -> Response:
    response = Response(body=svg.encode("utf-8"), content_type="image/svg+xml", charset="utf-8")
    # The chart's own inline styles, and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.cache_control = "private, max-age=300"
    return response


def by_month(request: Request, chart: str, months: Sequence[MonthFigures]) -> str:
    title, attribute = YEAR_CHARTS[chart]
    names = get_month_names("abbreviated", locale=request.locale_name)
    bar = pygal.Bar(title=request.localizer.translate(title), **CHART_OPTIONS)
    values = [getattr(figures, attribute) for figures in months]
    bar.x_labels = [names[number] for number in range(1, 13)]
    bar.y_labels = whole_number_ticks(max(values, default=0))
    bar.add(request.localizer.translate(title), values)
    return bar.render(is_unicode=True)


def registrations_over_time(request: Request, per_day: Sequence[tuple[datetime.date, int]]) -> str:
    """Registrations so far, day by day (cumulative)."""
    title = request.localizer.translate(_("Registrations over time"))
    line = pygal.Line(title=title, x_label_rotation=30, show_minor_x_labels=False, fill=True, **CHART_OPTIONS)
    total = 0
    values = []
    for _day, number in per_day:
        total += number
        values.append(total)
    line.x_labels = [day.strftime("%d/%m") for day, _number in per_day]
    line.x_labels_major = line.x_labels[:: max(1, len(per_day) // 8)]
    line.y_labels = whole_number_ticks(total)
    line.add(title, values)
    return line.render(is_unicode=True)

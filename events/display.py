"""How events read on pages and in emails: dates in the reader's language and the centre's time."""

from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from jinja2 import pass_context
from pyramid.config import Configurator
from pyramid.threadlocal import get_current_registry

from events.models import Event
from events.services import last_day


def when_text(event: Event, locale_name: str, tz: ZoneInfo) -> str:
    """"Monday, December 7, 2026, 18:00–20:00", a date range for all-day events, and both ends
    in full when a timed event spans days."""
    start = event.starts_at.astimezone(tz)
    end = event.ends_at.astimezone(tz)
    if event.all_day:
        final = last_day(event, tz)
        if final == start.date():
            return babel_dates.format_date(start.date(), format="full", locale=locale_name)
        return babel_dates.format_interval(start.date(), final, "yMMMEd", locale=locale_name)
    if end.date() == start.date():
        day = babel_dates.format_date(start.date(), format="full", locale=locale_name)
        times = babel_dates.format_interval(start.time(), end.time(), "Hm", locale=locale_name)
        return f"{day}, {times}"
    ends = [
        f"{babel_dates.format_skeleton('yMMMEd', moment, tzinfo=tz, locale=locale_name)}, {moment:%H:%M}"
        for moment in (start, end)
    ]
    return " – ".join(ends)


@pass_context
def _when_filter(context: Any, event: Event) -> str:
    return when_text(event, context["locale_name"], get_current_registry()["timezone"])


def includeme(config: Configurator) -> None:
    def register_filters() -> None:
        config.get_jinja2_environment().filters["when"] = _when_filter

    # After pyramid_jinja2 has created its environment (an action of its own).
    config.action(None, register_filters, order=1000)

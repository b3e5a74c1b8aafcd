"""How events read on pages and in emails: dates in the reader's language and the centre's time."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from jinja2 import pass_context
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.threadlocal import get_current_registry

from dimoskopio.i18n import centre_name
from events.models import Event, EventStatus
from events.services import last_day, local_timezone


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


def structured_data(request: Request, event: Event) -> str:
    """schema.org Event as JSON-LD for search engines; safe inside a <script> element."""
    tz = local_timezone(request)
    locale_name = request.locale_name
    status = {
        EventStatus.CANCELLED: "https://schema.org/EventCancelled",
        EventStatus.POSTPONED: "https://schema.org/EventPostponed",
    }.get(event.status, "https://schema.org/EventScheduled")
    if event.is_online and event.is_in_person:
        mode = "https://schema.org/MixedEventAttendanceMode"
    elif event.is_online:
        mode = "https://schema.org/OnlineEventAttendanceMode"
    else:
        mode = "https://schema.org/OfflineEventAttendanceMode"
    locations: list[dict[str, Any]] = []
    if event.venue is not None:
        place: dict[str, Any] = {"@type": "Place", "name": event.venue.name,
                                 "address": {"@type": "PostalAddress", "streetAddress": event.venue.address}}
        if event.venue.has_coordinates:
            place["geo"] = {"@type": "GeoCoordinates", "latitude": float(event.venue.latitude),
                            "longitude": float(event.venue.longitude)}
        locations.append(place)
    if event.online_url:
        # The join link goes to people registered; the public learn where to register.
        locations.append({"@type": "VirtualLocation", "url": request.public_url("events.detail", slug=event.slug)})
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.localized("title", locale_name),
        "description": event.localized("summary", locale_name),
        "startDate": (event.starts_at.astimezone(tz).date() if event.all_day
                      else event.starts_at.astimezone(tz)).isoformat(),
        "endDate": (last_day(event, tz) if event.all_day else event.ends_at.astimezone(tz)).isoformat(),
        "eventStatus": status,
        "eventAttendanceMode": mode,
        "url": request.public_url("events.detail", slug=event.slug),
        "isAccessibleForFree": True,
        "organizer": {"@type": "Organization",
                      "name": event.organiser or centre_name(request.registry.settings, request.localizer),
                      "url": request.registry.settings["dimoskopio.base_url"]},
        "inLanguage": event.language.value.split("-"),
    }
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if event.speaker_list:
        data["performer"] = [{"@type": "Person", "name": name} for name in event.speaker_list]
    # "</" must not end the script element early.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")



@pass_context
def _when_filter(context: Any, event: Event) -> str:
    return when_text(event, context["locale_name"], get_current_registry()["timezone"])


def includeme(config: Configurator) -> None:
    def register_filters() -> None:
        config.get_jinja2_environment().filters["when"] = _when_filter

    # After pyramid_jinja2 has created its environment (an action of its own).
    config.action(None, register_filters, order=1000)

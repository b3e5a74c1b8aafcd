"""iCalendar (RFC 5545) for events: one event's file, and invitations attached to emails."""

import datetime
import email.utils
import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText
from icalendar import Event as CalendarEvent
from pyramid.request import Request

from dimoskopio.i18n import _, centre_name, localizer_for
from dimoskopio.markdown import markdown_to_text
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.services import local_timezone, place_text

PRODID = "-//Municipality of Heraklion//Dimoskopio//EN"
# RFC 5545 3.1: lines are at most 75 octets; icalendar folds at 74 and the fold adds a space.
FOLD_AT = 75
FOLD = b"\r\n "

STATUS = {
    EventStatus.PUBLISHED: "CONFIRMED",
    EventStatus.POSTPONED: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
    EventStatus.DRAFT: "TENTATIVE",
}


def serialize(component: Component) -> bytes:
    """The component as iCalendar text, byte for byte what `component.to_ical()` writes, folded
    a line at a time rather than a character at a time (icalendar's folding is most of the time a
    thousand-event feed takes to write)."""
    return b"".join(_folded(line) + b"\r\n" for line in component.content_lines() if line)


def _folded(line: str) -> bytes:
    """A content line cut into pieces of at most 74 octets, never inside a UTF-8 character, and
    never right after a backslash or caret (clients misread an escape split across a fold)."""
    data = line.encode()
    if len(data) < FOLD_AT:
        return data
    pieces = []
    start = 0
    while len(data) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        while data[end] & 0xC0 == 0x80:  # a continuation byte: the character started earlier
            end -= 1
        if end - start > 1 and data[end - 1] in b"\\^":
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return FOLD.join(pieces)


def uid_host(request: Request) -> str:
    """The domain part of the UIDs the site gives its calendar entries."""
    return urlsplit(request.registry.settings["dimoskopio.base_url"]).hostname or "dimoskopio"


def event_uid(request: Request, event: Event) -> str:
    """Stable for the event's whole life, whatever else about it changes."""
    return f"event-{event.id}@{uid_host(request)}"


def _vevent(request: Request, event: Event, locale_name: str, now: datetime.datetime,
            with_join_link: bool) -> CalendarEvent:
    """The event as a VEVENT; the online join link only for people registered."""
    tz = local_timezone(request)
    title = event.localized("title", locale_name)
    url = request.public_url("events.detail", slug=event.slug)
    component = CalendarEvent()
    component.add("uid", event_uid(request, event))
    component.add("dtstamp", now)
    component.add("last-modified", event.updated_at)
    component.add("created", event.created_at)
    component.add("sequence", event.sequence)
    component.add("status", STATUS[event.status])
    if event.all_day:
        component.add("dtstart", event.starts_at.astimezone(tz).date())
        component.add("dtend", event.ends_at.astimezone(tz).date())
    else:
        component.add("dtstart", event.starts_at.astimezone(tz))
        component.add("dtend", event.ends_at.astimezone(tz))
    component.add("summary", title)
    description = [event.localized("summary", locale_name),
                   markdown_to_text(event.localized("description", locale_name))]
    location = place_text(event, with_join_link)
    if event.online_url and with_join_link:
        description.append(event.online_url)
    elif event.online_url:
        # Everyone sees that the event is online; the link to join goes to those registered.
        localizer = localizer_for(locale_name)
        description.append(localizer.translate(_("The link to join is sent to everyone registered.")))
        location = " · ".join(part for part in (location, localizer.translate(_("Online"))) if part)
    description.append(url)
    component.add("description", "\n\n".join(part.strip() for part in description if part and part.strip()))
    if location:
        component.add("location", location)
    if event.venue is not None and event.venue.has_coordinates:
        component.add("geo", (float(event.venue.latitude), float(event.venue.longitude)))
    component.add("url", url)
    if event.category is not None:
        component.add("categories", [event.category.localized("name", locale_name)])
    return component


def event_vevent(request: Request, event: Event, locale_name: str, now: datetime.datetime,
                 organizer: vCalAddress | None = None) -> CalendarEvent:
    """The event as public feeds show it: no join link, no personal data. A feed passes the
    organizer it made once (it is the same for every event)."""
    component = _vevent(request, event, locale_name, now, with_join_link=False)
    component.add("organizer", organizer or centre_organizer(request, locale_name))
    return component


def registration_vevent(request: Request, registration: Registration, locale_name: str,
                        now: datetime.datetime) -> CalendarEvent:
    """The event as the registered person's own calendar shows it: confirmed, tentative (waiting,
    pending, offered) or cancelled (their registration or the event), the join link only with a seat."""
    event = registration.event
    holds_seat = registration.holds_seat and event.status == EventStatus.PUBLISHED
    component = _vevent(request, event, locale_name, now, with_join_link=holds_seat)
    component.add("organizer", centre_organizer(request, locale_name))
    if event.status == EventStatus.CANCELLED or not registration.is_active:
        component["STATUS"] = vText("CANCELLED")
    elif not holds_seat or registration.status != RegistrationStatus.CONFIRMED:
        component["STATUS"] = vText("TENTATIVE")
    return component


def centre_organizer(request: Request, locale_name: str) -> vCalAddress:
    settings = request.registry.settings
    address = email.utils.parseaddr(settings["mail.sender"])[1]
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(centre_name(settings, localizer_for(locale_name)))
    return organizer


def calendar_of(method: str, components: Iterable[CalendarEvent]) -> Calendar:
    """The calendar envelope (RFC 5545/5546) around the components, without a time zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    for component in components:
        calendar.add_component(component)
    return calendar


def _calendar(request: Request, method: str, components: Iterable[CalendarEvent]) -> Calendar:
    calendar = calendar_of(method, components)
    add_timezone(request, calendar)
    return calendar


def add_timezone(request: Request, calendar: Calendar) -> None:
    """The centre's VTIMEZONE, with yearly rules where the zone has them."""
    tz = local_timezone(request)
    year = datetime.datetime.now(tz).year
    recurring = recurring_vtimezone(str(tz), year)
    if recurring is None:
        # Dated changes for the feeds' window and a few years ahead (feeds add their events as
        # text, so icalendar cannot find the zones they use by itself).
        recurring = Timezone.from_tzinfo(tz, first_date=datetime.date(year - 1, 1, 1),
                                         last_date=datetime.date(year + 5, 1, 1))
    calendar.subcomponents.insert(0, recurring)


def event_ics(request: Request, event: Event, now: datetime.datetime) -> bytes:
    """One public event as a calendar file (no personal data)."""
    component = _vevent(request, event, request.locale_name, now, with_join_link=False)
    component.add("organizer", centre_organizer(request, request.locale_name))
    return serialize(_calendar(request, "PUBLISH", [component]))


def invitation(request: Request, registration: Registration, now: datetime.datetime | None = None) -> bytes:
    """The event as an invitation to the person registered (METHOD:REQUEST, their PARTSTAT)."""
    now = now or datetime.datetime.now(datetime.UTC)
    locale_name = registration.locale
    component = _vevent(request, registration.event, locale_name, now, with_join_link=True)
    component.add("organizer", centre_organizer(request, locale_name))
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    confirmed = registration.holds_seat and registration.event.status == EventStatus.PUBLISHED
    attendee.params["partstat"] = vText("ACCEPTED" if confirmed else "TENTATIVE")
    attendee.params["rsvp"] = vText("FALSE")
    component.add("attendee", attendee)
    # A cancelled event, or a registration that no longer stands, takes the event off the calendar.
    withdrawn = registration.event.status == EventStatus.CANCELLED or not registration.is_active
    if withdrawn:
        # RFC 5546: a CANCEL carries STATUS:CANCELLED.
        component["STATUS"] = vText("CANCELLED")
    method = "CANCEL" if withdrawn else "REQUEST"
    return serialize(_calendar(request, method, [component]))


def google_calendar_link(request: Request, event: Event, locale_name: str) -> str:
    tz = local_timezone(request)
    if event.all_day:
        dates = f"{event.starts_at.astimezone(tz):%Y%m%d}/{event.ends_at.astimezone(tz):%Y%m%d}"
    else:
        dates = f"{event.starts_at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}/" \
                f"{event.ends_at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}"
    params: dict[str, Any] = {
        "action": "TEMPLATE",
        "text": event.localized("title", locale_name),
        "dates": dates,
        "details": f"{event.localized('summary', locale_name)}\n\n"
                   f"{request.public_url('events.detail', slug=event.slug)}",
        "location": place_text(event, with_join_link=False),
        "ctz": str(tz),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


def _transitions(tz: ZoneInfo, year: int) -> list[tuple[datetime.datetime, datetime.timedelta, datetime.timedelta]]:
    """The moments (UTC) in a year when the zone's offset changes: (moment, before, after)."""
    found = []
    moment = datetime.datetime(year, 1, 1, tzinfo=datetime.UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        later = moment + datetime.timedelta(hours=1)
        later_offset = later.astimezone(tz).utcoffset()
        if later_offset != offset:
            found.append((later, offset, later_offset))
            offset = later_offset
        moment = later
    return found


@functools.lru_cache(maxsize=8)
def recurring_vtimezone(tz_name: str, year: int) -> Timezone | None:
    """The zone as a VTIMEZONE with yearly rules (RRULE ...;BYDAY=-1SU), the form Outlook, Google
    and Apple all read, when its clock changes follow last-Sunday rules (as in the EU); None for a
    zone whose changes do not (icalendar's dated list is used then)."""
    tz = ZoneInfo(tz_name)
    changes = _transitions(tz, year)
    if len(changes) != 2:
        return None
    timezone = Timezone()
    timezone.add("tzid", tz_name)
    timezone.add("x-lic-location", tz_name)
    for moment, before, after in changes:
        local = (moment + before).replace(tzinfo=None)  # the onset in local time before the change
        if local.weekday() != 6 or (local + datetime.timedelta(days=7)).month == local.month:
            return None
        observance = TimezoneDaylight() if after > before else TimezoneStandard()
        observance.add("tzname", (moment + datetime.timedelta(hours=1)).astimezone(tz).tzname())
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        first = local.replace(year=1970)
        # The last Sunday of that month in 1970, at the same local time.
        last_day = first.replace(day=28)
        while (last_day + datetime.timedelta(days=1)).month == first.month:
            last_day += datetime.timedelta(days=1)
        first = last_day - datetime.timedelta(days=(last_day.weekday() - 6) % 7)
        observance.add("dtstart", first)
        observance.add("rrule", {"freq": "yearly", "bymonth": local.month, "byday": "-1SU"})
        timezone.add_component(observance)
    return timezone

"""Calendar feeds (RFC 5545) people subscribe to: built once, kept in the database, and rebuilt
only after something they show has changed.

Every flush that changes an event, venue, category, topic or series appends a `CalendarChange`;
the newest one's id is the calendar's generation. A built feed remembers the generation it was
built from and the local day (its window starts 90 days back), so a cached feed is never stale
after an edit, and every app server shares it.
"""

import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, vDuration
from pyramid.request import Request
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, raiseload

from dimoskopio.accounts.models import User
from dimoskopio.accounts.services import normalize_email
from dimoskopio.db import utcnow
from dimoskopio.i18n import _, centre_name, localizer_for
from dimoskopio.signing import read_row_token, row_signature, row_token, signatures_match
from events.calendar import add_timezone, calendar_of, centre_organizer, event_vevent, registration_vevent, serialize
from events.models import (
    CalendarChange,
    CalendarEntry,
    CalendarFeed,
    CalendarKey,
    Category,
    Event,
    EventStatus,
    Registration,
    Topic,
    Venue,
    event_topics,
)
from events.services import local_timezone

# How far back public feeds reach, and how often calendar apps should look again.
FEED_HISTORY = datetime.timedelta(days=90)
REFRESH_INTERVAL = datetime.timedelta(hours=1)
FEED_LANGUAGES = ("el", "en")
# Changes older than this are past any transaction still committing around them: prunable.
CHANGES_KEPT = datetime.timedelta(days=1)
# Raise when the way a VEVENT or a feed is written changes: stored copies of the old form are
# then rebuilt instead of being served until their events change.
FEED_FORMAT = 2


def generation(dbsession: Session) -> str:
    """The calendar's state: how many changes are committed, and the newest. Both, because on
    PostgreSQL ids are taken at insert, not at commit: a change committed after a later-numbered
    one leaves the newest id alone but adds to the count."""
    count, newest = dbsession.execute(select(func.count(), func.max(CalendarChange.id))).one()
    return f"{count}:{newest or 0}"


def prune_changes(dbsession: Session, now: datetime.datetime) -> int:
    """Forget old changes (one is added by every edit), always keeping the newest. Stored feeds
    are marked for a rebuild in the same transaction: their generation counted the rows deleted,
    and the smaller count must never match a state it did not describe. Rebuilds reuse the stored
    VEVENTs, and a feed whose bytes are the same keeps its ETag and Last-Modified."""
    newest = dbsession.scalar(select(func.max(CalendarChange.id)))
    if newest is None:
        return 0
    deleted = dbsession.execute(delete(CalendarChange).where(
        CalendarChange.changed_at < now - CHANGES_KEPT, CalendarChange.id < newest)).rowcount
    if deleted:
        dbsession.execute(update(CalendarFeed).values(generation="pruned"))
    return deleted


@dataclass
class Feed:
    """What a public feed shows: its events, its name in a language, and its cache key."""

    key: str
    names: dict[str, str]
    descriptions: dict[str, str]
    condition: Any

    def name(self, locale_name: str) -> str:
        return self.names.get(locale_name) or self.names["el"]

    def description(self, locale_name: str) -> str:
        return self.descriptions.get(locale_name) or self.descriptions["el"]


def _names(row: Any, field: str) -> dict[str, str]:
    return {"el": getattr(row, f"{field}_el"), "en": getattr(row, f"{field}_en") or getattr(row, f"{field}_el")}


def all_events_feed(request: Request) -> Feed:
    centre = {locale_name: centre_name(request.registry.settings, localizer_for(locale_name))
              for locale_name in FEED_LANGUAGES}
    return Feed(
        key="all",
        names=centre,
        descriptions={locale_name: localizer_for(locale_name).translate(
            _("Entrepreneurship events of ${centre}", mapping={"centre": centre[locale_name]}))
            for locale_name in FEED_LANGUAGES},
        condition=None,
    )


def _part_feed(request: Request, key: str, part_names: dict[str, str], condition: Any) -> Feed:
    """A feed of part of the calendar, named "<centre>: <part>"."""
    base = all_events_feed(request)
    return Feed(
        key=key,
        names={locale_name: f"{base.names[locale_name]}: {part_names[locale_name]}" for locale_name in FEED_LANGUAGES},
        descriptions=base.descriptions,
        condition=condition,
    )


def category_feed(request: Request, category: Category) -> Feed:
    return _part_feed(request, f"category:{category.slug}", _names(category, "name"),
                      Event.category_id == category.id)


def topic_feed(request: Request, topic: Topic) -> Feed:
    return _part_feed(request, f"topic:{topic.slug}", _names(topic, "name"), Event.id.in_(
        select(event_topics.c.event_id).where(event_topics.c.topic_id == topic.id)))


def venue_feed(request: Request, venue: Venue) -> Feed:
    return _part_feed(request, f"venue:{venue.id}", dict.fromkeys(FEED_LANGUAGES, venue.name),
                      Event.venue_id == venue.id)


def feed_events(dbsession: Session, feed: Feed, now: datetime.datetime) -> list[Event]:
    """Public events of the feed from FEED_HISTORY ago onward; cancelled ones stay (so that
    calendars remove them), drafts never appear. A fixed number of queries, however many."""
    # Topics and series are not in a VEVENT; loading them would add a query per 500 events.
    query = select(Event).options(raiseload(Event.topics), raiseload(Event.series)).where(
        Event.status != EventStatus.DRAFT, Event.ends_at >= now - FEED_HISTORY)
    if feed.condition is not None:
        query = query.where(feed.condition)
    return list(dbsession.scalars(query.order_by(Event.starts_at, Event.id)).unique())


def calendar_header(request: Request, name: str, description: str) -> Calendar:
    calendar = calendar_of("PUBLISH", [])
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", str(local_timezone(request)))
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH_INTERVAL)
    return calendar


def build_feed(request: Request, feed: Feed, locale_name: str, now: datetime.datetime) -> bytes:
    """The feed's iCalendar text. Each event's VEVENT
    comes from its stored entry when nothing it shows has changed; only the others are written
    (and stored) now. A fixed number of queries, however many events."""
    events = feed_events(request.dbsession, feed, now)
    calendar = calendar_header(request, feed.name(locale_name), feed.description(locale_name))
    add_timezone(request, calendar)
    envelope = serialize(calendar)
    end = b"END:VCALENDAR\r\n"
    entries = event_entries(request, events, locale_name)
    return envelope[: -len(end)] + b"".join(entries) + end


def _fingerprint(request: Request, event: Event, locale_name: str) -> str:
    """Everything an event's VEVENT depends on besides the event row's own last change."""
    settings = request.registry.settings
    venue = event.venue
    category = event.category
    parts = (
        FEED_FORMAT, event.updated_at.isoformat(), locale_name, settings["dimoskopio.base_url"],
        settings["dimoskopio.centre_name"], settings["mail.sender"], settings["dimoskopio.timezone"],
        (venue.name, venue.address, str(venue.latitude), str(venue.longitude)) if venue else None,
        category.localized("name", locale_name) if category else None,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def event_entries(request: Request, events: list[Event], locale_name: str) -> list[bytes]:
    """The VEVENT of each event, reused from storage where still right."""
    dbsession = request.dbsession
    # Plain rows, not entities: a thousand entries load in a few milliseconds.
    stored = {
        event_id: (fingerprint, body) for event_id, fingerprint, body in dbsession.execute(
            select(CalendarEntry.event_id, CalendarEntry.fingerprint, CalendarEntry.body).where(
                CalendarEntry.locale == locale_name, CalendarEntry.event_id.in_([row.id for row in events]),
            ))
    } if events else {}
    bodies, fresh = [], []
    organizer = centre_organizer(request, locale_name)
    for row in events:
        fingerprint = _fingerprint(request, row, locale_name)
        kept_fingerprint, kept_body = stored.get(row.id, (None, b""))
        if kept_fingerprint == fingerprint:
            bodies.append(kept_body)
            continue
        # Stamped with the event's last change: a rebuild of unchanged events is byte for byte the
        # same, so calendar apps keep getting 304s.
        body = serialize(event_vevent(request, row, locale_name, row.updated_at, organizer))
        bodies.append(body)
        fresh.append({"event_id": row.id, "locale": locale_name, "fingerprint": fingerprint, "body": body})
    if fresh:
        _store_entries(dbsession, locale_name, fresh)
    return bodies


def _store_entries(dbsession: Session, locale_name: str, fresh: list[dict[str, Any]]) -> None:
    try:
        with dbsession.begin_nested():
            dbsession.execute(delete(CalendarEntry).where(
                CalendarEntry.locale == locale_name,
                CalendarEntry.event_id.in_([entry["event_id"] for entry in fresh]),
            ))
            dbsession.execute(insert(CalendarEntry), fresh)
    except IntegrityError:  # another server stored the same entries meanwhile
        pass


@dataclass
class BuiltFeed:
    """A feed's validators, and its body read only when the client does not already have it."""

    etag: str
    last_modified: datetime.datetime | None
    read_body: Callable[[], bytes]


def cached_feed(request: Request, feed: Feed, locale_name: str) -> BuiltFeed:
    """The feed from the shared cache if it was built from the current calendar state today,
    else built now and stored for every app server. Last-Modified moves only when the bytes do."""
    dbsession = request.dbsession
    now = utcnow()
    key = f"{feed.key}:{locale_name}"
    # The day is part of the state: the window of the last 90 days moves on every day.
    current = f"{FEED_FORMAT}:{generation(dbsession)}:{now.astimezone(local_timezone(request)).date().isoformat()}"
    stored = dbsession.get(CalendarFeed, key)
    if stored is not None and stored.generation == current:
        return BuiltFeed(stored.etag, stored.last_modified, lambda: stored.body)
    body = build_feed(request, feed, locale_name, now)
    etag = hashlib.sha256(body).hexdigest()[:32]
    unchanged = stored is not None and stored.etag == etag
    last_modified = stored.last_modified if unchanged else now.replace(microsecond=0)
    _store(dbsession, CalendarFeed(key=key, generation=current, body=body, etag=etag, last_modified=last_modified))
    return BuiltFeed(etag, last_modified, lambda: body)


def _store(dbsession: Session, built: CalendarFeed) -> None:
    # Two servers may build the same feed at once; either copy will do.
    try:
        with dbsession.begin_nested():
            dbsession.execute(delete(CalendarFeed).where(CalendarFeed.key == built.key))
            dbsession.add(built)
    except IntegrityError:
        pass


# --- personal feeds ---------------------------------------------------------------------------


def _key_signature(secret: str, key: CalendarKey) -> str:
    return row_signature(secret, "calendar", key.id, key.email, key.salt)


def find_calendar_key(dbsession: Session, email: str) -> CalendarKey | None:
    """The person's key if they were ever given a personal feed link."""
    return dbsession.scalar(select(CalendarKey).where(CalendarKey.email == normalize_email(email)))


def calendar_key(dbsession: Session, email: str) -> CalendarKey:
    """The person's key (made on first use); it names them in their personal feed's link."""
    email = normalize_email(email)
    key = find_calendar_key(dbsession, email)
    if key is None:
        key = CalendarKey(email=email, salt=secrets.token_hex(32))
        try:
            with dbsession.begin_nested():
                dbsession.add(key)
        except IntegrityError:  # made meanwhile by another request for the same person
            key = dbsession.scalar(select(CalendarKey).where(CalendarKey.email == email))
    return key


def personal_feed_token(secret: str, key: CalendarKey) -> str:
    return row_token(key.id, _key_signature(secret, key))


def key_for_token(dbsession: Session, secret: str, token: str) -> CalendarKey | None:
    """The key a personal feed token names, or None for a tampered or revoked one."""
    parsed = read_row_token(token)
    if parsed is None:
        return None
    key = dbsession.get(CalendarKey, parsed[0])
    if key is None or not signatures_match(parsed[1], _key_signature(secret, key)):
        return None
    return key


def new_personal_feed_link(dbsession: Session, email: str) -> CalendarKey:
    """The person's key with a new salt: links to their feed given out so far stop working (a
    person who had none gets their first)."""
    key = calendar_key(dbsession, email)
    key.salt = secrets.token_hex(32)
    return key


def personal_registrations(dbsession: Session, email: str, now: datetime.datetime) -> list[Registration]:
    """The person's registrations: by their email, and those made from their account."""
    account = select(User.id).where(User.email == email).scalar_subquery()
    return list(dbsession.scalars(
        select(Registration).join(Registration.event)
        .where(or_(Registration.email == email, Registration.user_id == account),
               Event.status != EventStatus.DRAFT, Event.ends_at >= now - FEED_HISTORY)
        .order_by(Event.starts_at, Registration.id)
    ).unique())


def build_personal_feed(request: Request, key: CalendarKey, locale_name: str, now: datetime.datetime) -> bytes:
    """The events this person registered for: confirmed ones as CONFIRMED (with the join link),
    waiting, pending and offered ones as TENTATIVE, and cancelled ones as CANCELLED so that their
    calendar removes them. Nobody else's data."""
    localizer = localizer_for(locale_name)
    calendar = calendar_header(
        request,
        localizer.translate(_("My events at ${centre}", mapping={
            "centre": centre_name(request.registry.settings, localizer)})),
        localizer.translate(_("The events you registered for.")),
    )
    for registration in personal_registrations(request.dbsession, key.email, now):
        # Stamped with the last change of the registration or its event: an unchanged feed keeps
        # its ETag, so calendar apps polling it get 304s.
        stamp = max(registration.updated_at, registration.event.updated_at)
        calendar.add_component(registration_vevent(request, registration, locale_name, stamp))
    add_timezone(request, calendar)
    return serialize(calendar)


def webcal(url: str) -> str:
    """The same address for calendar apps: webcal:// opens the subscribe dialog."""
    return "webcal://" + url.split("://", 1)[1]


def personal_feed_url(request: Request, key: CalendarKey) -> str:
    token = personal_feed_token(request.registry.settings["dimoskopio.secret"], key)
    return request.public_url("calendar.personal", token=token)

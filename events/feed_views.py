"""Calendar feeds over HTTP: iCalendar with ETag and Last-Modified, 304s and HEAD, cacheable."""

import datetime
import hashlib
from typing import Any, NamedTuple

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import SLUG_PATTERN
from events import feeds
from events.models import Category, Topic, Venue

# Calendar apps poll; browsers and proxies may keep a copy this long, then ask with If-None-Match.
FEED_MAX_AGE = 15 * 60


def _language(request: Request) -> str:
    """Feeds are in Greek unless the subscription asks for English (?lang=en)."""
    return request.GET.get("lang") if request.GET.get("lang") in feeds.FEED_LANGUAGES else "el"


def _not_modified(request: Request, built: feeds.BuiltFeed) -> bool:
    """What webob's conditional response answers with a 304, known before the body is read."""
    if request.if_none_match:
        return built.etag in request.if_none_match
    return bool(request.if_modified_since and built.last_modified
                and built.last_modified <= request.if_modified_since)


def feed_response(request: Request, built: feeds.BuiltFeed, filename: str, cache_control: str) -> Response:
    response = Response(
        content_type="text/calendar",
        charset="utf-8",
        content_disposition=f'inline; filename="{filename}"',
        conditional_response=True,
    )
    response.etag = built.etag
    response.last_modified = built.last_modified
    response.cache_control = cache_control
    if _not_modified(request, built):
        response.status_int = 304
    else:
        response.body = built.read_body()
    return response


def public_feed_response(request: Request, built: feeds.BuiltFeed, filename: str) -> Response:
    return feed_response(request, built, filename, f"public, max-age={FEED_MAX_AGE}")


def private_feed_response(request: Request, body: bytes, filename: str,
                          last_modified: datetime.datetime | None = None) -> Response:
    """A feed built for one person on every request: its ETag is its body's hash; private to caches."""
    built = feeds.BuiltFeed(hashlib.sha256(body).hexdigest()[:32], last_modified, lambda: body)
    return feed_response(request, built, filename, f"private, max-age={FEED_MAX_AGE}")


def _by_slug(request: Request, model: type) -> object:
    slug = request.matchdict["slug"]
    found = request.dbsession.scalar(select(model).where(model.slug == slug)) if SLUG_PATTERN.match(slug) else None
    if found is None:
        raise HTTPNotFound()
    return found


@view_config(route_name="calendar.all", request_method=("GET", "HEAD"))
def all_events(request: Request) -> Response:
    built = feeds.cached_feed(request, feeds.all_events_feed(request), _language(request))
    return public_feed_response(request, built, "calendar.ics")


@view_config(route_name="calendar.category", request_method=("GET", "HEAD"))
def category(request: Request) -> Response:
    found = _by_slug(request, Category)
    built = feeds.cached_feed(request, feeds.category_feed(request, found), _language(request))
    return public_feed_response(request, built, f"{found.slug}.ics")


@view_config(route_name="calendar.topic", request_method=("GET", "HEAD"))
def topic(request: Request) -> Response:
    found = _by_slug(request, Topic)
    built = feeds.cached_feed(request, feeds.topic_feed(request, found), _language(request))
    return public_feed_response(request, built, f"{found.slug}.ics")


@view_config(route_name="calendar.venue", request_method=("GET", "HEAD"))
def venue(request: Request) -> Response:
    raw_id = request.matchdict["id"]
    found = request.dbsession.get(Venue, int(raw_id)) if len(raw_id) <= 9 else None
    if found is None:
        raise HTTPNotFound()
    built = feeds.cached_feed(request, feeds.venue_feed(request, found), _language(request))
    return public_feed_response(request, built, f"venue-{found.id}.ics")


@view_config(route_name="calendar.personal", request_method=("GET", "HEAD"))
def personal(request: Request) -> Response:
    """One person's own feed, at a link only they were given; private to caches."""
    secret = request.registry.settings["dimoskopio.secret"]
    key = feeds.key_for_token(request.dbsession, secret, request.matchdict["token"])
    if key is None:
        raise HTTPNotFound()
    body = feeds.build_personal_feed(request, key, _language(request), utcnow())
    return private_feed_response(request, body, "my-events.ics")


@view_config(route_name="events.mine_calendar_link", request_method="POST", permission=Permission.ACCOUNT)
def new_personal_link(request: Request) -> Response:
    """The member's first personal feed link, or a new one that replaces it."""
    if feeds.find_calendar_key(request.dbsession, request.user.email) is None:
        feeds.calendar_key(request.dbsession, request.user.email)
        request.flash_message(_("Here is your calendar link. Subscribe to it in your calendar app."))
    else:
        feeds.new_personal_feed_link(request.dbsession, request.user.email)
        request.flash_message(_("Your calendar has a new link. Subscribe again with it; the old one no longer works."))
    return HTTPSeeOther(request.route_path("events.mine"))


class FeedLink(NamedTuple):
    label: str
    https_url: str
    webcal_url: str


def _link(request: Request, label: Any, route_name: str, **kw: Any) -> FeedLink:
    """A feed's absolute address on the public base URL, in the reader's language, and its webcal:// twin."""
    query = {"lang": "en"} if request.locale_name == "en" else {}
    url = request.public_url(route_name, _query=query, **kw)
    return FeedLink(request.localizer.translate(label), url, feeds.webcal(url))


def feed_links(request: Request) -> list[FeedLink]:
    """Every public feed: all events, then each category (in their order), topic and venue."""
    dbsession = request.dbsession
    locale_name = request.locale_name
    links = [_link(request, _("All events"), "calendar.all")]
    for row in dbsession.scalars(select(Category).order_by(Category.position, Category.name_el)):
        label = _("Category: ${name}", mapping={"name": row.localized("name", locale_name)})
        links.append(_link(request, label, "calendar.category", slug=row.slug))
    for row in dbsession.scalars(select(Topic).order_by(Topic.name_el)):
        label = _("Topic: ${name}", mapping={"name": row.localized("name", locale_name)})
        links.append(_link(request, label, "calendar.topic", slug=row.slug))
    for row in dbsession.scalars(select(Venue).order_by(Venue.name)):
        links.append(_link(request, _("Venue: ${name}", mapping={"name": row.name}), "calendar.venue", id=row.id))
    return links


@view_config(route_name="calendar.index", renderer="events/subscribe.jinja2")
def subscribe(request: Request) -> dict[str, Any]:
    return {"feeds": feed_links(request), "current_section": "events"}

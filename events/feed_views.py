"""Calendar feeds over HTTP: iCalendar with ETag and Last-Modified, 304s and HEAD, cacheable."""

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from events import feeds
from events.models import Category, Topic, Venue
from events.services import SLUG_PATTERN

# Calendar apps poll; browsers and proxies may keep a copy this long, then ask with If-None-Match.
FEED_MAX_AGE = 15 * 60


def _language(request: Request) -> str:
    """Feeds are in Greek unless the subscription asks for English (?lang=en)."""
    return request.GET.get("lang") if request.GET.get("lang") in feeds.FEED_LANGUAGES else "el"


def feed_response(request: Request, built: feeds.BuiltFeed, filename: str) -> Response:
    response = Response(
        body=built.body,
        content_type="text/calendar",
        charset="utf-8",
        content_disposition=f'inline; filename="{filename}"',
        conditional_response=True,
    )
    response.etag = built.etag
    response.last_modified = built.last_modified
    response.cache_control = f"public, max-age={FEED_MAX_AGE}"
    return response


def _by_slug(request: Request, model: type) -> object:
    slug = request.matchdict["slug"]
    found = request.dbsession.scalar(select(model).where(model.slug == slug)) if SLUG_PATTERN.match(slug) else None
    if found is None:
        raise HTTPNotFound()
    return found


@view_config(route_name="calendar.all", request_method=("GET", "HEAD"))
def all_events(request: Request) -> Response:
    built = feeds.cached_feed(request, feeds.all_events_feed(request), _language(request))
    return feed_response(request, built, "calendar.ics")


@view_config(route_name="calendar.category", request_method=("GET", "HEAD"))
def category(request: Request) -> Response:
    found = _by_slug(request, Category)
    built = feeds.cached_feed(request, feeds.category_feed(request, found), _language(request))
    return feed_response(request, built, f"{found.slug}.ics")


@view_config(route_name="calendar.topic", request_method=("GET", "HEAD"))
def topic(request: Request) -> Response:
    found = _by_slug(request, Topic)
    built = feeds.cached_feed(request, feeds.topic_feed(request, found), _language(request))
    return feed_response(request, built, f"{found.slug}.ics")


@view_config(route_name="calendar.venue", request_method=("GET", "HEAD"))
def venue(request: Request) -> Response:
    raw_id = request.matchdict["id"]
    found = request.dbsession.get(Venue, int(raw_id)) if len(raw_id) <= 9 else None
    if found is None:
        raise HTTPNotFound()
    built = feeds.cached_feed(request, feeds.venue_feed(request, found), _language(request))
    return feed_response(request, built, f"venue-{found.id}.ics")

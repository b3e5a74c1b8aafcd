"""Open data: the public events as JSON and CSV under /api/v1, described by an OpenAPI 3.1 document.

Nothing personal leaves here: registrations appear only as the number of free seats. The views never
touch the cookie session (nor the locale, which may look up the logged-in user), so no answer sets a
cookie and shared caches may keep them. Error messages are plain English: they are for programmers.
"""

import datetime
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPBadRequest, HTTPException
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config, view_config

from dimoskopio.db import page_of, utcnow
from dimoskopio.markdown import render_markdown
from dimoskopio.web import MAX_PAGE, SLUG_PATTERN, csv_download, page_count
from events.models import SLUG_MAX_LENGTH, Event, EventLanguage, EventStatus
from events.services import (
    FIRST_DAY,
    LAST_DAY,
    EventFilters,
    counts_for,
    filtered_events,
    local_timezone,
    parse_day,
    registration_state,
    seats_left,
    seats_taken,
)

log = logging.getLogger(__name__)

API_PATHS = r"^/api/"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200
CSV_MAX_ROWS = 5000
CACHE_SECONDS = 300
# Dates far outside these would overflow when turned into UTC moments; no event is there anyway.
# PostgreSQL refuses NUL in text, and no search needs control characters (tabs and newlines aside).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REGISTRATION_STATES = ("open", "not_open_yet", "closed", "past", "cancelled", "postponed")
PUBLIC_STATUSES = tuple(status.value for status in EventStatus if status != EventStatus.DRAFT)
CSV_COLUMNS = (
    "slug", "title_el", "title_en", "category", "topics", "starts_at", "ends_at", "all_day", "venue",
    "address", "online", "status", "capacity", "seats_left", "url",
)
# --- errors -----------------------------------------------------------------------------------


class ApiError(Exception):
    """An answer other than success, given to the client as a JSON error object."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "bad_request", message, name)


def _json_response(body: Any, status: int = 200) -> Response:
    response = Response(
        body=json.dumps(body, ensure_ascii=False).encode(), status=status, content_type="application/json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    if status == 200:
        response.cache_control = f"public, max-age={CACHE_SECONDS}"
    return response


def _error_response(status: int, code: str, message: str, parameter: str | None = None) -> Response:
    error = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    return _json_response({"error": error}, status)


@exception_view_config(ApiError)
def api_error(exc: ApiError, request: Request) -> Response:
    return _error_response(exc.status, exc.code, exc.message, exc.parameter)


# The site's own error views render HTML pages (which also set the session cookie for their forms).
@notfound_view_config(path_info=API_PATHS)
def api_not_found(exc: HTTPException, request: Request) -> Response:
    route = request.matched_route
    if route is not None and route.name.startswith("api.") and request.method not in ("GET", "HEAD"):
        response = _error_response(405, "method_not_allowed", "Only GET and HEAD are allowed here.")
        response.allow = ("GET", "HEAD")
        return response
    return _error_response(404, "not_found", "There is nothing at this address.")


@exception_view_config(HTTPBadRequest, path_info=API_PATHS)
def api_bad_request(exc: HTTPBadRequest, request: Request) -> Response:
    return _error_response(400, "bad_request", "The request could not be understood.")


@exception_view_config(Exception, path_info=API_PATHS)
def api_server_error(exc: Exception, request: Request) -> Response:
    if isinstance(exc, HTTPException):
        return exc
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _error_response(500, "server_error", "Something went wrong on our side; please try again later.")


# --- parameters -------------------------------------------------------------------------------


def _parameter(request: Request, name: str) -> str | None:
    """The parameter's value; None when it is missing or empty (as forms send unused fields)."""
    values = request.GET.getall(name)
    if len(values) > 1:
        raise bad_parameter(name, f"Give '{name}' at most once.")
    return values[0] if values and values[0] != "" else None


def _date(request: Request, name: str) -> datetime.date | None:
    raw = _parameter(request, name)
    if raw is None:
        return None
    day = parse_day(raw)
    if day is None:
        raise bad_parameter(name, f"'{name}' must be a date written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}.")
    return day


def _whole_number(request: Request, name: str, default: int, maximum: int) -> int:
    raw = _parameter(request, name)
    if raw is None:
        return default
    # Length first: Python refuses to parse integers of thousands of digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)) and 1 <= int(raw) <= maximum):
        raise bad_parameter(name, f"'{name}' must be a whole number from 1 to {maximum}.")
    return int(raw)


def _slug(request: Request, name: str) -> str:
    raw = _parameter(request, name)
    if raw is None:
        return ""
    if len(raw) > SLUG_MAX_LENGTH or not SLUG_PATTERN.match(raw):
        raise bad_parameter(name, f"'{name}' must be a slug: lower-case letters and digits joined by hyphens.")
    return raw


def _text(request: Request, name: str) -> str:
    raw = (_parameter(request, name) or "").strip()
    if len(raw) > MAX_QUERY_LENGTH:
        raise bad_parameter(name, f"'{name}' must be at most {MAX_QUERY_LENGTH} characters long.")
    if CONTROL_CHARACTERS.search(raw):
        raise bad_parameter(name, f"'{name}' must not contain control characters.")
    return raw


@dataclass(frozen=True)
class EventSearch:
    filters: EventFilters
    # The filters as given (normalized), repeated in the links to other pages.
    given: dict[str, str]


def _event_search(request: Request, today: datetime.date) -> EventSearch:
    date_from = _date(request, "from")
    date_to = _date(request, "to")
    filters = EventFilters(
        q=_text(request, "q"),
        category=_slug(request, "category"),
        topic=_slug(request, "topic"),
        date_from=date_from or today,
        date_to=date_to,
    )
    if date_to is not None and date_to < filters.date_from:
        if date_from is None:
            raise bad_parameter("to", "'to' is before today, the default of 'from'; give 'from' for past events.")
        raise bad_parameter("to", "'to' must not be before 'from'.")
    given = {
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
        "category": filters.category,
        "topic": filters.topic,
        "q": filters.q,
    }
    return EventSearch(filters, {name: value for name, value in given.items() if value})


# --- representation ---------------------------------------------------------------------------


def _localized(row: Any, field: str) -> dict[str, str | None]:
    return {"el": getattr(row, f"{field}_el"), "en": getattr(row, f"{field}_en") or None}


def _local_time(moment: datetime.datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _event_json(request: Request, event: Event, taken: int, now: datetime.datetime, tz: ZoneInfo) -> dict[str, Any]:
    category, venue, series = event.category, event.venue, event.series
    return {
        "id": event.id,
        "slug": event.slug,
        "url": request.public_url("events.detail", slug=event.slug),
        "ics_url": request.public_url("events.ics", slug=event.slug),
        "title": _localized(event, "title"),
        "summary": _localized(event, "summary"),
        "category": {"slug": category.slug, "name": _localized(category, "name")} if category else None,
        "topics": [{"slug": topic.slug, "name": _localized(topic, "name")} for topic in event.topics],
        "venue": {
            "name": venue.name,
            "address": venue.address,
            "latitude": _number(venue.latitude),
            "longitude": _number(venue.longitude),
            "accessibility_notes": venue.accessibility_notes,
        } if venue else None,
        "online": event.is_online,
        "starts_at": _local_time(event.starts_at, tz),
        "ends_at": _local_time(event.ends_at, tz),
        "all_day": event.all_day,
        "status": event.status.value,
        "language": event.language.value,
        "series": {"slug": series.slug, "title": _localized(series, "title")} if series else None,
        "capacity": event.capacity,
        "seats_left": seats_left(event, taken),
        "registration": registration_state(event, now),
        # Zero hours means "not stated" (see Event.hours).
        "hours": float(event.hours) if event.hours else None,
        "organiser": event.organiser,
        "speakers": event.speaker_list,
        "updated_at": _local_time(event.updated_at, tz),
    }


def _csv_row(request: Request, event: Event, taken: int, tz: ZoneInfo) -> list[str]:
    """The CSV_COLUMNS of one event, for people reading a spreadsheet: Greek names, empty for none."""
    left = seats_left(event, taken)
    venue = event.venue
    return [
        event.slug,
        event.title_el,
        event.title_en or "",
        event.category.name_el if event.category else "",
        "; ".join(topic.name_el for topic in event.topics),
        _local_time(event.starts_at, tz),
        _local_time(event.ends_at, tz),
        "true" if event.all_day else "false",
        venue.name if venue else "",
        venue.address if venue else "",
        "true" if event.is_online else "false",
        event.status.value,
        "" if event.capacity is None else str(event.capacity),
        "" if left is None else str(left),
        request.public_url("events.detail", slug=event.slug),
    ]


def _description_html(event: Event) -> dict[str, str | None]:
    return {
        "el": str(render_markdown(event.description_el)),
        "en": str(render_markdown(event.description_en)) if event.description_en else None,
    }


# --- views ------------------------------------------------------------------------------------


@view_config(route_name="api.events", request_method="GET")
def events_list(request: Request) -> Response:
    tz = local_timezone(request)
    now = utcnow()
    search = _event_search(request, now.astimezone(tz).date())
    page = _whole_number(request, "page", 1, MAX_PAGE)
    per_page = _whole_number(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    query = filtered_events(search.filters, tz).order_by(Event.starts_at, Event.id)
    events, total = page_of(request.dbsession, query, page, per_page)
    counts = counts_for(request.dbsession, (event.id for event in events))
    pages = page_count(total, per_page)

    def link(number: int) -> str:
        return request.public_url("api.events", _query={**search.given, "page": number, "per_page": per_page})

    return _json_response({
        "events": [_event_json(request, event, counts[event.id].taken, now, tz) for event in events],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "links": {
            "self": link(page),
            "next": link(page + 1) if page < pages else None,
            "prev": link(min(page - 1, pages)) if page > 1 else None,
        },
    })


@view_config(route_name="api.event", request_method="GET")
def event_detail(request: Request) -> Response:
    tz = local_timezone(request)
    event = request.dbsession.scalar(
        filtered_events(EventFilters(), tz).where(Event.slug == request.matchdict["slug"])
    )
    if event is None:
        raise ApiError(404, "not_found", "There is no public event with this slug.")
    body = _event_json(request, event, seats_taken(request.dbsession, event.id), utcnow(), tz)
    body["description_html"] = _description_html(event)
    return _json_response(body)


@view_config(route_name="api.events_csv", request_method="GET")
def events_csv(request: Request) -> Response:
    tz = local_timezone(request)
    search = _event_search(request, utcnow().astimezone(tz).date())
    query = filtered_events(search.filters, tz).order_by(Event.starts_at, Event.id)
    events, total = page_of(request.dbsession, query, 1, CSV_MAX_ROWS)
    if total > CSV_MAX_ROWS:
        raise ApiError(400, "bad_request",
                       f"More than {CSV_MAX_ROWS} events match; narrow the dates with 'from' and 'to'.")
    counts = counts_for(request.dbsession, (event.id for event in events))
    response = csv_download("events.csv", CSV_COLUMNS,
                            (_csv_row(request, event, counts[event.id].taken, tz) for event in events))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control = f"public, max-age={CACHE_SECONDS}"
    return response


@view_config(route_name="api.openapi", request_method="GET")
def openapi(request: Request) -> Response:
    return _json_response(openapi_document(request.registry.settings["dimoskopio.base_url"]))


# --- the OpenAPI document ---------------------------------------------------------------------


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A closed object: every property listed, all required unless named optional."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        **extra,
    }


def _query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}
URI = {"type": "string", "format": "uri"}
DATE_TIME = {"type": "string", "format": "date-time"}
FILTERS = ("From", "To", "Category", "Topic", "Q")


def _schemas() -> dict[str, Any]:
    return {
        "LocalizedText": _object(
            {"el": STRING, "en": NULLABLE_STRING},
            description="Text in Greek (always) and English (null when there is no translation).",
        ),
        "Term": _object(
            {"slug": STRING, "name": _ref("schemas", "LocalizedText")},
            description="A category or a topic.",
        ),
        "Venue": _object({
            "name": STRING,
            "address": STRING,
            "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]},
            "accessibility_notes": STRING,
        }),
        "Series": _object(
            {"slug": STRING, "title": _ref("schemas", "LocalizedText")},
            description="Events that belong together, like a monthly meet-up.",
        ),
        "Event": _object({
            "id": {"type": "integer"},
            "slug": STRING,
            "url": {**URI, "description": "The event's public page."},
            "ics_url": {**URI, "description": "The event as an iCalendar file."},
            "title": _ref("schemas", "LocalizedText"),
            "summary": _ref("schemas", "LocalizedText"),
            "description_html": {
                **_ref("schemas", "LocalizedText"),
                "description": "The description as sanitized HTML; only in the single-event response.",
            },
            "category": _nullable(_ref("schemas", "Term")),
            "topics": {"type": "array", "items": _ref("schemas", "Term")},
            "venue": _nullable(_ref("schemas", "Venue")),
            "online": {
                "type": "boolean",
                "description": "Whether the event can be followed online (the link goes to registrants only).",
            },
            "starts_at": {**DATE_TIME, "description": "Local time (Europe/Athens) with its UTC offset."},
            "ends_at": {
                **DATE_TIME,
                "description": "Local time with its UTC offset; for all-day events the midnight after the last day.",
            },
            "all_day": {"type": "boolean"},
            "status": {"type": "string", "enum": list(PUBLIC_STATUSES)},
            "language": {"type": "string", "enum": [language.value for language in EventLanguage]},
            "series": _nullable(_ref("schemas", "Series")),
            "capacity": {"type": ["integer", "null"], "minimum": 0, "description": "Null: no limit."},
            "seats_left": {"type": ["integer", "null"], "minimum": 0, "description": "Null: no limit."},
            "registration": {"type": "string", "enum": list(REGISTRATION_STATES)},
            "hours": {"type": ["number", "null"],
                      "description": "Hours stated on certificates of attendance; null: not stated."},
            "organiser": STRING,
            "speakers": {"type": "array", "items": STRING},
            "updated_at": DATE_TIME,
        }, optional=("description_html",), description="A public event."),
        "Links": _object({"self": URI, "next": NULLABLE_URI, "prev": NULLABLE_URI}),
        "EventList": _object({
            "events": {"type": "array", "items": _ref("schemas", "Event")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "links": _ref("schemas", "Links"),
        }, description="One page of events, earliest first."),
        "Error": _object({
            "error": _object({
                "code": {"type": "string", "enum": ["bad_request", "not_found", "method_not_allowed",
                                                    "server_error"]},
                "message": STRING,
                "parameter": {**STRING, "description": "The query parameter at fault, when there is one."},
            }, optional=("parameter",)),
        }),
    }


def _parameters() -> dict[str, Any]:
    slug = {"type": "string", "pattern": SLUG_PATTERN.pattern, "maxLength": SLUG_MAX_LENGTH}
    date = {"type": "string", "format": "date"}
    return {
        "From": _query_parameter("from", "Events still going on at or after the start of this local day "
                                 "(Europe/Athens). Default: today, so the list shows upcoming events.", date),
        "To": _query_parameter("to", "Events starting on or before this local day (inclusive).", date),
        "Category": _query_parameter("category", "A category's slug.", slug),
        "Topic": _query_parameter("topic", "A topic's slug.", slug),
        "Q": _query_parameter("q", "Words that must all appear in the title or the summary (either "
                              "language; letter case does not matter).",
                              {"type": "string", "maxLength": MAX_QUERY_LENGTH}),
        "Page": _query_parameter("page", "The page, from 1.",
                                 {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        "PerPage": _query_parameter("per_page", "Events per page.", {
            "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE,
        }),
        "Slug": {"name": "slug", "in": "path", "required": True, "schema": slug},
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """The API's description, pointing at this installation's address."""
    error = _json_content(_ref("schemas", "Error"))
    filters = [_ref("parameters", name) for name in FILTERS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dimoskopio open data API",
            "version": "1.0.0",
            "description": (
                "The public entrepreneurship events of the innovation centre, read-only, free to reuse. "
                "No personal data: registrations appear only as the number of seats left. An empty "
                "parameter is the same as a missing one; unknown parameters are ignored."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "paths": {
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Public events, earliest first, a page at a time",
                    "parameters": [*filters, _ref("parameters", "Page"), _ref("parameters", "PerPage")],
                    "responses": {
                        "200": {"description": "A page of events.",
                                "content": _json_content(_ref("schemas", "EventList"))},
                        "400": _ref("responses", "BadRequest"),
                    },
                },
            },
            "/events.csv": {
                "get": {
                    "operationId": "exportEvents",
                    "summary": "The same events as a spreadsheet",
                    "description": (
                        f"UTF-8 with a byte order mark, at most {CSV_MAX_ROWS} rows (more is a 400: narrow "
                        f"the dates). Columns: {', '.join(CSV_COLUMNS)}. Category, topics and venue are "
                        "Greek names; a cell that a spreadsheet would run as a formula starts with an "
                        "apostrophe."
                    ),
                    "parameters": filters,
                    "responses": {
                        "200": {"description": "A CSV file.", "content": {"text/csv": {"schema": STRING}}},
                        "400": _ref("responses", "BadRequest"),
                    },
                },
            },
            "/events/{slug}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One public event, with its description",
                    "parameters": [_ref("parameters", "Slug")],
                    "responses": {
                        "200": {"description": "The event.", "content": _json_content(_ref("schemas", "Event"))},
                        "404": _ref("responses", "NotFound"),
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "responses": {
                        "200": {"description": "The OpenAPI document.",
                                "content": _json_content({"type": "object"})},
                    },
                },
            },
        },
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
            "responses": {
                "BadRequest": {"description": "A parameter is not valid.", "content": error},
                "NotFound": {"description": "No public event has this slug.", "content": error},
            },
        },
    }

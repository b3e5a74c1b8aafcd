"""Shared web pieces: template helpers, home page, language switch, health check, error pages."""

import csv
import datetime
import io
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from jinja2 import pass_context
from pyramid.config import Configurator
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, ContextFound, NewRequest, NewResponse, subscriber
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPForbidden,
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
    HTTPSeeOther,
)
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.threadlocal import get_current_registry
from pyramid.view import (
    exception_view_config,
    forbidden_view_config,
    notfound_view_config,
    view_config,
)
from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from dimoskopio.db import page_of
from dimoskopio.i18n import (
    LOCALE_COOKIE,
    LOCALE_NAMES,
    _,
    centre_name,
    chosen_locale,
    format_date,
    format_datetime,
    is_available_locale,
    localizer_for,
)

log = logging.getLogger(__name__)

LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
JINJA2_SETUP_ORDER = 999


def safe_next_url(request: Request, candidate: str | None, default_route: str = "home") -> str:
    """Only same-site relative paths are followed after login or a language switch."""
    # Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example") and drop tabs
    # and line breaks, so a candidate with either is not followed.
    if candidate and "\\" not in candidate and candidate.isprintable():
        parts = urlsplit(candidate)
        if not parts.scheme and not parts.netloc and candidate.startswith("/") and not candidate.startswith("//"):
            return candidate
    return request.route_path(default_route)


MAX_PAGE = 100_000


def requested_page(request: Request) -> int:
    """The `page` query parameter as a sane page number (1 for anything else)."""
    raw = request.GET.get("page", "1")
    # Length first: Python refuses to parse integers of thousands of digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or int(raw) == 0:
        return 1
    return min(int(raw), MAX_PAGE)


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@dataclass
class Page:
    rows: list[Any]
    total: int
    page: int
    pages: int


def page_or_last(dbsession: Session, query: Select[Any], page: int, per_page: int) -> Page:
    """One page of the rows the (ordered) query selects; a page past the end (an old link, a
    shorter list now) shows the last page instead."""
    rows, total = page_of(dbsession, query, page, per_page)
    pages = page_count(total, per_page)
    if not rows and total:
        page = pages
        rows, total = page_of(dbsession, query, page, per_page)
    return Page(rows, total, page, pages)


# Lower-case ASCII words joined by hyphens: what web addresses (events, topics, lists) are made of.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# Spreadsheets run a cell starting with one of these as a formula ("CSV injection", OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# A CSV cell: text, or a number (written as a number, so that spreadsheets can add it up).
CsvCell = str | int | float | Decimal


def csv_safe(value: CsvCell) -> CsvCell:
    """A cell that spreadsheets show as written: a number as it is (a negative one is a number,
    not a formula), text with a leading apostrophe when it would start a formula."""
    if isinstance(value, int | float | Decimal):
        return value
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def csv_download(filename: str, header: Sequence[str], rows: Iterable[Sequence[CsvCell]]) -> Response:
    """A CSV file to download: every text cell defused, numbers written as numbers, UTF-8 with a
    byte order mark so that Excel reads it as UTF-8 (and shows the Greek)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in itertools.chain([header], rows):
        writer.writerow([csv_safe(cell) for cell in row])
    return Response(body=buffer.getvalue().encode("utf-8-sig"), content_type="text/csv", charset="utf-8",
                    content_disposition=f'attachment; filename="{filename}"')


# The largest id an integer column holds (PostgreSQL); a larger one in a URL names no row.
MAX_ID = 2**31 - 1


def row_id(raw: Any) -> int | None:
    """The row id a text from outside (a URL, a form, a provider's callback) stands for, or None
    for anything no row can have."""
    # Length first: Python refuses to parse integers of thousands of digits.
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def object_or_404(request: Request, model: type[Any], raw_id: str) -> Any:
    """The row with the id from the URL, or 404 for a missing row or an id no row can have."""
    number = row_id(raw_id)
    found = request.dbsession.get(model, number) if number is not None else None
    if found is None:
        raise HTTPNotFound()
    return found


Found = TypeVar("Found")


def reachable_or_404(request: Request, find: Callable[[int], Found | None], key: str = "id") -> Found:
    """What the URL's id names, as `find` looks it up among what the visitor may reach (their
    own startup, an application assigned to them...); any other id, existing or not, or one no
    row can have, is "not found" alike."""
    number = row_id(request.matchdict[key])
    found = find(number) if number is not None else None
    if found is None:
        raise HTTPNotFound()
    return found


def public_url(request: Request, route_name: str, **kw: Any) -> str:
    """An absolute URL on the configured public address, never on the request's Host header
    (a forged Host must not turn an emailed link into a link to someone else's site)."""
    return request.route_url(route_name, _app_url=request.registry.settings["dimoskopio.base_url"], **kw)


def flash(request: Request, message: Any, queue: str = "success", locale_name: str | None = None) -> None:
    """A one-time notice shown on the next page (queue: success, info, warning or error).

    `locale_name`: the language of the next page, when this request changed it (login, profile).
    """
    localizer = localizer_for(locale_name) if locale_name else request.localizer
    request.session.flash(localizer.translate(message), queue=queue)


@pass_context
def _format_datetime_filter(context: Any, value: datetime.datetime | None, format: str = "medium") -> str:
    return format_datetime(value, context["locale_name"], _timezone(), format)


@pass_context
def _format_date_filter(context: Any, value: Any, format: str = "long") -> str:
    return format_date(value, context["locale_name"], _timezone(), format)


@pass_context
def _format_number_filter(context: Any, value: Any) -> str:
    """A number as the reader's language writes it ("3,5" in Greek), without needless decimals."""
    return format_decimal(value, format="#,##0.##", locale=context["locale_name"])


def _timezone() -> ZoneInfo:
    # Templates of emails have no request in their context; the registry is there in both cases.
    return get_current_registry()["timezone"]


@subscriber(BeforeRender)
def add_template_globals(event: BeforeRender) -> None:
    request = event.get("request")
    if request is None or not str(event.get("renderer_name", "")).endswith(".jinja2"):
        return
    event.setdefault("csrf_token", get_csrf_token(request))
    event.setdefault("locale_name", request.locale_name)
    route = request.matched_route
    event.setdefault("current_section", route.name.split(".")[0] if route is not None else "")
    event.setdefault("locale_names", LOCALE_NAMES)
    event.setdefault("centre_name", centre_name(request.registry.settings, request.localizer))


UNDECODABLE_URL = "dimoskopio.undecodable_url"


@subscriber(NewRequest)
def clean_undecodable_urls(event: NewRequest) -> None:
    """A path or query string that is not UTF-8 is cleaned, so that routing and the error page work."""
    request = event.request
    try:
        request.path_info  # noqa: B018 - decoding is the check
        request.GET  # noqa: B018
    except UnicodeDecodeError:
        environ = request.environ
        raw_path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
        environ["PATH_INFO"] = raw_path.decode("utf-8", "replace").encode("utf-8").decode("latin-1")
        environ["QUERY_STRING"] = ""
        environ[UNDECODABLE_URL] = True


@subscriber(ContextFound)
def refuse_undecodable_urls(event: ContextFound) -> None:
    """...and then refused with a 400 page (raised here, where the page has its context)."""
    if event.request.environ.get(UNDECODABLE_URL):
        raise HTTPBadRequest()


UPLOAD_ROUTES = "dimoskopio.upload_routes"


def add_upload_route(config: Configurator, route_name: str) -> None:
    """Let the route's requests carry files up to `dimoskopio.max_upload_request_bytes` in all
    (instead of `dimoskopio.max_request_bytes`); its view keeps each file to its own limit."""
    config.registry.setdefault(UPLOAD_ROUTES, set()).add(route_name)


def body_limit(request: Request) -> int:
    """The largest body the request may have: an upload route's once the route is known."""
    settings = request.registry.settings
    route = getattr(request, "matched_route", None)
    if route is not None and route.name in request.registry.get(UPLOAD_ROUTES, ()):
        return settings["dimoskopio.max_upload_request_bytes"]
    return settings["dimoskopio.max_request_bytes"]


def _body_too_large(request: Request) -> bool:
    return request.content_length is not None and request.content_length > body_limit(request)


def retry_attempts(request: Request) -> int | None:
    """pyramid_retry's hook: an oversized body gets one attempt, so that the retry policy does not
    buffer it (to replay it) before `refuse_oversized_bodies` answers 413 without reading it.
    (Before routing, uploads count as oversized too: they are not buffered to be replayed.)"""
    return 1 if _body_too_large(request) else None


@subscriber(ContextFound)
def refuse_oversized_bodies(event: ContextFound) -> None:
    """No form is bigger than this; anything larger is refused before it is read."""
    if _body_too_large(event.request):
        raise HTTPRequestEntityTooLarge()


@subscriber(NewResponse)
def add_security_headers(event: NewResponse) -> None:
    headers = event.response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )


@view_config(route_name="language", request_method="POST")
def switch_language(request: Request) -> Response:
    locale_name = request.POST.get("locale")
    if not is_available_locale(locale_name):
        raise HTTPBadRequest(request.localizer.translate(_("Unknown language.")))
    response = HTTPSeeOther(safe_next_url(request, request.POST.get("next")))
    response.set_cookie(
        LOCALE_COOKIE,
        locale_name,
        max_age=LOCALE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.registry.settings["dimoskopio.secure_cookies"],
    )
    if request.user is not None:
        request.user.locale = locale_name
    return response


@view_config(route_name="privacy", renderer="privacy.jinja2")
def privacy(request: Request) -> dict[str, Any]:
    """The privacy notice people agree to; its version is recorded with each consent."""
    settings = request.registry.settings
    return {"version": settings["events.privacy_notice_version"], "contact": settings["dimoskopio.contact_email"]}


@view_config(route_name="healthz", renderer="json", require_csrf=False)
def healthz(request: Request) -> dict[str, str]:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    engine = request.registry["db_engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        log.error("health check: database unreachable: %s", error)
        request.response.status = 503
        return {"status": "error", "database": "unreachable"}
    return {"status": "ok", "database": "ok"}


def _error_response(request: Request, status: int, title: Any, detail: Any) -> Response:
    response = render_to_response(
        "errors/error.jinja2",
        {"status": status, "title": title, "detail": detail},
        request=request,
    )
    response.status = status
    return response


@notfound_view_config(append_slash=HTTPSeeOther)
def not_found(request: Request) -> Response:
    return _error_response(
        request, 404, _("Page not found"),
        _("The page you asked for does not exist or has moved."),
    )


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request: Request) -> Response:
    if request.user is None and request.method == "GET":
        return HTTPSeeOther(request.route_path("accounts.login", _query={"next": request.path_qs}))
    return _error_response(
        request, 403, _("Access denied"), _("You do not have permission to see this page."),
    )


@exception_view_config(BadCSRFToken)
@exception_view_config(BadCSRFOrigin)
def bad_csrf(exc: Exception, request: Request) -> Response:
    return _error_response(
        request, 400, _("Your form has expired"),
        _("For your security the form could not be accepted. Go back, reload the page and try again."),
    )


@exception_view_config(HTTPRequestEntityTooLarge)
def too_large(exc: HTTPRequestEntityTooLarge, request: Request) -> Response:
    return _error_response(
        request, 413, _("Too much data"),
        _("What you sent is larger than this form accepts. Please send less and try again."),
    )


@exception_view_config(HTTPBadRequest)
def bad_request(exc: HTTPBadRequest, request: Request) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else _(
        "The request could not be understood."
    )
    return _error_response(request, 400, _("Bad request"), detail)


@exception_view_config(Exception)
def server_error(exc: Exception, request: Request) -> Response:
    if isinstance(exc, HTTPException):
        return exc
    log.exception("unhandled error on %s %s", request.method, request.path)
    # Rendered without the database or the user: the failure may be the database itself.
    locale_name = chosen_locale(request) or request.registry.settings["dimoskopio.default_locale"]
    request.__dict__["locale_name"] = locale_name
    response = render_to_response(
        "errors/500.jinja2", {"status": 500, "locale_name": locale_name}, request=request
    )
    response.status = 500
    return response


def includeme(config: Configurator) -> None:
    config.add_static_view("static", "dimoskopio:static", cache_max_age=24 * 3600)

    def configure_jinja2() -> None:
        environment = config.get_jinja2_environment()
        environment.filters["datetime"] = _format_datetime_filter
        environment.filters["date"] = _format_date_filter
        environment.filters["number"] = _format_number_filter
        environment.policies["ext.i18n.trimmed"] = True

    # After pyramid_jinja2 has created its environment (an action of its own).
    config.action(None, configure_jinja2, order=JINJA2_SETUP_ORDER)
    config.add_route("home", "/")
    config.add_route("language", "/language")
    config.add_route("healthz", "/healthz")
    config.add_route("privacy", "/privacy")
    config.add_request_method(flash, "flash_message")
    config.add_request_method(public_url, "public_url")
    config.add_directive("add_upload_route", add_upload_route)

"""Public and founders' pages of the incubator: the startup directory, and founders' own startups."""

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.markdown import render_markdown
from dimoskopio.security import Permission
from dimoskopio.web import reachable_or_404, requested_page
from incubator import services
from incubator.call_services import CallState, listed_calls
from incubator.forms import StartupProfileForm, local_today
from incubator.graduation_services import current_certificate
from incubator.models import (
    SECTOR_MAX_LENGTH,
    STARTUP_STAGE_LABELS,
    STARTUP_STATUS_LABELS,
    Startup,
    StartupStatus,
)

DIRECTORY_PER_PAGE = 24
SEARCH_MAX_LENGTH = 200


@view_config(route_name="incubator.index", renderer="incubator/index.jinja2")
def index(request: Request) -> dict[str, Any]:
    """The incubator's front page: its calls open now or soon, and the ways in."""
    return {"calls": listed_calls(request.dbsession, utcnow()), "states": CallState}


# --- the public directory ---------------------------------------------------------------------


def _directory_filters(request: Request) -> services.DirectoryFilters:
    """Filters from the query string; values that make no sense are ignored, not an error."""
    params = request.GET
    status = params.get("status", "")
    return services.DirectoryFilters(
        q=params.get("q", "")[:SEARCH_MAX_LENGTH].strip(),
        status=StartupStatus(status) if status in services.DIRECTORY_STATUSES else None,
        sector=params.get("sector", "")[:SECTOR_MAX_LENGTH],
    )


@view_config(route_name="incubator.startups", renderer="incubator/startups.jinja2")
def directory(request: Request) -> dict[str, Any]:
    filters = _directory_filters(request)
    listing = services.paged_startups(request.dbsession, services.directory_startups(filters),
                                      requested_page(request), DIRECTORY_PER_PAGE)
    query = {"q": filters.q, "status": filters.status.value if filters.status else "", "sector": filters.sector}
    return {
        **vars(listing),
        "query": query,
        "filtered": any(query.values()),
        "statuses": services.DIRECTORY_STATUSES,
        "sectors": services.directory_sectors(request.dbsession),
        "status_labels": STARTUP_STATUS_LABELS,
        "stage_labels": STARTUP_STAGE_LABELS,
    }


@view_config(route_name="incubator.startup", renderer="incubator/startup.jinja2")
def directory_startup(request: Request) -> dict[str, Any]:
    startup = services.listed_startup(request.dbsession, request.matchdict["slug"])
    if startup is None:
        raise HTTPNotFound()
    return {
        "startup": startup,
        "description": render_markdown(startup.description),
        "status_labels": STARTUP_STATUS_LABELS,
        "stage_labels": STARTUP_STAGE_LABELS,
    }


# Long enough to spare repeated downloads; a new logo has a new address (its `v` parameter).
LOGO_MAX_AGE = 7 * 24 * 3600


@view_config(route_name="incubator.startup_logo", request_method=("GET", "HEAD"))
def startup_logo(request: Request) -> Response:
    """A startup's logo: public once the directory lists it, otherwise only for staff, its
    founders and its mentors."""
    startup = services.startup_with_logo(request.dbsession, request.matchdict["slug"])
    if startup is None or not services.may_see_logo(
            request.dbsession, startup, request.user, bool(request.has_permission(Permission.INCUBATOR_MANAGE))):
        raise HTTPNotFound()
    response = Response(body=startup.logo, content_type=startup.logo_content_type)
    response.cache_control.max_age = LOGO_MAX_AGE
    if services.is_listed(startup):
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.etag = str(int(startup.logo_updated_at.timestamp())) if startup.logo_updated_at else None
    response.conditional_response = True
    return response


# --- founders' own startups -------------------------------------------------------------------


def founds_startups(request: Request) -> bool:
    """Whether the visitor may manage a startup of their own (the account navigation links to it)."""
    user = request.user
    return (user is not None and bool(request.has_permission(Permission.STARTUP_EDIT))
            and services.is_founder(request.dbsession, user))


@view_config(route_name="incubator.my_startups", renderer="incubator/my_startups.jinja2",
             permission=Permission.STARTUP_EDIT)
def my_startups(request: Request) -> dict[str, Any]:
    return {"startups": services.founder_startups(request.dbsession, request.user),
            "status_labels": STARTUP_STATUS_LABELS}


def own_startup_or_404(request: Request) -> Startup:
    """The founder's startup from the URL; any other, existing or not, is "not found" alike."""
    return reachable_or_404(request, lambda startup_id: services.founder_startup(
        request.dbsession, request.user, startup_id))


@view_config(route_name="incubator.my_startup", renderer="incubator/my_startup.jinja2",
             permission=Permission.STARTUP_EDIT)
def my_startup(request: Request) -> Any:
    startup = own_startup_or_404(request)
    form = StartupProfileForm(request, obj=startup)
    if request.method == "POST":
        if form.validate():
            services.save_founder_startup(request.dbsession, startup, form.values())
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("incubator.my_startup", id=startup.id))
        request.response.status = 400
    return {
        "startup": startup,
        "form": form,
        "timeline": services.status_timeline(startup),
        "status_labels": STARTUP_STATUS_LABELS,
        "suggested_tags": services.SUGGESTED_TAGS,
        "plan": services.startup_plan(request.dbsession, startup, local_today(request)),
        "milestone_state_labels": services.MILESTONE_STATE_LABELS,
        "graduation_certificate": current_certificate(request.dbsession, startup),
    }

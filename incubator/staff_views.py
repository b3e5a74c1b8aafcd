"""Staff screens of the incubator: cohorts, startups and their founders."""

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, requested_page, row_id
from incubator import services
from incubator.forms import (
    NO_COHORT_CHOICE,
    CohortForm,
    FounderForm,
    MilestoneForm,
    StartupForm,
    cohort_choices,
    local_today,
)
from incubator.graduation_services import current_certificate
from incubator.mentor_services import cohort_mentors, startup_mentoring
from incubator.models import (
    KPI_PERIOD_LABELS,
    STARTUP_STAGE_LABELS,
    STARTUP_STATUS_LABELS,
    Cohort,
    Startup,
    StartupFounder,
    StartupStatus,
)

MANAGE = Permission.INCUBATOR_MANAGE
STARTUPS_PER_PAGE = 30
SEARCH_MAX_LENGTH = 200

COHORT_NAME_REFUSALS = {
    "taken": _("Another cohort has this name."),
}
STARTUP_SLUG_REFUSALS = {
    "taken": _("Another startup already uses this address."),
}
STATUS_DATE_REFUSALS = {
    "before-previous": _("The new status cannot start before the startup's previous one."),
}
FOUNDER_REFUSALS = {
    "no-account": _("No account has this email. Ask the founder to create one first."),
    "already-founder": _("This account is already on the startup's team."),
}


# --- cohorts ----------------------------------------------------------------------------------


@view_config(route_name="admin.incubator.cohorts", renderer="admin/incubator/cohorts.jinja2", permission=MANAGE)
def cohorts(request: Request) -> dict[str, Any]:
    return {"cohorts": services.cohorts_with_counts(request.dbsession), "kpi_period_labels": KPI_PERIOD_LABELS}


def _stored_cohort_form(request: Request, cohort: Cohort | None) -> CohortForm:
    """The cohort's form showing what is stored, not what a request sent (the milestone form,
    posted to add a milestone, has fields of the same names)."""
    form = CohortForm(request)
    form.process(None, obj=cohort)
    return form


def cohort_page(request: Request, cohort: Cohort | None, form: CohortForm | None = None,
                milestone_form: MilestoneForm | None = None) -> dict[str, Any]:
    """The cohort page: its form, its startups, and its plan of milestones."""
    return {
        "cohort": cohort,
        "form": form or _stored_cohort_form(request, cohort),
        "milestone_form": milestone_form or MilestoneForm(request),
        "status_labels": STARTUP_STATUS_LABELS,
        "cohort_mentors": cohort_mentors(request.dbsession, cohort) if cohort else [],
    }


@view_config(route_name="admin.incubator.cohort", renderer="admin/incubator/cohort.jinja2", permission=MANAGE)
def cohort(request: Request) -> Any:
    raw_id = request.matchdict["id"]
    found = None if raw_id == "new" else object_or_404(request, Cohort, raw_id)
    if request.method != "POST":
        return cohort_page(request, found)
    form = CohortForm(request, obj=found)
    if form.validate():
        refusal = services.cohort_name_refusal(request.dbsession, found, form.name.data)
        if refusal is None:
            saved = services.save_cohort(request.dbsession, found or Cohort(), form.values())
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.incubator.cohort", id=saved.id))
        form.add_error("name", COHORT_NAME_REFUSALS[refusal])
    request.response.status = 400
    return cohort_page(request, found, form=form)


# --- startups ---------------------------------------------------------------------------------


def _list_filters(request: Request) -> services.StartupFilters:
    """Filters from the query string; values that make no sense are ignored, not an error."""
    params = request.GET
    status = params.get("status", "")
    cohort = params.get("cohort", "")
    if cohort != services.NO_COHORT:
        cohort = row_id(cohort)
    return services.StartupFilters(
        q=params.get("q", "")[:SEARCH_MAX_LENGTH].strip(),
        status=StartupStatus(status) if status in StartupStatus.__members__.values() else None,
        cohort=cohort,
    )


@view_config(route_name="admin.incubator.startups", renderer="admin/incubator/startups.jinja2", permission=MANAGE)
def startups(request: Request) -> dict[str, Any]:
    filters = _list_filters(request)
    # The list shows each startup's team size.
    query = services.filtered_startups(filters).options(selectinload(Startup.founders))
    listing = services.paged_startups(request.dbsession, query, requested_page(request), STARTUPS_PER_PAGE)
    return {
        **vars(listing),
        # What the filter form shows and the page links keep.
        "query": {"q": filters.q, "status": filters.status.value if filters.status else "",
                  "cohort": str(filters.cohort) if filters.cohort is not None else ""},
        "cohorts": services.all_cohorts(request.dbsession),
        "no_cohort": services.NO_COHORT,
        "status_labels": STARTUP_STATUS_LABELS,
        "stage_labels": STARTUP_STAGE_LABELS,
    }


def _stored_startup_form(request: Request, startup: Startup) -> StartupForm:
    """The startup's form showing what is stored (not what a request sent)."""
    form = StartupForm(request, cohort_choices(request))
    form.process(None, obj=startup)
    form.cohort_id.data = startup.cohort_id or NO_COHORT_CHOICE
    form.show_needs(startup)
    return form


def _startup_page(request: Request, startup: Startup | None, form: StartupForm,
                  founder_form: FounderForm | None = None) -> dict[str, Any]:
    return {"startup": startup, "form": form, "founder_form": founder_form or FounderForm(request),
            "timeline": services.status_timeline(startup) if startup else [], "status_labels": STARTUP_STATUS_LABELS,
            "suggested_tags": services.SUGGESTED_TAGS,
            "graduation_certificate": current_certificate(request.dbsession, startup) if startup else None,
            "mentoring": startup_mentoring(request.dbsession, startup) if startup else None}


@view_config(route_name="admin.incubator.startup", renderer="admin/incubator/startup.jinja2", permission=MANAGE)
def startup(request: Request) -> Any:
    raw_id = request.matchdict["id"]
    found = None if raw_id == "new" else object_or_404(request, Startup, raw_id)
    if request.method != "POST":
        form = _stored_startup_form(request, found) if found else StartupForm(request, cohort_choices(request))
        return _startup_page(request, found, form)
    form = StartupForm(request, cohort_choices(request))
    if form.validate():
        today = local_today(request)
        values = form.values()
        slug = (form.slug.data or "").strip()
        slug_refusal = services.startup_slug_refusal(request.dbsession, found, slug) if slug else None
        date_refusal = services.status_date_refusal(found, values["status"], values["status_since"] or today)
        if slug_refusal is None and date_refusal is None:
            saved = services.save_startup(request.dbsession, found or Startup(), values, today)
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.incubator.startup", id=saved.id))
        if slug_refusal is not None:
            form.add_error("slug", STARTUP_SLUG_REFUSALS[slug_refusal])
        if date_refusal is not None:
            form.add_error("status_since", STATUS_DATE_REFUSALS[date_refusal])
    request.response.status = 400
    return _startup_page(request, found, form)


@view_config(route_name="admin.incubator.founders", request_method="POST",
             renderer="admin/incubator/startup.jinja2", permission=MANAGE)
def add_founder(request: Request) -> Any:
    found = object_or_404(request, Startup, request.matchdict["id"])
    founder_form = FounderForm(request)
    if founder_form.validate():
        try:
            founder = services.add_founder(request.dbsession, found, founder_form.email.data,
                                           founder_form.role.data or "")
        except services.FounderRefused as refused:
            founder_form.add_error("email", FOUNDER_REFUSALS[refused.reason])
        else:
            request.flash_message(_("${name} is on the team.", mapping={"name": founder.user.name}))
            return HTTPSeeOther(request.route_path("admin.incubator.startup", id=found.id, _anchor="founders"))
    request.response.status = 400
    return _startup_page(request, found, _stored_startup_form(request, found), founder_form)


@view_config(route_name="admin.incubator.founder_remove", request_method="POST", permission=MANAGE)
def remove_founder(request: Request) -> Response:
    found = object_or_404(request, Startup, request.matchdict["id"])
    founder = object_or_404(request, StartupFounder, request.matchdict["founder_id"])
    if founder.startup_id != found.id:
        raise HTTPNotFound()
    services.remove_founder(request.dbsession, founder)
    request.flash_message(_("${name} is off the team.", mapping={"name": founder.user.name}))
    return HTTPSeeOther(request.route_path("admin.incubator.startup", id=found.id, _anchor="founders"))

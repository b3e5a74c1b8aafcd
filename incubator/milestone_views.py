"""Staff screens of a cohort's plan: its milestones, and which of its startups reached them."""

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.i18n import _, format_date
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404
from events.services import local_timezone
from incubator import services
from incubator.forms import MilestoneForm, ReachedForm, local_today
from incubator.models import Cohort, Milestone, Startup
from incubator.staff_views import cohort_page

MANAGE = Permission.INCUBATOR_MANAGE

MILESTONE_DATE_REFUSALS = {
    "outside-cohort": _("The due date must fall between the cohort's start and end."),
}


def includeme(config: Configurator) -> None:
    cohort = "/admin/incubator/cohorts/{id:\\d+}"
    config.add_route("admin.incubator.milestones", f"{cohort}/milestones")
    config.add_route("admin.incubator.milestone", f"{cohort}/milestones/{{milestone_id:\\d+}}")
    config.add_route("admin.incubator.milestone_remove", f"{cohort}/milestones/{{milestone_id:\\d+}}/remove")
    config.add_route("admin.incubator.progress", f"{cohort}/progress")
    config.add_route("admin.incubator.progress_step", f"{cohort}/progress/{{startup_id:\\d+}}/{{milestone_id:\\d+}}")


def _cohort(request: Request) -> Cohort:
    return object_or_404(request, Cohort, request.matchdict["id"])


def _milestone_of(request: Request, cohort: Cohort) -> Milestone:
    milestone = object_or_404(request, Milestone, request.matchdict["milestone_id"])
    if milestone.cohort_id != cohort.id:
        raise HTTPNotFound()
    return milestone


def _save(request: Request, cohort: Cohort, milestone: Milestone, form: MilestoneForm) -> bool:
    if not form.validate():
        return False
    refusal = services.milestone_date_refusal(cohort, form.due_on.data)
    if refusal is not None:
        form.add_error("due_on", MILESTONE_DATE_REFUSALS[refusal])
        return False
    services.save_milestone(request.dbsession, milestone, form.data)
    return True


@view_config(route_name="admin.incubator.milestones", request_method="POST",
             renderer="admin/incubator/cohort.jinja2", permission=MANAGE)
def add_milestone(request: Request) -> Any:
    cohort = _cohort(request)
    form = MilestoneForm(request)
    if _save(request, cohort, Milestone(cohort_id=cohort.id), form):
        request.flash_message(_("The milestone is in the plan."))
        return HTTPSeeOther(request.route_path("admin.incubator.cohort", id=cohort.id, _anchor="plan"))
    request.response.status = 400
    return cohort_page(request, cohort, milestone_form=form)


@view_config(route_name="admin.incubator.milestone", renderer="admin/incubator/milestone.jinja2", permission=MANAGE)
def edit_milestone(request: Request) -> Any:
    cohort = _cohort(request)
    milestone = _milestone_of(request, cohort)
    form = MilestoneForm(request, obj=milestone)
    if request.method == "POST":
        if _save(request, cohort, milestone, form):
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.incubator.cohort", id=cohort.id, _anchor="plan"))
        request.response.status = 400
    return {"cohort": cohort, "milestone": milestone, "form": form}


@view_config(route_name="admin.incubator.milestone_remove", request_method="POST", permission=MANAGE)
def remove_milestone(request: Request) -> Response:
    cohort = _cohort(request)
    milestone = _milestone_of(request, cohort)
    services.remove_milestone(request.dbsession, milestone)
    request.flash_message(_("“${title}” is no longer in the plan.", mapping={"title": milestone.title}))
    return HTTPSeeOther(request.route_path("admin.incubator.cohort", id=cohort.id, _anchor="plan"))


@view_config(route_name="admin.incubator.progress", renderer="admin/incubator/progress.jinja2", permission=MANAGE)
def progress(request: Request) -> dict[str, Any]:
    cohort = _cohort(request)
    return {
        "cohort": cohort,
        "rows": services.cohort_progress(request.dbsession, cohort, local_today(request)),
        "milestone_state_labels": services.MILESTONE_STATE_LABELS,
    }


@view_config(route_name="admin.incubator.progress_step", renderer="admin/incubator/progress_step.jinja2",
             permission=MANAGE)
def progress_step(request: Request) -> Any:
    """Record the day a startup reached a milestone, correct it, or take it back."""
    cohort = _cohort(request)
    milestone = _milestone_of(request, cohort)
    startup = object_or_404(request, Startup, request.matchdict["startup_id"])
    if startup.cohort_id != cohort.id:
        raise HTTPNotFound()
    reached = services.reached_milestone(request.dbsession, startup, milestone)
    form = ReachedForm(request, obj=reached)
    if request.method != "POST" and reached is None:
        form.completed_on.data = min(local_today(request), max(milestone.due_on, cohort.starts_on))
    back = request.route_path("admin.incubator.progress", id=cohort.id)
    if request.method == "POST":
        if "remove" in request.POST:
            services.unmark_reached(request.dbsession, startup, milestone)
            request.flash_message(_("${startup} has not reached “${milestone}”.",
                                    mapping={"startup": startup.name, "milestone": milestone.title}))
            return HTTPSeeOther(back)
        if form.validate():
            services.mark_reached(request.dbsession, startup, milestone, form.completed_on.data,
                                  form.note.data or "", request.user)
            request.flash_message(_("${startup} reached “${milestone}” on ${date}.", mapping={
                "startup": startup.name, "milestone": milestone.title,
                "date": format_date(form.completed_on.data, request.locale_name, local_timezone(request))}))
            return HTTPSeeOther(back)
        request.response.status = 400
    return {"cohort": cohort, "milestone": milestone, "startup": startup, "reached": reached, "form": form,
            "back": back}

"""Staff screens of mentoring: the mentors, a mentor's profile, assignments and sessions, and a
startup's ranked matches."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from wtforms import SelectChoice

from dimoskopio.i18n import LANGUAGE_LABELS, _
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, row_id
from incubator import mentor_services as mentoring
from incubator import services
from incubator.mentor_forms import AssignStartupForm, MentorProfileForm, NewMentorForm
from incubator.models import (
    STARTUP_STATUS_LABELS,
    MentorAssignment,
    MentorProfile,
    Startup,
)

MANAGE = Permission.INCUBATOR_MANAGE

NEW_MENTOR_REFUSALS = {
    "no-account": _("No account has this email. Ask the mentor to create one first."),
    "already-mentor": _("This account already has a mentor profile."),
    "founder": _("This account is a founder's. A founder's account cannot also be a mentor's."),
    "staff": _("Staff and administrators' accounts cannot be mentors' accounts."),
}
ASSIGN_REFUSALS = {
    "already-assigned": _("This mentor is already assigned to this startup."),
}


# --- mentors ----------------------------------------------------------------------------------


def _mentors_page(request: Request, form: NewMentorForm) -> dict[str, Any]:
    return {"mentors": mentoring.mentors_with_counts(request.dbsession), "form": form}


@view_config(route_name="admin.incubator.mentors", renderer="admin/incubator/mentors/list.jinja2", permission=MANAGE)
def mentors(request: Request) -> Any:
    """The mentors with their assigned startups and logged hours; a form makes an account a mentor."""
    form = NewMentorForm(request)
    if request.method != "POST":
        return _mentors_page(request, form)
    if form.validate():
        try:
            profile = mentoring.make_mentor(request.dbsession, form.email.data)
        except mentoring.MentoringRefused as refused:
            form.add_error("email", NEW_MENTOR_REFUSALS[refused.reason])
        else:
            request.flash_message(_("${name} is a mentor. Complete their profile.",
                                    mapping={"name": profile.user.name}))
            return HTTPSeeOther(request.route_path("admin.incubator.mentor", id=profile.id))
    request.response.status = 400
    return _mentors_page(request, form)


def _startup_choices(request: Request, mentor: MentorProfile) -> list[SelectChoice]:
    return [SelectChoice(startup.id, startup.name)
            for startup in mentoring.unassigned_startups(request.dbsession, mentor)]


def _mentor_page(request: Request, mentor: MentorProfile, form: MentorProfileForm,
                 assign_form: AssignStartupForm | None = None) -> dict[str, Any]:
    if assign_form is None:
        assign_form = AssignStartupForm(request)
        assign_form.startup_id.choices = _startup_choices(request, mentor)
    sessions = mentoring.mentor_sessions(request.dbsession, mentor)
    return {"mentor": mentor, "form": form, "assign_form": assign_form,
            "assignments": mentoring.mentor_assignments(request.dbsession, mentor),
            "sessions": sessions, "minutes": mentoring.logged_minutes(sessions),
            "suggested_tags": services.SUGGESTED_TAGS, "status_labels": STARTUP_STATUS_LABELS}


@view_config(route_name="admin.incubator.mentor", renderer="admin/incubator/mentors/detail.jinja2", permission=MANAGE)
def mentor(request: Request) -> Any:
    found = object_or_404(request, MentorProfile, request.matchdict["id"])
    form = MentorProfileForm(request)
    if request.method != "POST":
        form.fill(found)
        return _mentor_page(request, found, form)
    if form.validate():
        mentoring.save_profile(request.dbsession, found, form.values())
        request.flash_message(_("Saved."))
        return HTTPSeeOther(request.route_path("admin.incubator.mentor", id=found.id))
    request.response.status = 400
    return _mentor_page(request, found, form)


@view_config(route_name="admin.incubator.mentor_assign", request_method="POST",
             renderer="admin/incubator/mentors/detail.jinja2", permission=MANAGE)
def assign_from_mentor(request: Request) -> Any:
    found = object_or_404(request, MentorProfile, request.matchdict["id"])
    form = AssignStartupForm(request)
    form.startup_id.choices = _startup_choices(request, found)
    if form.validate():
        startup = request.dbsession.get(Startup, form.startup_id.data)
        mentoring.assign(request.dbsession, found, startup, request.user)
        request.flash_message(_("${mentor} is assigned to ${startup}.",
                                mapping={"mentor": found.user.name, "startup": startup.name}))
        return HTTPSeeOther(request.route_path("admin.incubator.mentor", id=found.id, _anchor="assignments"))
    request.response.status = 400
    # The profile form shows what is stored, not what this request (the assignment) sent.
    stored = MentorProfileForm(request)
    stored.fill(found)
    return _mentor_page(request, found, stored, form)


# --- a startup's mentors ----------------------------------------------------------------------


@view_config(route_name="admin.incubator.startup_mentors", renderer="admin/incubator/mentors/matching.jinja2",
             permission=MANAGE)
def startup_mentors(request: Request) -> Any:
    """The startup's mentors and sessions, and every mentor ranked by how well they match its needs;
    a POST assigns one of them."""
    startup = object_or_404(request, Startup, request.matchdict["id"])
    if request.method == "POST":
        mentor_id = row_id(request.POST.get("mentor_id", ""))
        found = request.dbsession.get(MentorProfile, mentor_id) if mentor_id is not None else None
        if found is None:
            request.flash_message(_("Choose a mentor from the list."), queue="error")
            request.response.status = 400
        else:
            try:
                mentoring.assign(request.dbsession, found, startup, request.user)
            except mentoring.MentoringRefused as refused:
                request.flash_message(ASSIGN_REFUSALS[refused.reason], queue="error")
            else:
                request.flash_message(_("${mentor} is assigned to ${startup}.",
                                        mapping={"mentor": found.user.name, "startup": startup.name}))
            return HTTPSeeOther(request.route_path("admin.incubator.startup_mentors", id=startup.id))
    matches = mentoring.rank_mentors(request.dbsession, startup)
    sessions = mentoring.startup_sessions(request.dbsession, startup)
    return {"startup": startup,
            "assignments": mentoring.startup_assignments(request.dbsession, startup),
            "matching": [match for match in matches if match.shared_tags],
            "others": [match for match in matches if not match.shared_tags],
            "founder_languages": sorted(mentoring.founders_languages(startup)),
            "languages": LANGUAGE_LABELS,
            "sessions": sessions, "minutes": mentoring.logged_minutes(sessions)}


@view_config(route_name="admin.incubator.assignment_remove", request_method="POST", permission=MANAGE)
def remove_assignment(request: Request) -> Response:
    """End an assignment; staff come back to the page they pressed it on (the mentor's or the startup's)."""
    assignment = object_or_404(request, MentorAssignment, request.matchdict["id"])
    mentor_id, startup_id = assignment.mentor_id, assignment.startup_id
    names = {"mentor": assignment.mentor.user.name, "startup": assignment.startup.name}
    mentoring.unassign(request.dbsession, assignment)
    request.flash_message(_("${mentor} is no longer assigned to ${startup}.", mapping=names))
    if request.POST.get("back") == "mentor":
        return HTTPSeeOther(request.route_path("admin.incubator.mentor", id=mentor_id, _anchor="assignments"))
    return HTTPSeeOther(request.route_path("admin.incubator.startup_mentors", id=startup_id))

"""Calls for applications in public (`/calls`), and applicants' own applications under /account.

`includeme` adds the routes of the whole calls feature: these pages, reviewers' (review_views)
and staff's (call_staff_views)."""

from typing import Any
from urllib.parse import quote

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPRequestEntityTooLarge, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from wtforms import SelectChoice

from dimoskopio.db import lock_row, utcnow
from dimoskopio.i18n import _
from dimoskopio.markdown import render_markdown
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, reachable_or_404
from incubator import call_services, services
from incubator.call_forms import application_form, stored_answers
from incubator.call_services import CallState
from incubator.models import (
    APPLICATION_STATUS_LABELS,
    Application,
    ApplicationFile,
    Call,
)

APPLICATION_REFUSALS = {
    "submitted": _("This application was submitted: it can no longer be changed."),
    "closed": _("The call has closed: the application can no longer be changed or submitted. "
                "Your draft is kept as it was."),
    "not-open": _("The call is not open yet: applications can be saved and submitted once it opens."),
    "no-startup": _("Name the startup you apply for before submitting."),
    "incomplete": _("Answer every required question before submitting."),
}


def includeme(config: Configurator) -> None:
    # `/calls` is a public contract: people bookmark it.
    config.add_route("incubator.calls", "/calls")
    config.add_route("incubator.call", "/calls/{slug}")
    config.add_route("incubator.apply", "/calls/{slug}/apply")
    config.add_upload_route("incubator.apply")
    config.add_route("incubator.my_applications", "/account/applications")
    config.add_route("incubator.application", "/account/applications/{id:\\d+}")
    config.add_upload_route("incubator.application")
    config.add_route("incubator.application_file", "/applications/{id:\\d+}/files/{file_id:\\d+}")

    config.add_route("incubator.my_reviews", "/account/reviews")
    config.add_route("incubator.review", "/account/reviews/{id:\\d+}")
    config.add_route("incubator.review_conflict", "/account/reviews/{id:\\d+}/conflict")

    config.add_route("admin.incubator.calls", "/admin/incubator/calls")
    config.add_route("admin.incubator.call", "/admin/incubator/calls/{id:new|\\d+}")
    config.add_route("admin.incubator.call_question",
                     "/admin/incubator/calls/{id:\\d+}/questions/{question_id:new|\\d+}")
    config.add_route("admin.incubator.call_question_remove",
                     "/admin/incubator/calls/{id:\\d+}/questions/{question_id:\\d+}/remove")
    config.add_route("admin.incubator.call_question_move",
                     "/admin/incubator/calls/{id:\\d+}/questions/{question_id:\\d+}/move")
    config.add_route("admin.incubator.call_criterion",
                     "/admin/incubator/calls/{id:\\d+}/criteria/{criterion_id:new|\\d+}")
    config.add_route("admin.incubator.call_criterion_remove",
                     "/admin/incubator/calls/{id:\\d+}/criteria/{criterion_id:\\d+}/remove")
    config.add_route("admin.incubator.call_ranking", "/admin/incubator/calls/{id:\\d+}/applications")
    config.add_route("admin.incubator.call_scores", "/admin/incubator/calls/{id:\\d+}/scores.csv")
    config.add_route("admin.incubator.call_assign", "/admin/incubator/calls/{id:\\d+}/reviewers")
    config.add_route("admin.incubator.call_application", "/admin/incubator/applications/{id:\\d+}")
    config.add_route("admin.incubator.call_application_assign", "/admin/incubator/applications/{id:\\d+}/reviewers")
    config.add_route("admin.incubator.call_application_decide", "/admin/incubator/applications/{id:\\d+}/decision")
    config.add_route("admin.incubator.call_review_remove", "/admin/incubator/reviews/{id:\\d+}/remove")
    config.add_route("admin.incubator.call_review_reopen", "/admin/incubator/reviews/{id:\\d+}/reopen")

    config.add_request_method(reviews_applications, "reviews_applications", reify=True)


def reviews_applications(request: Request) -> bool:
    """Whether the account navigation links to "My reviews"."""
    return request.user is not None and bool(request.has_permission(Permission.REVIEW))


# --- public pages -----------------------------------------------------------------------------


@view_config(route_name="incubator.calls", renderer="incubator/calls/index.jinja2")
def calls(request: Request) -> dict[str, Any]:
    return {"calls": call_services.listed_calls(request.dbsession, utcnow()), "states": CallState}


@view_config(route_name="incubator.call", renderer="incubator/calls/detail.jinja2")
def call_page(request: Request) -> dict[str, Any]:
    call = call_services.published_call(request.dbsession, request.matchdict["slug"])
    if call is None:
        raise HTTPNotFound()
    user = request.user
    return {
        "call": call,
        "state": call_services.call_state(call, utcnow()),
        "states": CallState,
        "description": render_markdown(call.description),
        "eligibility": render_markdown(call.eligibility),
        "application": call_services.application_to(request.dbsession, call, user) if user else None,
    }


# --- applying ---------------------------------------------------------------------------------


def _startup_choices(request: Request) -> list[SelectChoice]:
    return [SelectChoice(startup.id, startup.name)
            for startup in services.founder_startups(request.dbsession, request.user)]


def _form_page(request: Request, call: Call, application: Application | None, form: Any) -> dict[str, Any]:
    return {
        "call": call,
        "application": application,
        "form": form,
        "files": call_services.files_by_question(application) if application else {},
    }


def _stored_form(request: Request, call: Call, application: Application | None) -> Any:
    """The application form showing what is stored (not what a request sent)."""
    form = application_form(request, call, _startup_choices(request), submitting=False)
    if application is not None:
        form.process(None, data=stored_answers(call, call_services.answers_by_question(application)))
        form.startup_id.data = application.startup_id or 0
        form.startup_name.data = application.startup_name
    return form


def _read_only_page(request: Request, application: Application, refusal: str | None = None) -> dict[str, Any]:
    return {
        "application": application,
        "call": application.call,
        **call_services.answers_view(application),
        "status_labels": APPLICATION_STATUS_LABELS,
        "refusal": APPLICATION_REFUSALS.get(refusal) if refusal else None,
        "state": call_services.call_state(application.call, utcnow()),
        "states": CallState,
    }


def _handle_post(request: Request, call: Call, application: Application | None) -> Any:
    """Save the draft, or save and submit it. Refused with nothing stored: a body larger than the
    call's form can need (413, before it is read), a call that is not open (409), invalid answers
    (400; a file is read no further than its question's limit)."""
    now = utcnow()
    if (request.content_length or 0) > call_services.largest_form_bytes(call):
        # The site's error page for oversized bodies (413), before the body is read.
        raise HTTPRequestEntityTooLarge()
    request.override_renderer = "incubator/calls/apply.jinja2"
    state = call_services.call_state(call, now)
    if state != CallState.OPEN:
        if application is None:
            raise HTTPNotFound()
        request.override_renderer = "incubator/calls/application.jinja2"
        request.response.status = 409
        return _read_only_page(request, application, "closed" if state == CallState.CLOSED else "not-open")
    submitting = "submit" in request.POST
    has_file = set(call_services.files_by_question(application)) if application else set()
    form = application_form(request, call, _startup_choices(request), submitting=submitting, has_file=has_file)
    if not form.validate():
        request.response.status = 400
        return _form_page(request, call, application, form)
    application = application or call_services.start_application(request.dbsession, call, request.user,
                                                                 request.locale_name)
    lock_row(request.dbsession, application)
    try:
        # All or nothing: a refused submission leaves the draft as it was.
        with request.dbsession.begin_nested():
            call_services.save_draft(request.dbsession, application, form.values(), form.uploads, now)
            if submitting:
                call_services.submit_application(request, application, now)
    except call_services.Refused as refused:
        request.override_renderer = "incubator/calls/application.jinja2"
        request.response.status = 409
        return _read_only_page(request, application, refused.reason)
    if submitting:
        request.flash_message(_("Your application was submitted. We emailed you a confirmation."))
    else:
        request.flash_message(_("Your draft was saved. You can come back and finish it until the call closes."))
    return HTTPSeeOther(request.route_path("incubator.application", id=application.id))


@view_config(route_name="incubator.apply", renderer="incubator/calls/apply.jinja2", permission=Permission.ACCOUNT)
def apply(request: Request) -> Any:
    """A new application; an applicant who has one already gets theirs (never a second one)."""
    call = call_services.published_call(request.dbsession, request.matchdict["slug"])
    if call is None:
        raise HTTPNotFound()
    existing = call_services.application_to(request.dbsession, call, request.user)
    if request.method == "POST":
        if existing is not None and not call_services.is_editable(existing):
            request.override_renderer = "incubator/calls/application.jinja2"
            request.response.status = 409
            return _read_only_page(request, existing, "submitted")
        return _handle_post(request, call, existing)
    if existing is not None:
        return HTTPSeeOther(request.route_path("incubator.application", id=existing.id))
    if call_services.call_state(call, utcnow()) != CallState.OPEN:
        raise HTTPNotFound()
    return _form_page(request, call, None, _stored_form(request, call, None))


def _own_application_or_404(request: Request) -> Application:
    return reachable_or_404(request, lambda application_id: call_services.own_application(
        request.dbsession, request.user, application_id))


@view_config(route_name="incubator.application", renderer="incubator/calls/application.jinja2",
             permission=Permission.ACCOUNT)
def application_page(request: Request) -> Any:
    """The applicant's application: a form while it is a draft of an open call, read-only otherwise."""
    application = _own_application_or_404(request)
    call = application.call
    editable = call_services.is_editable(application)
    if request.method == "POST":
        if not editable:
            request.response.status = 409
            return _read_only_page(request, application, "submitted")
        return _handle_post(request, call, application)
    if editable and call_services.call_state(call, utcnow()) == CallState.OPEN:
        request.override_renderer = "incubator/calls/apply.jinja2"
        return _form_page(request, call, application, _stored_form(request, call, application))
    return _read_only_page(request, application)


@view_config(route_name="incubator.my_applications", renderer="incubator/calls/mine.jinja2",
             permission=Permission.ACCOUNT)
def my_applications(request: Request) -> dict[str, Any]:
    return {"applications": call_services.my_applications(request.dbsession, request.user),
            "status_labels": APPLICATION_STATUS_LABELS}


# --- files ------------------------------------------------------------------------------------


def may_download(request: Request, application: Application) -> bool:
    """The applicant, staff, and reviewers assigned to the application (without a conflict)."""
    user = request.user
    if application.applicant_id == user.id or request.has_permission(Permission.INCUBATOR_MANAGE):
        return True
    return any(review.reviewer_id == user.id and call_services.may_see_application(review)
               for review in application.reviews)


@view_config(route_name="incubator.application_file", permission=Permission.ACCOUNT)
def application_file(request: Request) -> Response:
    application = object_or_404(request, Application, request.matchdict["id"])
    upload = object_or_404(request, ApplicationFile, request.matchdict["file_id"])
    if upload.application_id != application.id or not may_download(request, application):
        raise HTTPNotFound()
    return Response(body=upload.data, content_type=upload.content_type,
                    content_disposition=f"attachment; filename*=UTF-8''{quote(upload.filename)}",
                    cache_control="private, no-store")


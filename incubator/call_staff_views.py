"""Staff screens of calls for applications: calls, their questions and rubric, the applications
with their reviewers, the ranking, decisions and the scores' CSV."""

from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from wtforms import SelectChoice

from dimoskopio.accounts.models import User
from dimoskopio.db import lock_row, utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import csv_download, object_or_404
from events.forms import local_naive
from incubator import call_services
from incubator.call_forms import (
    AssignForm,
    CallForm,
    CriterionForm,
    DecisionForm,
    QuestionForm,
)
from incubator.call_services import CallState
from incubator.forms import NO_COHORT_CHOICE, cohort_choices, local_today
from incubator.models import (
    APPLICATION_STATUS_LABELS,
    QUESTION_KIND_LABELS,
    REVIEW_STATUS_LABELS,
    Application,
    ApplicationStatus,
    Call,
    CallQuestion,
    Review,
    RubricCriterion,
)

MANAGE = Permission.INCUBATOR_MANAGE

CALL_STATE_LABELS = {
    CallState.DRAFT: _("Draft"),
    CallState.UPCOMING: _("Upcoming"),
    CallState.OPEN: _("Open"),
    CallState.CLOSED: _("Closed"),
}
REFUSALS = {
    "slug-taken": _("Another call already uses this address."),
    "questions-locked": _("Applications to this call were submitted: questions can no longer be added or "
                          "removed."),
    "question-rules-locked": _("Applications to this call were submitted: only the question's wording and "
                               "hint may change, not its kind, options or limits."),
    "rubric-locked": _("Reviewers already gave scores: criteria can no longer be added or removed."),
    "range-locked": _("Reviewers already gave scores: the criterion's range can no longer change."),
    "not-reviewer": _("Only staff and mentors review applications."),
    "draft": _("This application is a draft: there is nothing to decide yet."),
    "already-decided": _("This decision was already made, or the application was already decided."),
}
DECIDED_MESSAGES = {
    ApplicationStatus.ACCEPTED: _("Accepted: the startup is incubated in the call's cohort and the applicant "
                                  "was emailed."),
    ApplicationStatus.WAITLISTED: _("Put on the waiting list; the applicant was emailed."),
    ApplicationStatus.REJECTED: _("Rejected; the applicant was emailed."),
}


def _call(request: Request) -> Call:
    return object_or_404(request, Call, request.matchdict["id"])


# --- calls ------------------------------------------------------------------------------------


@view_config(route_name="admin.incubator.calls", renderer="admin/incubator/calls/index.jinja2", permission=MANAGE)
def calls(request: Request) -> dict[str, Any]:
    now = utcnow()
    found = call_services.all_calls(request.dbsession)
    counts = call_services.submitted_counts(request.dbsession, [call.id for call in found])
    return {"calls": [(call, call_services.call_state(call, now), counts.get(call.id, 0)) for call in found],
            "state_labels": CALL_STATE_LABELS}


def _call_page(request: Request, call: Call | None, form: CallForm) -> dict[str, Any]:
    return {
        "call": call,
        "form": form,
        "state": call_services.call_state(call, utcnow()) if call else None,
        "state_labels": CALL_STATE_LABELS,
        "kind_labels": QUESTION_KIND_LABELS,
        "submitted": call_services.has_submissions(request.dbsession, call) if call else False,
        "scored": call_services.has_scores(request.dbsession, call) if call else False,
    }


@view_config(route_name="admin.incubator.call", renderer="admin/incubator/calls/call.jinja2", permission=MANAGE)
def call_page(request: Request) -> Any:
    raw_id = request.matchdict["id"]
    found = None if raw_id == "new" else _call(request)
    form = CallForm(request, cohort_choices(request))
    if request.method != "POST":
        if found is not None:
            tz = request.registry["timezone"]
            form.process(None, obj=found)
            form.opens_at.data = local_naive(found.opens_at, tz)
            form.closes_at.data = local_naive(found.closes_at, tz)
            form.cohort_id.data = found.cohort_id or NO_COHORT_CHOICE
        return _call_page(request, found, form)
    if form.validate():
        slug = (form.slug.data or "").strip()
        refusal = call_services.call_slug_refusal(request.dbsession, found, slug) if slug else None
        if refusal is None:
            saved = call_services.save_call(request.dbsession, found or Call(), form.values())
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.incubator.call", id=saved.id))
        form.add_error("slug", REFUSALS[refusal])
    request.response.status = 400
    return _call_page(request, found, form)


# --- questions and the rubric -----------------------------------------------------------------


def _question(request: Request, call: Call) -> CallQuestion:
    question = object_or_404(request, CallQuestion, request.matchdict["question_id"])
    if question.call_id != call.id:
        raise HTTPNotFound()
    return question


def _criterion(request: Request, call: Call) -> RubricCriterion:
    criterion = object_or_404(request, RubricCriterion, request.matchdict["criterion_id"])
    if criterion.call_id != call.id:
        raise HTTPNotFound()
    return criterion


def _back_to_call(request: Request, call: Call, anchor: str) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("admin.incubator.call", id=call.id, _anchor=anchor))


def _part_page(request: Request, call: Call, key: str, found: Any, form: Any, save: Callable[[], Any],
               anchor: str) -> Any:
    """The form of a question or a criterion (`found`, None for a new one; `key` names it to the
    template): shown; or, posted, saved by `save` and back to the call's `anchor` section, or shown
    again with why not (400: invalid input; 409: refused, as the call's answers or scores lock it)."""
    context = {"call": call, key: found, "form": form}
    if request.method != "POST":
        return context
    if not form.validate():
        request.response.status = 400
        return context
    try:
        save()
    except call_services.Refused as refused:
        form.form_errors.append(request.localizer.translate(REFUSALS[refused.reason]))
        request.response.status = 409
        return context
    request.flash_message(_("Saved."))
    return _back_to_call(request, call, anchor)


@view_config(route_name="admin.incubator.call_question", renderer="admin/incubator/calls/question.jinja2",
             permission=MANAGE)
def question_page(request: Request) -> Any:
    call = _call(request)
    found = None if request.matchdict["question_id"] == "new" else _question(request, call)
    form = QuestionForm(request, obj=found if request.method != "POST" else None)
    return _part_page(request, call, "question", found, form,
                      lambda: call_services.save_question(request.dbsession, call, found, form.values()),
                      "questions")


@view_config(route_name="admin.incubator.call_question_remove", request_method="POST", permission=MANAGE)
def remove_question(request: Request) -> Response:
    call = _call(request)
    question = _question(request, call)
    try:
        call_services.remove_question(request.dbsession, question)
    except call_services.Refused as refused:
        request.flash_message(REFUSALS[refused.reason], queue="error")
    else:
        request.flash_message(_("The question was removed."))
    return _back_to_call(request, call, "questions")


@view_config(route_name="admin.incubator.call_question_move", request_method="POST", permission=MANAGE)
def move_question(request: Request) -> Response:
    call = _call(request)
    question = _question(request, call)
    call_services.move_question(request.dbsession, question, -1 if request.POST.get("direction") == "up" else 1)
    return _back_to_call(request, call, "questions")


@view_config(route_name="admin.incubator.call_criterion", renderer="admin/incubator/calls/criterion.jinja2",
             permission=MANAGE)
def criterion_page(request: Request) -> Any:
    call = _call(request)
    found = None if request.matchdict["criterion_id"] == "new" else _criterion(request, call)
    form = CriterionForm(request, obj=found if request.method != "POST" else None)
    return _part_page(request, call, "criterion", found, form,
                      lambda: call_services.save_criterion(request.dbsession, call, found, form.data),
                      "rubric")


@view_config(route_name="admin.incubator.call_criterion_remove", request_method="POST", permission=MANAGE)
def remove_criterion(request: Request) -> Response:
    call = _call(request)
    criterion = _criterion(request, call)
    try:
        call_services.remove_criterion(request.dbsession, criterion)
    except call_services.Refused as refused:
        request.flash_message(REFUSALS[refused.reason], queue="error")
    else:
        request.flash_message(_("The criterion was removed."))
    return _back_to_call(request, call, "rubric")


# --- applications, reviewers and the ranking --------------------------------------------------


def _reviewer_choices(request: Request) -> list[SelectChoice]:
    return [SelectChoice(user.id, f"{user.name} ({user.email})")
            for user in call_services.reviewer_candidates(request.dbsession)]


@view_config(route_name="admin.incubator.call_ranking", renderer="admin/incubator/calls/ranking.jinja2",
             permission=MANAGE)
def ranking(request: Request) -> dict[str, Any]:
    call = _call(request)
    sort = request.GET.get("sort", "score")
    if sort not in call_services.RANKING_SORTS:
        sort = "score"
    return {
        "call": call,
        "rows": call_services.ranking(request.dbsession, call, sort),
        "sort": sort,
        "assign_form": AssignForm(request, _reviewer_choices(request)),
        "status_labels": APPLICATION_STATUS_LABELS,
        "startup_name": call_services.applicant_startup_name,
    }


def _assigned_reviewer(request: Request, form: AssignForm) -> User | None:
    return request.dbsession.get(User, form.reviewer_id.data) if form.validate() else None


@view_config(route_name="admin.incubator.call_assign", request_method="POST", permission=MANAGE)
def assign_to_call(request: Request) -> Response:
    call = _call(request)
    reviewer = _assigned_reviewer(request, AssignForm(request, _reviewer_choices(request)))
    if reviewer is None:
        request.flash_message(_("Choose a reviewer."), queue="error")
    else:
        try:
            added = call_services.assign_to_call(request.dbsession, call, reviewer, utcnow())
        except call_services.Refused as refused:
            # The account's role changed since the page was shown.
            request.flash_message(REFUSALS[refused.reason], queue="error")
        else:
            request.flash_message(_("${name} was assigned ${count} more applications.",
                                    mapping={"name": reviewer.name, "count": added}))
    return HTTPSeeOther(request.route_path("admin.incubator.call_ranking", id=call.id))


def _application_page(request: Request, application: Application, decision_form: DecisionForm | None = None,
                      assign_form: AssignForm | None = None) -> dict[str, Any]:
    return {
        "application": application,
        "call": application.call,
        **call_services.answers_view(application),
        "criteria": list(application.call.criteria),
        "reviews": [(review, {score.criterion_id: score.score for score in review.scores},
                     call_services.review_score(review, list(application.call.criteria)))
                    for review in application.reviews],
        "assign_form": assign_form or AssignForm(request, _reviewer_choices(request)),
        "decision_form": decision_form or DecisionForm(request),
        "decidable": application.status in call_services.NEXT_DECISIONS,
        "status_labels": APPLICATION_STATUS_LABELS,
        "review_status_labels": REVIEW_STATUS_LABELS,
        "draft": ApplicationStatus.DRAFT,
    }


def _application(request: Request) -> Application:
    return object_or_404(request, Application, request.matchdict["id"])


@view_config(route_name="admin.incubator.call_application", renderer="admin/incubator/calls/application.jinja2",
             permission=MANAGE)
def application_page(request: Request) -> dict[str, Any]:
    return _application_page(request, _application(request))


@view_config(route_name="admin.incubator.call_application_assign", request_method="POST",
             renderer="admin/incubator/calls/application.jinja2", permission=MANAGE)
def assign_to_application(request: Request) -> Any:
    application = _application(request)
    form = AssignForm(request, _reviewer_choices(request))
    reviewer = _assigned_reviewer(request, form)
    if reviewer is not None:
        try:
            assigned = call_services.assign_reviewer(request.dbsession, application, reviewer, utcnow())
        except call_services.Refused as refused:
            request.flash_message(REFUSALS[refused.reason], queue="error")
        else:
            if assigned:
                request.flash_message(_("${name} was assigned.", mapping={"name": reviewer.name}))
            else:
                request.flash_message(_("${name} is already assigned, is the applicant, or the application is "
                                        "not submitted.", mapping={"name": reviewer.name}), queue="info")
        return HTTPSeeOther(request.route_path("admin.incubator.call_application", id=application.id,
                                               _anchor="reviews"))
    request.response.status = 400
    return _application_page(request, application, assign_form=form)


def _review(request: Request) -> Review:
    return object_or_404(request, Review, request.matchdict["id"])


@view_config(route_name="admin.incubator.call_review_remove", request_method="POST", permission=MANAGE)
def remove_review(request: Request) -> Response:
    review = _review(request)
    application_id = review.application_id
    call_services.remove_review(request.dbsession, review)
    request.flash_message(_("${name} is no longer a reviewer of it.", mapping={"name": review.reviewer.name}))
    return HTTPSeeOther(request.route_path("admin.incubator.call_application", id=application_id, _anchor="reviews"))


@view_config(route_name="admin.incubator.call_review_reopen", request_method="POST", permission=MANAGE)
def reopen_review(request: Request) -> Response:
    review = _review(request)
    call_services.reopen_review(request.dbsession, review)
    request.flash_message(_("${name} may change their review again.", mapping={"name": review.reviewer.name}))
    return HTTPSeeOther(request.route_path("admin.incubator.call_application", id=review.application_id,
                                           _anchor="reviews"))


@view_config(route_name="admin.incubator.call_application_decide", request_method="POST",
             renderer="admin/incubator/calls/application.jinja2", permission=MANAGE)
def decide(request: Request) -> Any:
    # Locked: two members of staff deciding at once are taken one after the other, and the
    # second sees the first's decision.
    application = _application(request)
    lock_row(request.dbsession, application)
    form = DecisionForm(request)
    if form.validate():
        decision = ApplicationStatus(form.decision.data)
        try:
            call_services.decide(request, application, decision, request.user, utcnow(), local_today(request))
        except call_services.Refused as refused:
            form.form_errors.append(request.localizer.translate(REFUSALS[refused.reason]))
            request.response.status = 409
            return _application_page(request, application, decision_form=form)
        request.flash_message(DECIDED_MESSAGES[decision])
        return HTTPSeeOther(request.route_path("admin.incubator.call_application", id=application.id))
    request.response.status = 400
    return _application_page(request, application, decision_form=form)


@view_config(route_name="admin.incubator.call_scores", permission=MANAGE)
def scores_csv(request: Request) -> Response:
    call = _call(request)
    translate = request.localizer.translate
    header = [translate(_("Application")), translate(_("Startup")), translate(_("Applicant")),
              translate(_("Status")), translate(_("Reviewer")),
              *(criterion.name for criterion in call.criteria),
              translate(_("Weighted score (0–100)")), translate(_("Overall comment"))]
    return csv_download(f"{call.slug}-scores.csv", header, call_services.score_rows(request.dbsession, call))


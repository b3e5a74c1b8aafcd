"""Reviewers' screens: the applications assigned to them, scoring one against the call's
rubric, and declaring a conflict of interest."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from dimoskopio.db import lock_row, utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import reachable_or_404
from incubator import call_services
from incubator.call_forms import ConflictForm, ReviewForm, comment_field, review_form, review_values, score_field
from incubator.models import REVIEW_STATUS_LABELS, Review, ReviewStatus

REVIEW = Permission.REVIEW
REVIEW_REFUSALS = {
    "review-submitted": _("You submitted this review: it is final. Staff can reopen it if it must change."),
    "review-conflict": _("You declared a conflict of interest: you no longer review this application."),
}


@view_config(route_name="incubator.my_reviews", renderer="incubator/reviews/mine.jinja2", permission=REVIEW)
def my_reviews(request: Request) -> dict[str, Any]:
    return {"reviews": call_services.reviews_of(request.dbsession, request.user),
            "status_labels": REVIEW_STATUS_LABELS}


def _own_review_or_404(request: Request) -> Review:
    """The reviewer's own assignment from the URL; anyone else's, existing or not, is "not found" alike."""
    return reachable_or_404(request, lambda review_id: call_services.assigned_review(
        request.dbsession, request.user, review_id))


def _stored_review_form(request: Request, review: Review) -> ReviewForm:
    form = review_form(request, review.application.call, submitting=False)
    data: dict[str, Any] = {"comment": review.comment}
    for score in review.scores:
        data[score_field(score.criterion_id)] = score.score
        data[comment_field(score.criterion_id)] = score.comment
    form.process(None, data=data)
    return form


def _review_page(request: Request, review: Review, form: ReviewForm | None = None,
                 conflict_form: ConflictForm | None = None, refusal: str | None = None) -> dict[str, Any]:
    application = review.application
    visible = call_services.may_see_application(review)
    criteria = list(application.call.criteria)
    editable = review.status is ReviewStatus.ASSIGNED
    # The template shows the forms only to a reviewer who sees the application and may still edit.
    with_forms = visible and editable
    return {
        "review": review,
        "application": application if visible else None,
        "call": application.call,
        **(call_services.answers_view(application) if visible else {"startup_name": ""}),
        "editable": editable,
        "form": form or (_stored_review_form(request, review) if with_forms else None),
        "conflict_form": conflict_form or (ConflictForm(request) if with_forms else None),
        "criteria": criteria,
        "own_scores": {score.criterion_id: score for score in review.scores},
        "others": [(other, {score.criterion_id: score for score in other.scores},
                    call_services.review_score(other, criteria)) for other in call_services.others_visible(review)],
        "own_score": call_services.review_score(review, criteria) if review.status is ReviewStatus.SUBMITTED else None,
        "status_labels": REVIEW_STATUS_LABELS,
        "refusal": REVIEW_REFUSALS.get(refusal) if refusal else None,
    }


@view_config(route_name="incubator.review", renderer="incubator/reviews/review.jinja2", permission=REVIEW)
def review_page(request: Request) -> Any:
    review = _own_review_or_404(request)
    if request.method != "POST":
        return _review_page(request, review)
    lock_row(request.dbsession, review)
    if review.status is not ReviewStatus.ASSIGNED:
        request.response.status = 409
        return _review_page(request, review, refusal="review-" + review.status.value)
    submitting = "submit" in request.POST
    form = review_form(request, review.application.call, submitting=submitting)
    if not form.validate():
        request.response.status = 400
        return _review_page(request, review, form=form)
    call_services.save_review(request.dbsession, review, review_values(form), form.comment.data or "",
                              submitting, utcnow())
    if submitting:
        request.flash_message(_("Your review was submitted. You now see the other reviewers' scores."))
    else:
        request.flash_message(_("Your scores were saved. Submit the review when it is complete."))
    return HTTPSeeOther(request.route_path("incubator.review", id=review.id))


@view_config(route_name="incubator.review_conflict", request_method="POST", renderer="incubator/reviews/review.jinja2",
             permission=REVIEW)
def declare_conflict(request: Request) -> Any:
    review = _own_review_or_404(request)
    lock_row(request.dbsession, review)
    if review.status is not ReviewStatus.ASSIGNED:
        request.response.status = 409
        return _review_page(request, review, refusal="review-" + review.status.value)
    form = ConflictForm(request)
    if not form.validate():
        request.response.status = 400
        return _review_page(request, review, conflict_form=form)
    call_services.declare_conflict(request.dbsession, review, form.conflict_reason.data)
    request.flash_message(_("Your conflict of interest was recorded. Staff will find another reviewer."))
    return HTTPSeeOther(request.route_path("incubator.my_reviews"))

"""Reviewers score the applications assigned to them: only theirs, within each criterion's range,
final once submitted; a conflict of interest hides the application; others' scores stay hidden
until one's own review is submitted."""

from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy.orm import Session
from wtforms.i18n import get_translations

from dimoskopio.accounts.models import Role, User
from incubator.models import Application, Review, ReviewScore, ReviewStatus
from tests.functional.calls_helpers import make_application, make_call, make_review
from tests.functional.conftest import csrf_token
from tests.functional.test_incubator_staff import count, errors, fill


def stored_review(dbsession: Session, review_id: int) -> Review:
    dbsession.rollback()
    return dbsession.get(Review, review_id)


@pytest.fixture
def reviewer(logged_in: Any) -> User:
    return logged_in(Role.MENTOR, email="giorgos@example.gr")


@pytest.fixture
def application(dbsession: Session, user_factory: Any) -> Application:
    call = make_call(dbsession)
    return make_application(dbsession, call, user_factory(email="eleni@example.gr"), startup_name="OliveSense")


@pytest.fixture
def review(dbsession: Session, application: Application, reviewer: User) -> Review:
    return make_review(dbsession, application, reviewer)


def score_form(testapp: Any, review: Review, **values: str) -> Any:
    return fill(testapp.get(f"/account/reviews/{review.id}").forms["review-form"], **values)


def wtforms_message(message: str, locale_name: str = "el") -> str:
    """One of WTForms' own messages as the app shows it: WTForms translates those from its own
    catalogue (HTML-escaped, as `tr` gives them)."""
    return str(escape(get_translations([locale_name, "en"]).gettext(message)))


def scores(review: Review, team: str, market: str) -> dict[str, str]:
    first, second = review.application.call.criteria
    return {f"score{first.id}": team, f"score{second.id}": market}


# --- who may ----------------------------------------------------------------------------------


def test_members_and_founders_have_no_reviews(testapp, logged_in):
    logged_in(Role.FOUNDER)

    testapp.get("/account/reviews", status=403)
    testapp.get("/account/reviews/1", status=403)


def test_a_reviewer_lists_only_their_assignments(testapp, dbsession, review, application, user_factory, tr):
    other_reviewer = user_factory(email="other@example.gr", role=Role.STAFF)
    make_review(dbsession, make_application(dbsession, application.call, user_factory(email="b@example.gr")),
                other_reviewer)

    page = testapp.get("/account/reviews")

    rows = page.html.select("#my-reviews tbody tr")
    assert [row.th.a["href"] for row in rows] == [f"/account/reviews/{review.id}"]
    assert tr("To review") in rows[0].text
    assert page.html.select_one("a[href='/account/reviews']") is not None


def test_someone_elses_review_is_not_found(testapp, dbsession, reviewer, application, user_factory):
    theirs = make_review(dbsession, application, user_factory(email="other@example.gr", role=Role.STAFF))

    testapp.get(f"/account/reviews/{theirs.id}", status=404)
    testapp.post(f"/account/reviews/{theirs.id}", {"csrf_token": csrf_token(testapp), **scores(theirs, "5", "5"),
                                                    "submit": "1"}, status=404)
    testapp.post(f"/account/reviews/{theirs.id}/conflict", {"csrf_token": csrf_token(testapp),
                                                             "conflict_reason": "Όχι."}, status=404)
    for unknown in ("0", "999", "99999999999999999999"):
        testapp.get(f"/account/reviews/{unknown}", status=404)
    assert stored_review(dbsession, theirs.id).status is ReviewStatus.ASSIGNED
    assert count(dbsession, ReviewScore) == 0


# --- scoring ----------------------------------------------------------------------------------


def test_the_review_page_shows_the_application_and_its_files(testapp, review, application):
    page = testapp.get(f"/account/reviews/{review.id}")

    answers = page.html.select_one("#answers")
    assert "Οι παραγωγοί ποτίζουν στα τυφλά." in answers.text
    link = answers.select_one("a")["href"]
    assert link.startswith(f"/applications/{application.id}/files/")
    testapp.get(link, status=200)


def test_a_reviewer_saves_scores_then_submits_them(testapp, dbsession, review, tr):
    first, second = review.application.call.criteria
    form = score_form(testapp, review, **{f"score{first.id}": "4", f"comment{first.id}": "Δυνατή ομάδα."})
    form.submit("save", status=303)

    saved = stored_review(dbsession, review.id)
    assert saved.status is ReviewStatus.ASSIGNED
    assert [(score.criterion_id, score.score, score.comment) for score in saved.scores] == [
        (first.id, 4, "Δυνατή ομάδα.")]

    form = score_form(testapp, review, **{f"score{second.id}": "7"}, comment="Να προχωρήσει.")
    assert form[f"score{first.id}"].value == "4"
    page = form.submit("submit").follow()

    submitted = stored_review(dbsession, review.id)
    assert (submitted.status, submitted.comment) == (ReviewStatus.SUBMITTED, "Να προχωρήσει.")
    assert sorted(score.score for score in submitted.scores) == [4, 7]
    assert "review-form" not in page.forms
    assert tr("Submitted") == page.html.select_one("#review-status").text


RANGE = "Give a whole number from ${min} to ${max}."


@pytest.mark.parametrize(("team", "market", "field", "message"), [
    ("6", "5", "team", lambda tr: tr(RANGE, min=1, max=5)),
    ("0", "5", "team", lambda tr: tr(RANGE, min=1, max=5)),
    ("3", "11", "market", lambda tr: tr(RANGE, min=0, max=10)),
    ("3", "", "market", lambda tr: tr("This field is required.")),
    # WTForms' own message (from WTForms' catalogue, not the app's), and only that.
    ("3,5", "4", "team", lambda tr: wtforms_message("Not a valid integer value.")),
], ids=["above", "below", "above-other", "missing", "not-whole"])
def test_scores_out_of_range_or_missing_are_refused_and_nothing_stored(testapp, dbsession, review, tr,
                                                                        team, market, field, message):
    form = score_form(testapp, review, **scores(review, team, market))

    page = form.submit("submit", status=400)

    first, second = review.application.call.criteria
    field_id = f"score{(first if field == 'team' else second).id}"
    shown = errors(page)
    assert set(shown) == {field_id}
    assert shown[field_id] == message(tr)
    assert page.forms["review-form"][field_id].value == (team if field == "team" else market)
    saved = stored_review(dbsession, review.id)
    assert (saved.status, saved.scores) == (ReviewStatus.ASSIGNED, [])


def test_an_out_of_range_score_is_refused_in_a_draft_too(testapp, dbsession, review):
    score_form(testapp, review, **scores(review, "9", "")).submit("save", status=400)

    assert stored_review(dbsession, review.id).scores == []


def test_a_submitted_review_is_final(testapp, dbsession, application, reviewer, tr):
    review = make_review(dbsession, application, reviewer, scores=(4, 7), status=ReviewStatus.SUBMITTED)

    page = testapp.post(f"/account/reviews/{review.id}", {"csrf_token": csrf_token(testapp),
                                                          **scores(review, "1", "1"), "submit": "1"}, status=409)

    assert tr("You submitted this review: it is final. Staff can reopen it if it must change.") in page.text
    assert sorted(score.score for score in stored_review(dbsession, review.id).scores) == [4, 7]


# --- conflicts of interest --------------------------------------------------------------------


def test_a_conflict_hides_the_application_from_the_reviewer(testapp, dbsession, review, application, tr):
    upload = testapp.get(f"/account/reviews/{review.id}").html.select_one("#answers a")["href"]
    form = testapp.get(f"/account/reviews/{review.id}").forms["conflict-form"]
    form["conflict_reason"] = "Είμαι σύμβουλος της ομάδας."

    form.submit(status=303)

    saved = stored_review(dbsession, review.id)
    assert (saved.status, saved.conflict_reason) == (ReviewStatus.CONFLICT, "Είμαι σύμβουλος της ομάδας.")
    page = testapp.get(f"/account/reviews/{review.id}")
    assert page.html.select_one("#answers") is None
    assert "OliveSense" not in page.text
    assert "Οι παραγωγοί" not in page.text
    assert "review-form" not in page.forms
    testapp.get(upload, status=404)
    testapp.post(f"/account/reviews/{review.id}", {"csrf_token": csrf_token(testapp), **scores(review, "5", "5"),
                                                   "submit": "1"}, status=409)
    assert stored_review(dbsession, review.id).scores == []


def test_a_conflict_needs_a_reason(testapp, dbsession, review, tr):
    page = testapp.get(f"/account/reviews/{review.id}").forms["conflict-form"].submit(status=400)

    assert errors(page) == {"conflict_reason": tr("This field is required.")}
    assert stored_review(dbsession, review.id).status is ReviewStatus.ASSIGNED


# --- others' scores ---------------------------------------------------------------------------


def test_other_reviewers_scores_stay_hidden_until_ones_own_is_submitted(testapp, dbsession, review, application,
                                                                         user_factory, tr):
    other = user_factory(email="anna@example.gr", role=Role.STAFF, name="Άννα Κριτής")
    make_review(dbsession, application, other, scores=(2, 9), status=ReviewStatus.SUBMITTED,
                comment="Μικρή αγορά, πολύ ενδιαφέρουσα ιδέα.")

    before = testapp.get(f"/account/reviews/{review.id}")
    assert "Άννα Κριτής" not in before.text
    assert "Μικρή αγορά" not in before.text
    assert tr("You see the other reviewers' scores once you submit your own review.") in before.text

    score_form(testapp, review, **scores(review, "4", "6")).submit("submit", status=303)

    after = testapp.get(f"/account/reviews/{review.id}").html.select_one("#other-reviews")
    assert "Άννα Κριτής" in after.text
    assert "Μικρή αγορά, πολύ ενδιαφέρουσα ιδέα." in after.text
    assert [item.text.split(":")[1].strip() for item in after.select(".other-scores li")] == ["2", "9"]

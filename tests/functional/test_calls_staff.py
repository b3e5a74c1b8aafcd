"""Staff screens of calls: calls, their questions and rubric, reviewers' assignments, the ranking,
decisions and the scores' CSV."""

import csv
import datetime
import io
import statistics
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from incubator.models import (
    Application,
    ApplicationStatus,
    Call,
    CallQuestion,
    QuestionKind,
    Review,
    ReviewStatus,
    RubricCriterion,
    Startup,
    StartupFounder,
    StartupNeed,
    StartupStatus,
    StartupStatusChange,
)
from tests.functional.calls_helpers import PNG, make_application, make_call, make_review
from tests.functional.conftest import csrf_token, link_in, queued_mail, text_body
from tests.functional.test_incubator_staff import athens_today, count, errors, fill, make_cohort, make_startup

STAFF_PAGES = ("/admin/incubator/calls", "/admin/incubator/calls/new")


def stored_call(dbsession: Session, call_id: int) -> Call:
    dbsession.rollback()
    return dbsession.get(Call, call_id)


def stored_application(dbsession: Session, application_id: int) -> Application:
    dbsession.rollback()
    return dbsession.get(Application, application_id)


def criterion_values(criterion: RubricCriterion) -> dict[str, str]:
    return {"name": criterion.name, "description": criterion.description, "weight": str(criterion.weight),
            "min_score": str(criterion.min_score), "max_score": str(criterion.max_score)}


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_manage_calls(testapp, dbsession, logged_in, user_factory, role):
    logged_in(role)
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="eleni@example.gr"))
    review = make_review(dbsession, application, user_factory(email="staff2@example.gr", role=Role.STAFF))
    token = csrf_token(testapp)

    for path in (*STAFF_PAGES, f"/admin/incubator/calls/{call.id}", f"/admin/incubator/calls/{call.id}/applications",
                 f"/admin/incubator/calls/{call.id}/scores.csv", f"/admin/incubator/applications/{application.id}",
                 f"/admin/incubator/calls/{call.id}/questions/new", f"/admin/incubator/calls/{call.id}/criteria/new"):
        testapp.get(path, status=403)
    for path in (f"/admin/incubator/applications/{application.id}/decision",
                 f"/admin/incubator/reviews/{review.id}/remove", f"/admin/incubator/calls/{call.id}/reviewers"):
        testapp.post(path, {"csrf_token": token, "decision": "accepted", "confirm": "y"}, status=403)
    assert stored_application(dbsession, application.id).status is ApplicationStatus.SUBMITTED
    assert count(dbsession, Review) == 1


# --- calls ------------------------------------------------------------------------------------


def test_staff_create_a_call_in_athens_time(testapp, dbsession, staff):
    cohort = make_cohort(dbsession, "Κύκλος 2027")
    form = testapp.get("/admin/incubator/calls/new").forms["call-form"]
    fill(form, title="Πρόσκληση Κύκλου 2027", description="Για **ομάδες**.", eligibility="Κάτοικοι Ηρακλείου.",
         opens_at="2027-01-10T09:00", closes_at="2027-02-28T23:59", cohort_id=str(cohort.id))
    form["published"].checked = True

    response = form.submit()

    dbsession.rollback()
    saved = dbsession.scalar(select(Call))
    assert response.location.endswith(f"/admin/incubator/calls/{saved.id}")
    assert (saved.title, saved.slug, saved.cohort_id, saved.published) == (
        "Πρόσκληση Κύκλου 2027", "prosklisi-kyklou-2027", cohort.id, True)
    # Winter in Athens is UTC+2.
    assert saved.opens_at == datetime.datetime(2027, 1, 10, 7, 0, tzinfo=datetime.UTC)
    assert saved.closes_at == datetime.datetime(2027, 2, 28, 21, 59, tzinfo=datetime.UTC)
    shown = testapp.get(f"/admin/incubator/calls/{saved.id}").forms["call-form"]
    assert (shown["opens_at"].value, shown["closes_at"].value) == ("2027-01-10T09:00", "2027-02-28T23:59")


def test_the_calls_list_shows_each_state_and_submitted_counts(testapp, dbsession, staff, user_factory, tr):
    open_call = make_call(dbsession, "Ανοιχτή", slug="open")
    make_call(dbsession, "Πρόχειρη", slug="draft", published=False)
    make_call(dbsession, "Έκλεισε", slug="closed", opens_in=-datetime.timedelta(days=30),
              closes_in=-datetime.timedelta(days=1))
    make_call(dbsession, "Σύντομα", slug="soon", opens_in=datetime.timedelta(days=1),
              closes_in=datetime.timedelta(days=40))
    make_application(dbsession, open_call, user_factory(email="a@example.gr"))
    make_application(dbsession, open_call, user_factory(email="b@example.gr"), status=ApplicationStatus.ACCEPTED)
    make_application(dbsession, open_call, user_factory(email="c@example.gr"), status=ApplicationStatus.DRAFT)

    rows = testapp.get("/admin/incubator/calls").html.select("#calls tbody tr")

    shown = {row.th.text.strip(): (row.select("td")[0].text.strip(), row.select("td")[-1].text.strip())
             for row in rows}
    assert shown == {"Ανοιχτή": (tr("Open"), "2"), "Πρόχειρη": (tr("Draft"), "0"),
                     "Έκλεισε": (tr("Closed"), "0"), "Σύντομα": (tr("Upcoming"), "0")}


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"title": ""}, "title", ("This field is required.", {})),
    ({"title": "α" * 201}, "title", ("Must be at most ${max} characters.", {"max": 200})),
    ({"closes_at": "2027-01-10T09:00"}, "closes_at", ("The call must close after it opens.", {})),
    ({"opens_at": "1999-01-01T09:00"}, "opens_at", ("Enter a date between ${first} and ${last}.",
                                                    {"first": 2000, "last": 2100})),
    ({"slug": "Με κενά"}, "slug", ("Use lower-case Latin letters, digits and hyphens, like startup-night-2027.", {})),
    ({"slug": "taken"}, "slug", ("Another call already uses this address.", {})),
    ({"description": "α" * 5001}, "description", ("Must be at most ${max} characters.", {"max": 5000})),
])
def test_bad_call_input_is_refused_next_to_the_field(testapp, dbsession, staff, tr, values, field, message):
    make_call(dbsession, slug="taken")
    form = testapp.get("/admin/incubator/calls/new").forms["call-form"]
    typed = {"title": "Νέα πρόσκληση", "opens_at": "2027-01-10T09:00", "closes_at": "2027-02-28T23:59", **values}
    fill(form, **typed)

    page = form.submit(status=400)

    text, mapping = message
    assert errors(page) == {field: tr(text, **mapping)}
    assert {name: page.forms["call-form"][name].value for name in typed} == typed
    assert count(dbsession, Call) == 1


# --- questions --------------------------------------------------------------------------------


def question_form(testapp: Any, call: Call, question_id: Any = "new") -> Any:
    return testapp.get(f"/admin/incubator/calls/{call.id}/questions/{question_id}").forms["question-form"]


def test_staff_add_questions_of_each_kind(testapp, dbsession, staff):
    call = make_call(dbsession, questions=())

    fill(question_form(testapp, call), label="Στάδιο", kind="choice", choices="Ιδέα\n\n Πρωτότυπο \n",
         max_length="100").submit(status=303)
    fill(question_form(testapp, call), label="Παρουσίαση", kind="file", file_types="PDF, .pptx",
         max_file_kb="500", choices="ignored").submit(status=303)

    questions = stored_call(dbsession, call.id).questions
    assert [(q.label, q.kind, q.choices, q.max_length, q.file_types, q.max_file_kb, q.position) for q in questions] == [
        ("Στάδιο", QuestionKind.CHOICE, "Ιδέα\nΠρωτότυπο", None, "", None, 1),
        ("Παρουσίαση", QuestionKind.FILE, "", None, "pdf,pptx", 500, 2)]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"kind": "choice", "choices": "Μόνο μία"}, "choices", ("Give at least two options, one per line.", {})),
    ({"kind": "file", "file_types": "exe", "max_file_kb": "100"}, "file_types",
     ("Give one or more of: ${types}.", {"types": "pdf, png, jpg, jpeg, docx, pptx, xlsx"})),
    ({"kind": "file", "file_types": "pdf", "max_file_kb": "20000"}, "max_file_kb",
     ("Give a size between 1 and ${size} KB.", {"size": 10 * 1024})),
    ({"kind": "number", "min_value": "10", "max_value": "5"}, "max_value",
     ("The largest number must be more than the smallest.", {})),
    ({"kind": "text", "max_length": "0"}, "max_length", None),
    ({"label": ""}, "label", ("This field is required.", {})),
])
def test_bad_questions_are_refused(testapp, dbsession, staff, tr, values, field, message):
    call = make_call(dbsession, questions=())
    form = fill(question_form(testapp, call), **{"label": "Ερώτηση", **values})

    page = form.submit(status=400)

    shown = errors(page)
    assert set(shown) == {field}
    if message is not None:
        assert shown[field] == tr(message[0], **message[1])
    assert stored_call(dbsession, call.id).questions == []


def test_questions_are_reordered_and_removed(testapp, dbsession, staff):
    call = make_call(dbsession)
    first, second, third = (question.id for question in call.questions[:3])
    token = csrf_token(testapp)

    testapp.post(f"/admin/incubator/calls/{call.id}/questions/{second}/move",
                 {"csrf_token": token, "direction": "up"}, status=303)
    testapp.post(f"/admin/incubator/calls/{call.id}/questions/{first}/remove", {"csrf_token": token}, status=303)

    assert [q.id for q in stored_call(dbsession, call.id).questions][:2] == [second, third]


def test_after_a_submission_questions_keep_their_rules(testapp, dbsession, staff, user_factory, tr):
    call = make_call(dbsession)
    make_application(dbsession, call, user_factory(email="eleni@example.gr"))
    text_question = call.questions[0]
    locked = tr("Applications to this call were submitted: only the question's wording and hint may change, "
                "not its kind, options or limits.")

    page = fill(question_form(testapp, call, text_question.id), max_length="50").submit(status=409)
    assert locked in page.text
    fill(question_form(testapp, call), label="Νέα", kind="text").submit(status=409)
    response = testapp.post(f"/admin/incubator/calls/{call.id}/questions/{text_question.id}/remove",
                            {"csrf_token": csrf_token(testapp)})
    assert tr("Applications to this call were submitted: questions can no longer be added or removed.") in \
        response.follow().text
    # The wording may still change.
    fill(question_form(testapp, call, text_question.id), label="Τι κάνει η ομάδα σας; (σύντομα)").submit(status=303)

    questions = stored_call(dbsession, call.id).questions
    assert len(questions) == len(call.questions)
    assert (questions[0].label, questions[0].max_length) == ("Τι κάνει η ομάδα σας; (σύντομα)", 200)


# --- the rubric -------------------------------------------------------------------------------


def criterion_form(testapp: Any, call: Call, criterion_id: Any = "new") -> Any:
    return testapp.get(f"/admin/incubator/calls/{call.id}/criteria/{criterion_id}").forms["criterion-form"]


def test_staff_add_criteria(testapp, dbsession, staff):
    call = make_call(dbsession, criteria=())

    fill(criterion_form(testapp, call), name="Ομάδα", weight="3", min_score="1", max_score="5").submit(status=303)

    assert [(c.name, c.weight, c.min_score, c.max_score) for c in stored_call(dbsession, call.id).criteria] == [
        ("Ομάδα", 3, 1, 5)]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"weight": "0"}, "weight", None),
    ({"min_score": "5", "max_score": "5"}, "max_score", ("The highest score must be more than the lowest.", {})),
    ({"max_score": ""}, "max_score", ("This field is required.", {})),
    ({"name": ""}, "name", ("This field is required.", {})),
])
def test_bad_criteria_are_refused(testapp, dbsession, staff, tr, values, field, message):
    call = make_call(dbsession, criteria=())
    form = fill(criterion_form(testapp, call), **{"name": "Ομάδα", "weight": "1", "min_score": "0",
                                                  "max_score": "10", **values})

    page = form.submit(status=400)

    shown = errors(page)
    assert set(shown) == {field}
    if message is not None:
        assert shown[field] == tr(message[0], **message[1])
    assert stored_call(dbsession, call.id).criteria == []


def test_once_scored_a_criterions_range_stays_and_none_is_added_or_removed(testapp, dbsession, staff,
                                                                            user_factory, tr):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="eleni@example.gr"))
    make_review(dbsession, application, user_factory(email="m@example.gr", role=Role.MENTOR), scores=(4, 7))
    team = call.criteria[0]

    page = fill(criterion_form(testapp, call, team.id), max_score="10").submit(status=409)
    assert tr("Reviewers already gave scores: the criterion's range can no longer change.") in page.text
    fill(criterion_form(testapp, call), name="Νέο", weight="1", min_score="0", max_score="5").submit(status=409)
    testapp.post(f"/admin/incubator/calls/{call.id}/criteria/{team.id}/remove", {"csrf_token": csrf_token(testapp)})
    fill(criterion_form(testapp, call, team.id), weight="4").submit(status=303)

    criteria = stored_call(dbsession, call.id).criteria
    assert [(c.name, c.weight, c.min_score, c.max_score) for c in criteria] == [("Ομάδα", 4, 1, 5),
                                                                                 ("Αγορά", 1, 0, 10)]


def test_another_calls_question_or_criterion_is_not_found(testapp, dbsession, staff):
    call = make_call(dbsession)
    other = make_call(dbsession, slug="other")

    testapp.get(f"/admin/incubator/calls/{call.id}/questions/{other.questions[0].id}", status=404)
    testapp.get(f"/admin/incubator/calls/{call.id}/criteria/{other.criteria[0].id}", status=404)
    testapp.post(f"/admin/incubator/calls/{call.id}/questions/{other.questions[0].id}/remove",
                 {"csrf_token": csrf_token(testapp)}, status=404)
    assert len(stored_call(dbsession, other.id).questions) == len(other.questions)


# --- reviewers --------------------------------------------------------------------------------


def test_staff_assign_reviewers_one_by_one_and_in_bulk(testapp, dbsession, staff, user_factory, tr):
    call = make_call(dbsession)
    first = make_application(dbsession, call, user_factory(email="a@example.gr"))
    second = make_application(dbsession, call, user_factory(email="b@example.gr"))
    make_application(dbsession, call, user_factory(email="c@example.gr"), status=ApplicationStatus.DRAFT)
    mentor = user_factory(email="mentor@example.gr", role=Role.MENTOR, name="Γιώργος Μέντορας")
    member = user_factory(email="member@example.gr")

    form = testapp.get(f"/admin/incubator/applications/{first.id}").forms["assign-form"]
    assert str(member.id) not in [option[0] for option in form["reviewer_id"].options]
    form["reviewer_id"] = str(mentor.id)
    form.submit(status=303)
    bulk = testapp.get(f"/admin/incubator/calls/{call.id}/applications").forms["bulk-assign-form"]
    bulk["reviewer_id"] = str(mentor.id)
    page = bulk.submit().follow()

    assert tr("${name} was assigned ${count} more applications.", name="Γιώργος Μέντορας", count=1) in page.text
    dbsession.rollback()
    assigned = sorted(review.application_id for review in dbsession.scalars(select(Review)))
    assert assigned == sorted([first.id, second.id])
    # A member is no reviewer, even when posted.
    testapp.post(f"/admin/incubator/applications/{first.id}/reviewers",
                 {"csrf_token": csrf_token(testapp), "reviewer_id": str(member.id)}, status=400)
    assert count(dbsession, Review) == 2


def test_staff_see_conflicts_and_remove_or_reopen_reviews(testapp, dbsession, staff, user_factory, tr):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="a@example.gr"))
    conflicted = make_review(dbsession, application, user_factory(email="m@example.gr", role=Role.MENTOR),
                             status=ReviewStatus.CONFLICT)
    dbsession.get(Review, conflicted.id).conflict_reason = "Συνεργάτης της ομάδας."
    dbsession.commit()
    submitted = make_review(dbsession, application, user_factory(email="s@example.gr", role=Role.STAFF),
                            scores=(4, 7), status=ReviewStatus.SUBMITTED)

    page = testapp.get(f"/admin/incubator/applications/{application.id}")
    assert "Συνεργάτης της ομάδας." in page.html.select_one("#review-list").text
    assert tr("Conflict of interest") in page.html.select_one("#review-list").text

    token = csrf_token(testapp)
    testapp.post(f"/admin/incubator/reviews/{submitted.id}/reopen", {"csrf_token": token}, status=303)
    testapp.post(f"/admin/incubator/reviews/{conflicted.id}/remove", {"csrf_token": token}, status=303)

    dbsession.rollback()
    reviews = list(dbsession.scalars(select(Review)))
    assert [(review.id, review.status, len(review.scores)) for review in reviews] == [
        (submitted.id, ReviewStatus.ASSIGNED, 2)]


# --- the ranking ------------------------------------------------------------------------------


def expected_score(scores: tuple[int, ...]) -> float:
    """The ranking's formula, computed here from the criteria of calls_helpers.CRITERIA:
    Ομάδα weight 3 on 1–5, Αγορά weight 1 on 0–10."""
    team, market = scores
    return (3 * 100 * (team - 1) / 4 + 1 * 100 * market / 10) / 4


def test_the_ranking_averages_normalised_weighted_scores_and_shows_their_spread(testapp, dbsession, staff,
                                                                                 user_factory):
    call = make_call(dbsession)
    reviewers = [user_factory(email=f"r{n}@example.gr", role=Role.MENTOR) for n in range(3)]
    strong = make_application(dbsession, call, user_factory(email="a@example.gr"), startup_name="Strong")
    weak = make_application(dbsession, call, user_factory(email="b@example.gr"), startup_name="Weak")
    unscored = make_application(dbsession, call, user_factory(email="c@example.gr"), startup_name="Unscored")
    for reviewer, scores in zip(reviewers, ((5, 8), (4, 10), (5, 6)), strict=True):
        make_review(dbsession, strong, reviewer, scores=scores, status=ReviewStatus.SUBMITTED)
    make_review(dbsession, weak, reviewers[0], scores=(2, 3), status=ReviewStatus.SUBMITTED)
    make_review(dbsession, weak, reviewers[1], scores=(5, 10))  # saved, not submitted: does not count
    make_review(dbsession, unscored, reviewers[2])

    page = testapp.get(f"/admin/incubator/calls/{call.id}/applications")

    rows = page.html.select("#ranking tbody tr")
    assert [row.th.text.strip() for row in rows] == ["Strong", "Weak", "Unscored"]
    strong_scores = [expected_score(s) for s in ((5, 8), (4, 10), (5, 6))]
    expected = [
        (f"{statistics.fmean(strong_scores):.1f}", f"{max(strong_scores) - min(strong_scores):.1f}", "3 / 3"),
        (f"{expected_score((2, 3)):.1f}", "0", "1 / 2"),
        ("—", "—", "0 / 1"),
    ]
    shown = [(row.select_one(".score").text.strip().replace(",", "."),
              row.select_one(".spread").text.strip().replace(",", "."),
              row.select("td")[1].text.strip()) for row in rows]
    assert [(score.removesuffix(".0"), spread.removesuffix(".0"), reviews) for score, spread, reviews in shown] == [
        (score.removesuffix(".0"), spread.removesuffix(".0"), reviews) for score, spread, reviews in expected]
    assert page.html.select_one("#formula") is not None
    by_name = testapp.get(f"/admin/incubator/calls/{call.id}/applications?sort=name")
    assert [row.th.text.strip() for row in by_name.html.select("#ranking tbody tr")] == ["Strong", "Unscored", "Weak"]


def test_the_scores_csv_has_a_row_per_submitted_review_and_a_column_per_criterion(testapp, dbsession, staff,
                                                                                   user_factory):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="a@example.gr", name="Ελένη Κ."),
                                   startup_name="=HYPERLINK()")
    make_review(dbsession, application, user_factory(email="r@example.gr", role=Role.MENTOR, name="Νίκος Ρ."),
                scores=(5, 8), status=ReviewStatus.SUBMITTED, comment="Καλή ομάδα.")
    make_review(dbsession, application, user_factory(email="s@example.gr", role=Role.MENTOR), scores=(1, 1))

    response = testapp.get(f"/admin/incubator/calls/{call.id}/scores.csv")

    assert response.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0][5:7] == ["Ομάδα", "Αγορά"]
    assert rows[1:] == [[str(application.id), "'=HYPERLINK()", "Ελένη Κ.", "submitted", "Νίκος Ρ.", "5", "8",
                         f"{expected_score((5, 8)):.1f}", "Καλή ομάδα."]]


def test_the_scores_csv_writes_a_negative_score_as_a_number(testapp, dbsession, staff, user_factory):
    call = make_call(dbsession, criteria=({"name": "Ρίσκο", "weight": 1, "min_score": -5, "max_score": 5},))
    application = make_application(dbsession, call, user_factory(email="a@example.gr"), startup_name="Ομάδα")
    make_review(dbsession, application, user_factory(email="r@example.gr", role=Role.MENTOR),
                scores=(-3,), status=ReviewStatus.SUBMITTED)

    response = testapp.get(f"/admin/incubator/calls/{call.id}/scores.csv")

    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[1][5] == "-3"
    assert rows[1][6] == "20.0"


# --- decisions --------------------------------------------------------------------------------


def decide(testapp: Any, application: Application, decision: str, status: int = 303, confirm: bool = True) -> Any:
    form = testapp.get(f"/admin/incubator/applications/{application.id}").forms["decision-form"]
    form["decision"] = decision
    form["confirm"].checked = confirm
    return form.submit(status=status)


def test_accepting_a_new_startup_creates_it_in_the_cohort_with_the_applicant_as_founder(
        testapp, dbsession, staff, user_factory, outbox, tr):
    cohort = make_cohort(dbsession, "Κύκλος 2027")
    call = make_call(dbsession, cohort_id=cohort.id)
    applicant = user_factory(email="eleni@example.gr", locale="en")
    application = make_application(dbsession, call, applicant, startup_name="OliveSense", locale="en")

    decide(testapp, application, "accepted")

    decided = stored_application(dbsession, application.id)
    startup = dbsession.scalar(select(Startup))
    assert decided.status is ApplicationStatus.ACCEPTED and decided.decided_by_id == staff.id
    assert decided.startup_id == startup.id
    assert (startup.name, startup.slug, startup.status, startup.cohort_id) == (
        "OliveSense", "olivesense", StartupStatus.INCUBATED, cohort.id)
    assert [change.status for change in startup.status_changes] == [StartupStatus.INCUBATED]
    assert [founder.user_id for founder in startup.founders] == [applicant.id]
    assert dbsession.get(User, applicant.id).role is Role.FOUNDER
    assert [(sent.template, sent.recipient, sent.locale) for sent in queued_mail(dbsession)] == [
        ("application-decided", "eleni@example.gr", "en")]
    (message,) = outbox()
    assert message["Subject"] == tr("Accepted: ${title}", "en", title="Πρόσκληση 2027")
    assert tr("Congratulations: ${startup} was accepted to “${title}”.", "en", startup="OliveSense",
              title="Πρόσκληση 2027") in text_body(message)
    assert link_in(message, "/account/applications/") == f"/account/applications/{application.id}"


def test_accepting_an_existing_startup_incubates_it_in_the_calls_cohort_and_keeps_all_it_holds(
        testapp, dbsession, registry, staff, user_factory):
    old, new = make_cohort(dbsession, "Κύκλος 2026"), make_cohort(dbsession, "Κύκλος 2027")
    call = make_call(dbsession, cohort_id=new.id)
    applicant = user_factory(email="eleni@example.gr", role=Role.FOUNDER)
    partner = user_factory(email="nikos@example.gr", role=Role.FOUNDER)
    startup = make_startup(dbsession, "OliveSense", cohort_id=old.id, sector="Αγροδιατροφή",
                           description="Αισθητήρες υγρασίας για ελαιώνες.", status=StartupStatus.APPLICANT,
                           logo=PNG, logo_content_type="image/png",
                           needs=[StartupNeed(tag="χρηματοδότηση"), StartupNeed(tag="πωλήσεις")],
                           status_changes=[StartupStatusChange(status=StartupStatus.APPLICANT,
                                                               changed_on=datetime.date(2026, 1, 10))])
    dbsession.add_all([StartupFounder(startup_id=startup.id, user_id=applicant.id, role="CEO"),
                       StartupFounder(startup_id=startup.id, user_id=partner.id, role="CTO")])
    dbsession.commit()
    application = make_application(dbsession, call, applicant, startup_id=startup.id)

    decide(testapp, application, "accepted")

    dbsession.rollback()
    updated = dbsession.get(Startup, startup.id)
    assert stored_application(dbsession, application.id).startup_id == startup.id
    assert (updated.status, updated.cohort_id, updated.sector, updated.slug, updated.description) == (
        StartupStatus.INCUBATED, new.id, "Αγροδιατροφή", "olivesense", "Αισθητήρες υγρασίας για ελαιώνες.")
    assert (updated.logo, updated.logo_content_type) == (PNG, "image/png")
    assert [need.tag for need in updated.needs] == ["πωλήσεις", "χρηματοδότηση"]
    assert sorted((founder.user_id, founder.role) for founder in updated.founders) == [
        (applicant.id, "CEO"), (partner.id, "CTO")]
    assert [(change.status, change.changed_on) for change in updated.status_changes] == [
        (StartupStatus.APPLICANT, datetime.date(2026, 1, 10)), (StartupStatus.INCUBATED, athens_today(registry))]
    assert count(dbsession, Startup) == 1


@pytest.mark.parametrize("decision", ["waitlisted", "rejected"])
def test_other_decisions_email_the_applicant_and_create_nothing(testapp, dbsession, staff, user_factory, decision):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="eleni@example.gr"))

    decide(testapp, application, decision)

    assert stored_application(dbsession, application.id).status == decision
    assert count(dbsession, Startup) == 0
    assert [(sent.template, sent.locale) for sent in queued_mail(dbsession)] == [("application-decided", "el")]


def test_a_decision_needs_confirming_and_is_not_made_twice(testapp, dbsession, staff, user_factory, tr):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="eleni@example.gr"))

    page = decide(testapp, application, "rejected", status=400, confirm=False)
    assert "confirm" in errors(page)
    assert stored_application(dbsession, application.id).status is ApplicationStatus.SUBMITTED

    decide(testapp, application, "waitlisted")
    # From the waiting list it may still be accepted or rejected, not waitlisted again.
    refused = testapp.post(f"/admin/incubator/applications/{application.id}/decision",
                           {"csrf_token": csrf_token(testapp), "decision": "waitlisted", "confirm": "y"}, status=409)
    assert tr("This decision was already made, or the application was already decided.") in refused.text
    decide(testapp, application, "rejected")
    testapp.post(f"/admin/incubator/applications/{application.id}/decision",
                 {"csrf_token": csrf_token(testapp), "decision": "accepted", "confirm": "y"}, status=409)

    assert stored_application(dbsession, application.id).status is ApplicationStatus.REJECTED
    assert count(dbsession, Startup) == 0
    assert len(queued_mail(dbsession)) == 2


def test_a_draft_cannot_be_decided(testapp, dbsession, staff, user_factory):
    call = make_call(dbsession)
    application = make_application(dbsession, call, user_factory(email="eleni@example.gr"),
                                   status=ApplicationStatus.DRAFT)

    testapp.post(f"/admin/incubator/applications/{application.id}/decision",
                 {"csrf_token": csrf_token(testapp), "decision": "accepted", "confirm": "y"}, status=409)

    assert stored_application(dbsession, application.id).status is ApplicationStatus.DRAFT


def test_unknown_objects_are_not_found(testapp, dbsession, staff):
    for path in ("/admin/incubator/calls/999", "/admin/incubator/applications/999",
                 "/admin/incubator/calls/999/applications", "/admin/incubator/calls/999/scores.csv"):
        testapp.get(path, status=404)
    assert count(dbsession, CallQuestion) == 0


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_has_an_open_call_with_reviewed_applications_and_a_decided_past_one(app, testapp, dbsession):
    from dimoskopio.accounts.seed import STAFF_EMAIL, STAFF_PASSWORD
    from dimoskopio.seed import run_seeders
    from tests.conftest import login

    dbsession.rollback()
    run_seeders(app.registry, dbsession, scale=0.2)
    dbsession.commit()

    calls = list(dbsession.scalars(select(Call).order_by(Call.closes_at)))
    past, current = calls
    assert [call.slug for call in calls[1:]] == [
        link["href"].removeprefix("/calls/") for link in testapp.get("/calls").html.select("#calls h2 a")]
    assert {question.kind for question in current.questions} == set(QuestionKind)
    assert len(current.criteria) == 4
    statuses = {application.status for application in dbsession.scalars(
        select(Application).where(Application.call_id == current.id))}
    assert statuses == {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED}
    past_applications = list(dbsession.scalars(select(Application).where(Application.call_id == past.id)))
    assert ApplicationStatus.SUBMITTED not in {application.status for application in past_applications}
    accepted = {application.startup_id for application in past_applications
                if application.status is ApplicationStatus.ACCEPTED}
    assert accepted == set(dbsession.scalars(select(Startup.id).where(Startup.cohort_id == past.cohort_id)))

    login(testapp, STAFF_EMAIL, STAFF_PASSWORD)
    ranking = testapp.get(f"/admin/incubator/calls/{current.id}/applications")
    assert any(cell.text.strip() != "—" for cell in ranking.html.select("#ranking .score"))
    for row in ranking.html.select("#ranking tbody tr"):
        testapp.get(row.th.a["href"], status=200)
    testapp.get(f"/admin/incubator/calls/{past.id}/scores.csv", status=200)

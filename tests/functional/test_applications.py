"""Applying to calls: the public /calls pages, drafts, submitting before the deadline, uploads
with their limits, who may read an application and download its files."""

import datetime
from typing import Any

import pytest
import webtest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from incubator.models import (
    Application,
    ApplicationAnswer,
    ApplicationFile,
    ApplicationStatus,
    Call,
    QuestionKind,
    ReviewStatus,
    StartupFounder,
)
from tests.conftest import DEFAULT_PASSWORD, login
from tests.functional.calls_helpers import PDF, PNG, full_answers, make_application, make_call, make_review
from tests.functional.conftest import csrf_token, link_in, new_client, queued_mail, switch_language
from tests.functional.test_incubator_staff import errors, fill, make_startup


def stored_application(dbsession: Session, **where: Any) -> Application | None:
    dbsession.rollback()
    return dbsession.scalar(select(Application).filter_by(**where))


def count(dbsession: Session, model: type[Any]) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(model))


def question(call: Call, kind: QuestionKind) -> str:
    return next(f"q{each.id}" for each in call.questions if each.kind is kind)


@pytest.fixture
def applicant(logged_in: Any) -> Any:
    return logged_in(Role.MEMBER, email="eleni@example.gr")


@pytest.fixture
def call(dbsession: Session) -> Call:
    return make_call(dbsession)


def application_form(testapp: webtest.TestApp, call: Call) -> webtest.Form:
    return testapp.get(f"/calls/{call.slug}/apply").forms["application-form"]


def filled_form(testapp: webtest.TestApp, call: Call) -> webtest.Form:
    form = application_form(testapp, call)
    fill(form, startup_name="OliveSense", **full_answers(call))
    form[question(call, QuestionKind.FILE)] = webtest.Upload("deck.pdf", PDF, "application/pdf")
    return form


# --- the public pages -------------------------------------------------------------------------


def test_calls_lists_open_and_upcoming_published_calls(testapp, dbsession, tr):
    make_call(dbsession, "Ανοιχτή", slug="open")
    make_call(dbsession, "Σύντομα", slug="soon", opens_in=datetime.timedelta(days=3),
              closes_in=datetime.timedelta(days=20))
    make_call(dbsession, "Έκλεισε", slug="closed", opens_in=-datetime.timedelta(days=20),
              closes_in=-datetime.timedelta(minutes=1))
    make_call(dbsession, "Πρόχειρη", slug="draft", published=False)

    page = testapp.get("/calls")

    items = page.html.select("#calls li")
    assert [item.h2.text.strip() for item in items] == ["Ανοιχτή", "Σύντομα"]
    assert tr("Open") in items[0].text
    assert tr("Upcoming") in items[1].text


def test_a_call_page_shows_its_deadline_in_athens_time_and_an_apply_button(testapp, dbsession):
    closes = datetime.datetime(2031, 7, 1, 20, 59, tzinfo=datetime.UTC)  # 23:59 in Athens (summer time)
    found = make_call(dbsession, description="Για **ομάδες** του Ηρακλείου.")
    dbsession.get(Call, found.id).closes_at = closes
    dbsession.commit()

    page = testapp.get(f"/calls/{found.slug}")

    assert page.html.h1.text == "Πρόσκληση 2027"
    assert "23:59" in page.html.select_one("#deadline").text
    assert page.html.select_one(".prose strong").text == "ομάδες"
    assert page.html.select_one("#apply")["href"] == f"/calls/{found.slug}/apply"


def test_unknown_and_unpublished_calls_are_not_found(testapp, dbsession, applicant):
    make_call(dbsession, slug="draft", published=False)

    for path in ("/calls/draft", "/calls/draft/apply", "/calls/unknown", "/calls/unknown/apply"):
        testapp.get(path, status=404)


def test_a_closed_call_shows_a_notice_and_refuses_new_applications(testapp, dbsession, applicant, tr):
    found = make_call(dbsession, closes_in=-datetime.timedelta(hours=1))

    page = testapp.get(f"/calls/{found.slug}")

    assert page.html.select_one("#call-closed") is not None
    assert page.html.select_one("#apply") is None
    testapp.get(f"/calls/{found.slug}/apply", status=404)
    testapp.post(f"/calls/{found.slug}/apply", {"csrf_token": csrf_token(testapp), "save": "1"}, status=404)
    assert count(dbsession, Application) == 0


def test_an_upcoming_call_cannot_be_applied_to_yet(testapp, dbsession, applicant):
    found = make_call(dbsession, opens_in=datetime.timedelta(days=2))

    testapp.get(f"/calls/{found.slug}/apply", status=404)


def test_anonymous_visitors_log_in_first_and_come_back(testapp, call, user_factory):
    response = testapp.get(f"/calls/{call.slug}/apply")

    assert response.status_int == 303
    assert response.location == f"http://localhost/login?next=%2Fcalls%2F{call.slug}%2Fapply"
    user_factory(email="eleni@example.gr")
    form = testapp.get(response.location).forms["login-form"]
    fill(form, email="eleni@example.gr", password=DEFAULT_PASSWORD)
    back = form.submit()
    assert back.location.endswith(f"/calls/{call.slug}/apply")
    assert "application-form" in back.follow().forms


# --- drafts -----------------------------------------------------------------------------------


def test_a_draft_saves_without_required_answers_and_resumes(testapp, dbsession, call, applicant, tr):
    form = application_form(testapp, call)
    fill(form, startup_name="OliveSense", **{question(call, QuestionKind.TEXT): "Αισθητήρες."})

    response = form.submit("save")

    saved = stored_application(dbsession, applicant_id=applicant.id)
    assert response.status_int == 303
    assert response.location.endswith(f"/account/applications/{saved.id}")
    assert (saved.status, saved.startup_name, saved.locale) == (ApplicationStatus.DRAFT, "OliveSense", "el")
    page = response.follow()
    assert tr("Your draft was saved. You can come back and finish it until the call closes.") in page.text
    resumed = page.forms["application-form"]
    assert resumed["startup_name"].value == "OliveSense"
    assert resumed[question(call, QuestionKind.TEXT)].value == "Αισθητήρες."


def test_limits_apply_to_drafts_too_and_nothing_is_stored(testapp, dbsession, call, applicant, tr):
    form = application_form(testapp, call)
    fill(form, startup_name="OliveSense", **{question(call, QuestionKind.TEXT): "α" * 201,
                                             question(call, QuestionKind.NUMBER): "51"})

    page = form.submit("save", status=400)

    text, number = question(call, QuestionKind.TEXT), question(call, QuestionKind.NUMBER)
    assert errors(page) == {text: tr("Must be at most ${max} characters.", max=200),
                            number: tr("Give a number from ${min} to ${max}.", min=1, max=50)}
    assert page.forms["application-form"]["startup_name"].value == "OliveSense"
    assert count(dbsession, Application) == 0


def test_a_second_application_to_the_same_call_opens_the_first(testapp, dbsession, call, applicant):
    first = make_application(dbsession, call, applicant, status=ApplicationStatus.DRAFT, with_answers=False)

    response = testapp.get(f"/calls/{call.slug}/apply")
    assert response.location.endswith(f"/account/applications/{first.id}")
    # A form opened before the first was saved (another tab) saves into the same application.
    testapp.post(f"/calls/{call.slug}/apply", {"csrf_token": csrf_token(testapp), "startup_id": "0",
                                                "startup_name": "HelioGrid", "save": "1"}, status=303)

    assert count(dbsession, Application) == 1
    assert stored_application(dbsession, id=first.id).startup_name == "HelioGrid"
    assert testapp.get(f"/calls/{call.slug}").html.select_one("#my-application")["href"] == \
        f"/account/applications/{first.id}"


def test_an_applicant_may_apply_for_a_startup_of_theirs_only(testapp, dbsession, call, applicant, tr):
    mine, other = make_startup(dbsession, "OliveSense"), make_startup(dbsession, "HelioGrid")
    dbsession.add(StartupFounder(startup_id=mine.id, user_id=applicant.id))
    dbsession.commit()
    form = application_form(testapp, call)
    assert [option[0] for option in form["startup_id"].options] == ["0", str(mine.id)]

    data = {"csrf_token": csrf_token(testapp), "startup_id": str(other.id), "save": "1"}
    testapp.post(f"/calls/{call.slug}/apply", data, status=400)
    assert count(dbsession, Application) == 0

    testapp.post(f"/calls/{call.slug}/apply", {**data, "startup_id": str(mine.id)}, status=303)
    assert stored_application(dbsession, applicant_id=applicant.id).startup_id == mine.id


# --- submitting -------------------------------------------------------------------------------


def test_submitting_stores_everything_emails_a_confirmation_and_makes_it_read_only(
        testapp, dbsession, call, applicant, tr, outbox):
    response = filled_form(testapp, call).submit("submit")

    saved = stored_application(dbsession, applicant_id=applicant.id)
    assert response.status_int == 303
    assert saved.status is ApplicationStatus.SUBMITTED and saved.submitted_at is not None
    answers = {answer.question_id: answer.value for answer in saved.answers}
    assert answers[call.questions[2].id] == "Πρωτότυπο"
    assert [(upload.filename, upload.content_type, upload.data) for upload in saved.files] == [
        ("deck.pdf", "application/pdf", PDF)]
    assert [(sent.template, sent.recipient, sent.locale) for sent in queued_mail(dbsession)] == [
        ("application-submitted", "eleni@example.gr", "el")]
    (message,) = outbox()
    assert message["Subject"] == tr("Application received: %(title)s") % {"title": "Πρόσκληση 2027"}
    assert link_in(message, "/account/applications/") == f"/account/applications/{saved.id}"

    page = response.follow()
    assert "application-form" not in page.forms
    assert page.html.select_one("#application-status").text == tr("Submitted")
    assert "Οι παραγωγοί ποτίζουν στα τυφλά." in page.html.select_one("#answers").text
    refused = testapp.post(f"/account/applications/{saved.id}", {
        "csrf_token": csrf_token(testapp), "startup_name": "Άλλο", "save": "1"}, status=409)
    assert tr("This application was submitted: it can no longer be changed.") in refused.text
    testapp.post(f"/calls/{call.slug}/apply", {"csrf_token": csrf_token(testapp), "startup_name": "Άλλο",
                                                "submit": "1"}, status=409)
    again = stored_application(dbsession, id=saved.id)
    assert (again.startup_name, again.submitted_at) == ("OliveSense", saved.submitted_at)
    assert len(queued_mail(dbsession)) == 1


def test_the_confirmation_is_in_the_applicants_language(testapp, dbsession, call, applicant):
    switch_language(testapp, "en")

    filled_form(testapp, call).submit("submit", status=303)

    assert stored_application(dbsession, applicant_id=applicant.id).locale == "en"
    assert [sent.locale for sent in queued_mail(dbsession)] == ["en"]


def test_submitting_checks_every_required_answer_and_stores_nothing(testapp, dbsession, call, applicant, tr):
    form = application_form(testapp, call)
    fill(form, **{question(call, QuestionKind.TEXT): "Αισθητήρες."})

    page = form.submit("submit", status=400)

    required = tr("This field is required.")
    assert errors(page) == {
        "startup_name": tr("Name the new startup, or choose one of yours."),
        question(call, QuestionKind.LONG_TEXT): required, question(call, QuestionKind.CHOICE): required,
        question(call, QuestionKind.NUMBER): required, question(call, QuestionKind.FILE): tr("Upload a file."),
    }
    assert page.forms["application-form"][question(call, QuestionKind.TEXT)].value == "Αισθητήρες."
    assert count(dbsession, Application) == 0
    assert queued_mail(dbsession) == []


def test_a_file_uploaded_with_the_draft_counts_when_submitting(testapp, dbsession, call, applicant):
    filled_form(testapp, call).submit("save", status=303)
    saved = stored_application(dbsession, applicant_id=applicant.id)

    form = testapp.get(f"/account/applications/{saved.id}").forms["application-form"]
    form.submit("submit", status=303)

    assert stored_application(dbsession, id=saved.id).status is ApplicationStatus.SUBMITTED


def test_a_late_submission_is_refused_and_the_draft_kept(testapp, dbsession, call, applicant, tr):
    filled_form(testapp, call).submit("save", status=303)
    saved = stored_application(dbsession, applicant_id=applicant.id)
    form = testapp.get(f"/account/applications/{saved.id}").forms["application-form"]
    form["startup_name"] = "Άλλο όνομα"
    dbsession.get(Call, call.id).closes_at = utcnow() - datetime.timedelta(seconds=1)
    dbsession.commit()

    page = form.submit("submit", status=409)

    assert page.html.select_one("#refusal").text.strip() == tr(
        "The call has closed: the application can no longer be changed or submitted. Your draft is kept as it was.")
    kept = stored_application(dbsession, id=saved.id)
    assert (kept.status, kept.startup_name, len(kept.files)) == (ApplicationStatus.DRAFT, "OliveSense", 1)
    assert queued_mail(dbsession) == []
    # The draft stays readable, no longer editable.
    assert "application-form" not in testapp.get(f"/account/applications/{saved.id}").forms


def test_my_applications_lists_only_the_applicants_own(testapp, dbsession, call, applicant, user_factory, tr):
    mine = make_application(dbsession, call, applicant, status=ApplicationStatus.DRAFT)
    other = make_call(dbsession, "Άλλη πρόσκληση", slug="other")
    make_application(dbsession, other, user_factory(email="nikos@example.gr"))

    page = testapp.get("/account/applications")

    rows = page.html.select("#my-applications tbody tr")
    assert [(row.th.a.text, row.th.a["href"]) for row in rows] == [
        ("Πρόσκληση 2027", f"/account/applications/{mine.id}")]
    assert tr("Draft") in rows[0].text


def test_another_applicants_application_is_not_found(testapp, dbsession, call, applicant, user_factory):
    theirs = make_application(dbsession, call, user_factory(email="nikos@example.gr"),
                              status=ApplicationStatus.DRAFT)

    testapp.get(f"/account/applications/{theirs.id}", status=404)
    testapp.post(f"/account/applications/{theirs.id}", {"csrf_token": csrf_token(testapp),
                                                         "startup_name": "Χάκαρα", "save": "1"}, status=404)
    for unknown in ("0", "99999", "99999999999999999999"):
        testapp.get(f"/account/applications/{unknown}", status=404)
    assert stored_application(dbsession, id=theirs.id).startup_name == "OliveSense"


# --- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("filename", "content"), [
    ("deck.exe", PDF),  # an extension the question does not take
    ("deck.pdf", PNG),  # a PNG named .pdf
    ("deck.png", b"GIF89a" + b"\x00" * 100),  # not a PNG inside
])
def test_a_file_of_the_wrong_type_is_refused_next_to_it(testapp, dbsession, call, applicant, tr, filename, content):
    form = filled_form(testapp, call)
    upload = question(call, QuestionKind.FILE)
    form[upload] = webtest.Upload(filename, content, "application/octet-stream")

    page = form.submit("save", status=400)

    assert errors(page) == {upload: tr("Upload a file of one of these types: ${types}.", types="pdf, png")}
    assert page.forms["application-form"][question(call, QuestionKind.LONG_TEXT)].value == \
        "Οι παραγωγοί ποτίζουν στα τυφλά."
    assert count(dbsession, Application) == 0
    assert count(dbsession, ApplicationFile) == 0


def test_a_file_over_the_questions_limit_is_refused_and_nothing_stored(testapp, dbsession, call, applicant, tr):
    form = filled_form(testapp, call)
    upload = question(call, QuestionKind.FILE)
    form[upload] = webtest.Upload("deck.pdf", b"%PDF-1.4\n" + b"x" * (20 * 1024), "application/pdf")

    page = form.submit("save", status=400)

    assert errors(page) == {upload: tr("The file must be at most ${size} KB.", size=20)}
    assert count(dbsession, ApplicationFile) == 0


def test_a_body_larger_than_the_form_can_need_is_refused_before_it_is_read(testapp, dbsession, applicant):
    found = make_call(dbsession, questions=(
        {"kind": QuestionKind.TEXT, "label": "Όνομα", "max_length": 100},
        {"kind": QuestionKind.FILE, "label": "Παρουσίαση", "file_types": "pdf", "max_file_kb": 10},
    ))
    token = csrf_token(testapp)
    upload_field = f"q{found.questions[1].id}"
    # Within the site's limit for any request, beyond what this call's form can need.
    big = b"%PDF-1.4\n" + b"x" * (200 * 1024)

    testapp.post(f"/calls/{found.slug}/apply", {"csrf_token": token, "save": "1"},
                 upload_files=[(upload_field, "deck.pdf", big)], status=413)

    assert count(dbsession, Application) == 0


def test_a_pitch_deck_larger_than_other_forms_may_send_is_accepted_up_to_its_questions_limit(
        testapp, dbsession, applicant, settings):
    """Application forms carry files beyond `dimoskopio.max_request_bytes` (what any other form
    may send), up to `dimoskopio.max_upload_request_bytes`."""
    found = make_call(dbsession, questions=(
        {"kind": QuestionKind.FILE, "label": "Παρουσίαση", "file_types": "pdf", "max_file_kb": 5 * 1024},))
    deck = b"%PDF-1.4\n" + b"x" * (3 * 1024 * 1024)
    assert len(deck) > settings["dimoskopio.max_request_bytes"]
    form = application_form(testapp, found)
    form["startup_name"] = "OliveSense"
    form[f"q{found.questions[0].id}"] = webtest.Upload("deck.pdf", deck, "application/pdf")

    form.submit("save", status=303)

    [stored] = stored_application(dbsession, applicant_id=applicant.id).files
    assert stored.size == len(deck)
    # Any other form is still held to the smaller limit.
    testapp.post("/account/profile", {"csrf_token": csrf_token(testapp), "name": "x" * len(deck)}, status=413)


def test_a_new_file_replaces_the_one_before(testapp, dbsession, call, applicant):
    filled_form(testapp, call).submit("save", status=303)
    saved = stored_application(dbsession, applicant_id=applicant.id)
    form = testapp.get(f"/account/applications/{saved.id}").forms["application-form"]
    form[question(call, QuestionKind.FILE)] = webtest.Upload("team.png", PNG, "image/png")

    form.submit("save", status=303)

    assert [(upload.filename, upload.content_type) for upload in stored_application(dbsession, id=saved.id).files] \
        == [("team.png", "image/png")]


# --- downloads --------------------------------------------------------------------------------


def test_who_may_download_an_applications_file(app, testapp, dbsession, call, user_factory):
    owner = user_factory(email="eleni@example.gr")
    application = make_application(dbsession, call, owner)
    upload = stored_application(dbsession, id=application.id).files[0]
    path = f"/applications/{application.id}/files/{upload.id}"
    reviewer = user_factory(email="reviewer@example.gr", role=Role.MENTOR)
    conflicted = user_factory(email="conflicted@example.gr", role=Role.MENTOR)
    make_review(dbsession, application, reviewer)
    make_review(dbsession, application, conflicted, status=ReviewStatus.CONFLICT)
    allowed = {"eleni@example.gr": 200, "reviewer@example.gr": 200, "conflicted@example.gr": 404,
               "staff@example.gr": 200, "mentor@example.gr": 404, "nikos@example.gr": 404}
    user_factory(email="staff@example.gr", role=Role.STAFF)
    user_factory(email="mentor@example.gr", role=Role.MENTOR)
    user_factory(email="nikos@example.gr")

    for email, status in allowed.items():
        client = new_client(app)
        login(client, email)
        response = client.get(path, status=status)
        if status == 200:
            assert (response.body, response.content_type) == (PDF, "application/pdf")
            assert "attachment" in response.headers["Content-Disposition"]
        client.get(f"/applications/{application.id}/files/{upload.id + 1}", status=404)

    anonymous = testapp.get(path)
    assert anonymous.status_int == 303 and "/login" in anonymous.location


def test_answers_that_are_not_files_are_kept_as_typed(testapp, dbsession, call, applicant):
    filled_form(testapp, call).submit("save", status=303)

    dbsession.rollback()
    values = set(dbsession.scalars(select(ApplicationAnswer.value)))
    assert {"Αισθητήρες για ελαιώνες.", "Οι παραγωγοί ποτίζουν στα τυφλά.", "Πρωτότυπο", "3"} <= values

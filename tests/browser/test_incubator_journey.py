"""The incubator in a real browser, from a call to a mentor's office hours: a member applies to an
open call with a pitch deck, a mentor scores the application, staff accept it (the applicant
becomes the founder of a new startup in the call's cohort), staff assign the mentor to it, and
the founder books the mentor's open time. Every page on the way passes axe."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dimoskopio.accounts.models import Role, User
from dimoskopio.db import utcnow
from dimoskopio.i18n import _, localizer_for
from incubator.models import (
    Application,
    ApplicationStatus,
    Call,
    CallQuestion,
    Cohort,
    MentorExpertise,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    QuestionKind,
    RubricCriterion,
    SessionMode,
    Startup,
    StartupStatus,
)
from tests.browser.conftest import log_in, text

pytestmark = pytest.mark.browser

ATHENS = ZoneInfo("Europe/Athens")
PITCH_DECK = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def formatted(message: str, **mapping: object) -> str:
    """A message with ${placeholders}, in Greek."""
    return localizer_for("el").translate(_(message, mapping=mapping))


def formatted_in_template(message: str, **mapping: object) -> str:
    """A template's {% trans %} message (its placeholders are %(name)s), in Greek."""
    return localizer_for("el").translate(_(message)) % mapping


def test_a_member_applies_is_scored_accepted_and_books_a_mentor(page, new_page, axe, dbsession, user_factory,
                                                                tmp_path):
    dbsession.rollback()
    today = datetime.datetime.now(ATHENS).date()
    cohort = Cohort(name="Κύκλος 2027", programme="Επιτάχυνση", starts_on=today - datetime.timedelta(days=10),
                    ends_on=today + datetime.timedelta(days=200))
    call = Call(title="Πρόσκληση 2027", slug="prosklisi-2027", description="Για **νέες** ομάδες.",
                eligibility="Ομάδες με έδρα την Κρήτη.", opens_at=utcnow() - datetime.timedelta(days=5),
                closes_at=utcnow() + datetime.timedelta(days=5), cohort=cohort, published=True)
    call.questions = [
        CallQuestion(position=1, kind=QuestionKind.LONG_TEXT, label="Ποιο πρόβλημα λύνετε;", max_length=2000),
        CallQuestion(position=2, kind=QuestionKind.NUMBER, label="Πόσα μέλη έχει η ομάδα;", min_value=1,
                     max_value=20),
        CallQuestion(position=3, kind=QuestionKind.FILE, label="Παρουσίαση (pitch deck)", file_types="pdf",
                     max_file_kb=500),
    ]
    call.criteria = [
        RubricCriterion(position=1, name="Ομάδα", weight=2, min_score=0, max_score=10),
        RubricCriterion(position=2, name="Αγορά", weight=1, min_score=1, max_score=5),
    ]
    dbsession.add_all([cohort, call])
    dbsession.commit()
    applicant = user_factory(email="eleni@example.gr", name="Ελένη Παπαδάκη", role=Role.MEMBER)
    mentor = user_factory(email="mentor@example.gr", name="Γιώργος Μέντωρ", role=Role.MENTOR)
    staff = user_factory(email="staff@example.gr", name="Μαρία Προσωπικό", role=Role.STAFF)
    profile = MentorProfile(user_id=mentor.id, slug="giorgos", headline="Marketing για αγροδιατροφή",
                            in_directory=True, feed_token="f" * 43)
    profile.expertise = [MentorExpertise(tag="marketing")]
    dbsession.add(profile)
    dbsession.flush()
    starts = datetime.datetime.combine(today + datetime.timedelta(days=3), datetime.time(11), ATHENS)
    dbsession.add(OfficeHourSlot(mentor_id=profile.id, starts_at=starts.astimezone(datetime.UTC),
                                 ends_at=(starts + datetime.timedelta(minutes=45)).astimezone(datetime.UTC),
                                 mode=SessionMode.IN_PERSON, location="Δημοσκόπιο, αίθουσα 2"))
    dbsession.commit()
    deck = tmp_path / "pitch.pdf"
    deck.write_bytes(PITCH_DECK)

    # The member finds the call and applies: a draft first, then the submission.
    log_in(page, applicant.email)
    page.goto("/calls")
    axe(page)
    page.get_by_role("link", name="Πρόσκληση 2027").click()
    axe(page)
    page.get_by_role("link", name=text("Apply")).click()
    page.get_by_label(text("Name of the new startup")).fill("Ελαιόνας Ψηφιακός")
    page.get_by_label("Ποιο πρόβλημα λύνετε;").fill("Οι ελαιοπαραγωγοί ποτίζουν στα τυφλά.")
    page.get_by_role("button", name=text("Save draft")).click()
    expect(page.get_by_label("Ποιο πρόβλημα λύνετε;")).to_have_value("Οι ελαιοπαραγωγοί ποτίζουν στα τυφλά.")
    page.get_by_role("button", name=text("Submit the application")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    page.get_by_label("Πόσα μέλη έχει η ομάδα;").fill("3")
    page.get_by_label("Παρουσίαση (pitch deck)").set_input_files(str(deck))
    page.get_by_role("button", name=text("Submit the application")).click()
    expect(page.get_by_role("button", name=text("Submit the application"))).to_have_count(0)
    axe(page)
    dbsession.rollback()
    [application] = dbsession.scalars(select(Application)).all()
    assert application.status is ApplicationStatus.SUBMITTED

    # Staff assign the mentor as its reviewer.
    staff_page = new_page()
    log_in(staff_page, staff.email)
    staff_page.goto(f"/admin/incubator/applications/{application.id}")
    staff_page.get_by_label(text("Reviewer"), exact=True).select_option(str(mentor.id))
    staff_page.get_by_role("button", name=text("Assign"), exact=True).click()
    expect(staff_page.locator("#review-list")).to_contain_text("Γιώργος Μέντωρ")

    # The mentor scores it.
    mentor_page = new_page()
    log_in(mentor_page, mentor.email)
    mentor_page.goto("/account/reviews")
    axe(mentor_page)
    review_link = formatted_in_template("Application no. %(number)s", number=application.id)
    mentor_page.get_by_role("link", name=review_link).click()
    expect(mentor_page.locator("#answers-heading ~ *")).to_contain_text("Οι ελαιοπαραγωγοί ποτίζουν στα τυφλά.")
    mentor_page.get_by_label(formatted("Score for “${name}” (${min}–${max})", name="Ομάδα", min=0, max=10)).fill("8")
    mentor_page.get_by_label(formatted("Score for “${name}” (${min}–${max})", name="Αγορά", min=1, max=5)).fill("9")
    mentor_page.get_by_role("button", name=text("Submit the review (final)")).click()
    expect(mentor_page.locator(".error-summary")).to_be_visible()
    axe(mentor_page)
    mentor_page.get_by_label(formatted("Score for “${name}” (${min}–${max})", name="Αγορά", min=1, max=5)).fill("4")
    mentor_page.get_by_role("button", name=text("Submit the review (final)")).click()
    expect(mentor_page.locator("#own-scores")).to_be_visible()
    axe(mentor_page)

    # Staff see the ranking and accept the application.
    staff_page.goto(f"/admin/incubator/calls/{call.id}/applications")
    axe(staff_page)
    # (8 − 0)/10 × 100 × 2 and (4 − 1)/4 × 100 × 1, over a weight of 3: 78.3.
    expect(staff_page.locator("table")).to_contain_text("78,3")
    staff_page.goto(f"/admin/incubator/applications/{application.id}")
    staff_page.get_by_label(text("Accept")).check()
    staff_page.get_by_label(text("I confirm: the applicant is emailed the decision at once")).check()
    staff_page.get_by_role("button", name=text("Record the decision")).click()
    expect(staff_page.locator("#application-status")).to_have_text(text("Accepted"))
    axe(staff_page)
    dbsession.rollback()
    startup = dbsession.scalar(select(Startup).where(Startup.name == "Ελαιόνας Ψηφιακός"))
    assert (startup.status, startup.cohort_id) == (StartupStatus.INCUBATED, cohort.id)
    assert dbsession.get(User, applicant.id).role is Role.FOUNDER

    # Staff give the new startup its needs and assign the mentor who matches them.
    staff_page.goto(f"/admin/incubator/startups/{startup.id}")
    staff_page.get_by_label(text("Needs (optional)")).fill("marketing, export")
    staff_page.locator("#startup-form button[type=submit]").click()
    staff_page.goto(f"/admin/incubator/startups/{startup.id}/mentors")
    axe(staff_page)
    staff_page.get_by_role("button", name=f"{text('Assign')} Γιώργος Μέντωρ").click()
    expect(staff_page.locator("#assigned-mentors")).to_contain_text("Γιώργος Μέντωρ")

    # The founder (logged in since before the decision) books the mentor's open time.
    page.goto("/account/office-hours")
    axe(page)
    page.get_by_role("link", name=text("Book")).first.click()
    page.get_by_label(text("What would you like to discuss?")).fill("Τιμολόγηση για εξαγωγές")
    axe(page)
    page.get_by_role("button", name=text("Book")).click()
    axe(page)
    dbsession.rollback()
    [session] = dbsession.scalars(select(MentorSession)).all()
    assert (session.startup_id, session.status, session.topic) == (
        startup.id, MentorSessionStatus.BOOKED, "Τιμολόγηση για εξαγωγές")

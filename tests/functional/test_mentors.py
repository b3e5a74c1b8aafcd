"""Mentor profiles through the real app: staff make mentors, mentors edit their profile, and the
public directory at /mentors lists only those who opted in."""

import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from dimoskopio.db import utcnow
from dimoskopio.i18n import transliterate
from incubator.models import (
    MentorAssignment,
    MentorExpertise,
    MentorProfile,
    MentorSession,
    OfficeHourSlot,
    SessionMode,
    Startup,
)
from tests.conftest import make_user
from tests.functional.test_incubator_staff import count, errors, fill

# --- helpers the other mentoring tests share ----------------------------------------------------


def make_mentor(dbsession: Session, name: str = "Νίκος Μαρκάκης", email: str | None = None,
                tags: tuple[str, ...] = (), languages: str = "el", in_directory: bool = True,
                headline: str = "", user: User | None = None, locale: str = "el") -> MentorProfile:
    """A mentor account with its profile."""
    if user is None:
        user = make_user(dbsession, email=email or f"{transliterate(name).replace(' ', '.')}@example.gr", name=name,
                         role=Role.MENTOR, locale=locale)
    dbsession.rollback()
    profile = MentorProfile(user_id=user.id, slug=f"mentor-{user.id}", headline=headline, languages=languages,
                            in_directory=in_directory, feed_token=f"token-{user.id}-secret",
                            expertise=[MentorExpertise(tag=tag) for tag in tags])
    dbsession.add(profile)
    dbsession.commit()
    return profile


def assign(dbsession: Session, mentor: MentorProfile, startup: Startup) -> MentorAssignment:
    dbsession.rollback()
    assignment = MentorAssignment(mentor_id=mentor.id, startup_id=startup.id)
    dbsession.add(assignment)
    dbsession.commit()
    return assignment


def make_slot(dbsession: Session, mentor: MentorProfile, starts_in: datetime.timedelta = datetime.timedelta(days=2),
              minutes: int = 60, **values: Any) -> OfficeHourSlot:
    """A slot starting `starts_in` from now (negative: in the past), whole minutes."""
    dbsession.rollback()
    starts_at = (utcnow() + starts_in).replace(second=0, microsecond=0)
    slot = OfficeHourSlot(mentor_id=mentor.id, starts_at=starts_at,
                          ends_at=starts_at + datetime.timedelta(minutes=minutes),
                          mode=values.pop("mode", SessionMode.IN_PERSON),
                          location=values.pop("location", "Δημοσκόπιο, αίθουσα 1"), **values)
    dbsession.add(slot)
    dbsession.commit()
    return slot


def make_session(dbsession: Session, slot: OfficeHourSlot, startup: Startup, **values: Any) -> MentorSession:
    dbsession.rollback()
    session = MentorSession(slot_id=slot.id, startup_id=startup.id, topic=values.pop("topic", "Τιμολόγηση"),
                            **values)
    dbsession.add(session)
    dbsession.commit()
    return session


def stored_profile(dbsession: Session, profile_id: int) -> MentorProfile:
    dbsession.rollback()
    return dbsession.get(MentorProfile, profile_id)


@pytest.fixture
def mentor_user(logged_in: Any) -> User:
    """The test app, logged in as a mentor (without a profile yet)."""
    return logged_in(Role.MENTOR, email="nikos@example.gr")


# --- the mentor's own profile -----------------------------------------------------------------


def test_a_mentor_writes_their_profile_the_first_time(testapp, dbsession, mentor_user, tr):
    page = testapp.get("/account/mentoring")
    assert tr("Write my mentor profile") in page.text

    form = testapp.get("/account/mentoring/profile").forms["mentor-profile-form"]
    fill(form, headline="Σύμβουλος εξαγωγών", bio="**Δεκαπέντε** χρόνια στις εξαγωγές.",
         expertise="Export,  Marketing , ΕΞΑΓΩΓΈΣ, export", availability="Τετάρτες")
    form["languages"] = ["el", "en"]
    form["in_directory"] = True
    response = form.submit()

    assert response.status_int == 303
    dbsession.rollback()
    profile = dbsession.scalar(select(MentorProfile).where(MentorProfile.user_id == mentor_user.id))
    assert profile.headline == "Σύμβουλος εξαγωγών"
    assert [row.tag for row in profile.expertise] == ["export", "marketing", "εξαγωγές"]
    assert profile.languages == "el,en"
    assert profile.in_directory
    assert len(profile.feed_token) >= 40
    again = testapp.get("/account/mentoring/profile").forms["mentor-profile-form"]
    assert again["expertise"].value == "export, marketing, εξαγωγές"


def test_bad_profile_input_is_refused_next_to_the_field_and_nothing_is_stored(testapp, dbsession, mentor_user, tr):
    profile = make_mentor(dbsession, user=mentor_user, headline="Πριν", tags=("sales",))
    form = testapp.get("/account/mentoring/profile").forms["mentor-profile-form"]
    fill(form, headline="x" * 201, expertise=", ".join(f"tag{number}" for number in range(16)))
    form["languages"] = []

    page = form.submit(status=400)

    shown = errors(page)
    assert shown["headline"] == tr("Must be at most ${max} characters.", max=200)
    assert shown["expertise"] == tr("Give at most ${count} tags.", count=15)
    assert shown["languages"] == tr("Choose at least one language.")
    assert page.forms["mentor-profile-form"]["headline"].value == "x" * 201
    kept = stored_profile(dbsession, profile.id)
    assert kept.headline == "Πριν"
    assert [row.tag for row in kept.expertise] == ["sales"]


def test_a_mentor_without_a_profile_is_sent_to_write_it_before_publishing_office_hours(testapp, mentor_user):
    response = testapp.get("/account/mentoring/office-hours")

    assert response.status_int == 303
    assert response.location.endswith("/account/mentoring/profile")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.STAFF])
def test_only_mentors_have_mentoring_screens(testapp, logged_in, role):
    logged_in(role)

    testapp.get("/account/mentoring", status=403)
    testapp.get("/account/mentoring/profile", status=403)


def test_the_account_navigation_links_mentors_to_their_mentoring(testapp, dbsession, mentor_user, tr):
    page = testapp.get("/account")

    assert [link.text for link in page.html.select(".subnav a") if link["href"] == "/account/mentoring"] == [
        tr("My mentoring")]


# --- the public directory ---------------------------------------------------------------------


def test_the_directory_lists_only_mentors_who_opted_in_and_never_their_email(testapp, dbsession):
    listed = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr", tags=("marketing",), headline="Μάρκετινγκ")
    make_mentor(dbsession, "Κρυφός Μέντορας", "hidden@example.gr", in_directory=False)
    former = make_user(dbsession, email="former@example.gr", name="Πρώην Μέντορας", role=Role.MEMBER)
    make_mentor(dbsession, user=former)

    page = testapp.get("/mentors")

    assert [link.text for link in page.html.select("#mentor-directory h2 a")] == ["Άννα Λιοδάκη"]
    profile = testapp.get(f"/mentors/{listed.slug}")
    assert "Άννα Λιοδάκη" in profile.text
    assert "anna@example.gr" not in profile.text
    assert "anna@example.gr" not in page.text


def test_unlisted_and_unknown_profiles_are_not_found(testapp, dbsession):
    hidden = make_mentor(dbsession, "Κρυφός Μέντορας", "hidden@example.gr", in_directory=False)

    testapp.get(f"/mentors/{hidden.slug}", status=404)
    testapp.get("/mentors/nobody-here", status=404)


def test_the_directory_filters_by_expertise_language_and_accent_insensitive_search(testapp, dbsession):
    make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr", tags=("marketing", "tourism"), languages="el,en")
    make_mentor(dbsession, "Γιώργος Παπαδάκης", "giorgos@example.gr", tags=("Εξαγωγές",), languages="el",
                headline="Σύμβουλος εξαγωγών")
    make_mentor(dbsession, "Ελένη Κ.", "eleni@example.gr", tags=("marketing",), languages="en")

    def names(query: dict[str, str]) -> list[str]:
        page = testapp.get("/mentors", params=query)
        return [link.text for link in page.html.select("#mentor-directory h2 a")]

    assert names({"tag": "marketing"}) == ["Άννα Λιοδάκη", "Ελένη Κ."]
    assert names({"tag": "εξαγωγές"}) == ["Γιώργος Παπαδάκης"]
    assert names({"language": "en"}) == ["Άννα Λιοδάκη", "Ελένη Κ."]
    assert names({"language": "el", "tag": "marketing"}) == ["Άννα Λιοδάκη"]
    assert names({"q": "ΑΝΝΑ"}) == ["Άννα Λιοδάκη"]
    assert names({"q": "εξαγωγων"}) == ["Γιώργος Παπαδάκης"]
    assert names({"language": "xx"}) == ["Άννα Λιοδάκη", "Γιώργος Παπαδάκης", "Ελένη Κ."]
    tag_options = [option["value"] for option in testapp.get("/mentors").html.select("#filter-tag option")]
    assert tag_options == ["", "marketing", "tourism", "Εξαγωγές"]


# --- staff ------------------------------------------------------------------------------------


def test_staff_make_an_account_a_mentor_and_edit_the_profile(testapp, dbsession, staff, tr):
    member = make_user(dbsession, email="member@example.gr", name="Μαρία Μέλος", role=Role.MEMBER)
    form = testapp.get("/admin/incubator/mentors").forms["new-mentor-form"]
    form["email"] = "MEMBER@example.gr"

    response = form.submit()

    assert response.status_int == 303
    dbsession.rollback()
    assert dbsession.get(User, member.id).role == Role.MENTOR
    profile = dbsession.scalar(select(MentorProfile).where(MentorProfile.user_id == member.id))
    page = response.follow()
    edit = page.forms["mentor-profile-form"]
    fill(edit, headline="Νομικός", expertise="legal, intellectual property")
    edit["languages"] = ["el"]
    edit.submit().follow()
    assert [row.tag for row in stored_profile(dbsession, profile.id).expertise] == ["intellectual property", "legal"]


@pytest.mark.parametrize(("email", "message"), [
    ("nobody@example.gr", "No account has this email. Ask the mentor to create one first."),
    ("founder@example.gr", "This account is a founder's. A founder's account cannot also be a mentor's."),
    ("already@example.gr", "This account already has a mentor profile."),
    ("staff@example.gr", "Staff and administrators' accounts cannot be mentors' accounts."),
])
def test_staff_cannot_make_a_mentor_of_a_missing_founder_or_existing_mentor_account(
        testapp, dbsession, staff, tr, email, message):
    make_user(dbsession, email="founder@example.gr", name="Ιδρύτρια", role=Role.FOUNDER)
    make_mentor(dbsession, "Υπάρχων", "already@example.gr")
    form = testapp.get("/admin/incubator/mentors").forms["new-mentor-form"]
    form["email"] = email

    page = form.submit(status=400)

    assert errors(page)["email"] == tr(message)
    assert count(dbsession, MentorProfile) == 1


def test_the_staff_list_shows_assigned_startups_and_logged_hours(testapp, dbsession, staff):
    from tests.functional.test_incubator_staff import make_startup

    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    idle = make_mentor(dbsession, "Βασίλης Αργός", "vasilis@example.gr")
    first, second = make_startup(dbsession, "OliveSense"), make_startup(dbsession, "HelioGrid")
    assign(dbsession, mentor, first)
    assign(dbsession, mentor, second)
    make_session(dbsession, make_slot(dbsession, mentor, -datetime.timedelta(days=3)), first, minutes_logged=60)
    make_session(dbsession, make_slot(dbsession, mentor, -datetime.timedelta(days=2)), second, minutes_logged=30)

    page = testapp.get("/admin/incubator/mentors")

    rows = {row.th.text.strip(): [cell.text.strip() for cell in row.select("td")]
            for row in page.html.select("#mentors tbody tr")}
    assert rows["Άννα Λιοδάκη"][2:] == ["2", "1,5"]
    assert rows[idle.user.name][2:] == ["0", "0"]


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_manage_mentors(testapp, dbsession, logged_in, role):
    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    logged_in(role)

    testapp.get("/admin/incubator/mentors", status=403)
    testapp.get(f"/admin/incubator/mentors/{mentor.id}", status=403)

"""A startup's needs (the tags mentors are matched on) and its logo, as founders and staff set them,
and who may see the logo."""

import datetime
from typing import Any

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from incubator.forms import LOGO_MAX_BYTES
from incubator.models import (
    MentorAssignment,
    MentorProfile,
    Startup,
    StartupFounder,
    StartupNeed,
    StartupStatus,
)
from tests.functional.conftest import login, new_client
from tests.functional.test_certificates_staff import image_bytes
from tests.functional.test_incubator_staff import errors, make_startup


@pytest.fixture
def founder(user_factory: Any) -> User:
    return user_factory(email="eleni@example.gr", role=Role.FOUNDER)


@pytest.fixture
def own(dbsession: Session, founder: User) -> Startup:
    startup = make_startup(dbsession, "OliveSense", status=StartupStatus.INCUBATED)
    dbsession.add(StartupFounder(startup_id=startup.id, user_id=founder.id))
    dbsession.commit()
    return startup


def stored(dbsession: Session, startup: Startup) -> Startup:
    dbsession.rollback()
    return dbsession.get(Startup, startup.id)


def needs_of(dbsession: Session, startup: Startup) -> list[str]:
    dbsession.rollback()
    return list(dbsession.scalars(select(StartupNeed.tag).where(StartupNeed.startup_id == startup.id)
                                  .order_by(StartupNeed.id)))


def profile_form(testapp: webtest.TestApp, startup: Startup) -> Any:
    return testapp.get(f"/account/startups/{startup.id}").forms["startup-form"]


def test_founders_set_needs_as_tags_each_once_whatever_the_case_and_accents(testapp, dbsession, own, founder):
    login(testapp, founder.email)
    form = profile_form(testapp, own)
    form["need_tags"] = " Marketing, ΧΡΗΜΑΤΟΔΌΤΗΣΗ ,χρηματοδοτηση,, export "
    form.submit().follow()

    assert needs_of(dbsession, own) == ["marketing", "χρηματοδότηση", "export"]
    assert profile_form(testapp, own)["need_tags"].value == "export, marketing, χρηματοδότηση"

    form = profile_form(testapp, own)
    form["need_tags"] = "export, legal"
    form.submit().follow()

    kept_export = needs_of(dbsession, own)
    assert kept_export == ["export", "legal"]


def test_too_many_or_too_long_needs_are_refused_and_nothing_changes(testapp, dbsession, own, founder, tr):
    login(testapp, founder.email)
    form = profile_form(testapp, own)
    form["need_tags"] = ", ".join(f"tag{number}" for number in range(16))
    page = form.submit(status=400)
    assert errors(page)["need_tags"] == tr("Give at most ${count} tags.", count=15)

    form = profile_form(testapp, own)
    form["need_tags"] = "x" * 61
    page = form.submit(status=400)
    assert errors(page)["need_tags"] == tr("Each tag may have at most ${count} characters.", count=60)
    assert needs_of(dbsession, own) == []


def test_staff_set_needs_on_the_staff_form_too(testapp, dbsession, own, staff):
    form = testapp.get(f"/admin/incubator/startups/{own.id}").forms["startup-form"]
    assert form["need_tags"].value == ""
    form["need_tags"] = "pitching, sales"
    form.submit().follow()

    assert needs_of(dbsession, own) == ["pitching", "sales"]


def test_a_logo_is_stored_served_with_its_type_and_replaced_by_a_new_address(testapp, dbsession, own, founder):
    login(testapp, founder.email)
    logo = image_bytes("PNG", (200, 200))
    form = profile_form(testapp, own)
    form["logo_upload"] = webtest.Upload("logo.png", logo, "image/png")
    form.submit().follow()

    startup = stored(dbsession, own)
    assert (startup.logo, startup.logo_content_type) == (logo, "image/png")
    page = testapp.get(f"/account/startups/{own.id}")
    address = page.html.select_one("img.startup-logo")["src"]
    response = testapp.get(address)
    assert (response.body, response.content_type) == (logo, "image/png")
    assert "private" in response.headers["Cache-Control"]
    assert testapp.get(address, headers={"If-None-Match": response.etag}, status=304)

    jpeg = image_bytes("JPEG", (120, 120))
    form = profile_form(testapp, own)
    form["logo_upload"] = webtest.Upload("logo.jpg", jpeg, "image/jpeg")
    form.submit().follow()
    assert stored(dbsession, own).logo_content_type == "image/jpeg"

    form = profile_form(testapp, own)
    form["remove_logo"] = True
    form.submit().follow()
    startup = stored(dbsession, own)
    assert (startup.logo, startup.logo_content_type) == (None, "")
    testapp.get(f"/startups/{own.slug}/logo", status=404)


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("logo.png", b"Not an image at all.\n", "Upload the logo as a PNG or JPEG image."),
    ("logo.gif", image_bytes("GIF"), "Upload the logo as a PNG or JPEG image."),
    ("big.png", image_bytes("PNG", (450, 450), noise=True), "The image must be at most ${size} KB."),
])
def test_a_wrong_or_too_large_logo_is_refused_and_the_rest_of_the_form_is_kept(
        testapp, dbsession, own, founder, tr, filename, content, message):
    login(testapp, founder.email)
    if message.startswith("The image"):
        assert len(content) > LOGO_MAX_BYTES
    form = profile_form(testapp, own)
    form["sector"] = "Αγροδιατροφή"
    form["logo_upload"] = webtest.Upload(filename, content, "image/png")
    page = form.submit(status=400)

    assert errors(page)["logo_upload"] == tr(message, size=LOGO_MAX_BYTES // 1024)
    assert page.forms["startup-form"]["sector"].value == "Αγροδιατροφή"
    startup = stored(dbsession, own)
    assert (startup.logo, startup.sector) == (None, "")


def give_logo(dbsession: Session, startup: Startup) -> None:
    dbsession.rollback()
    stored_startup = dbsession.get(Startup, startup.id)
    stored_startup.logo = image_bytes("PNG", (64, 64))
    stored_startup.logo_content_type = "image/png"
    stored_startup.logo_updated_at = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    dbsession.commit()


def test_a_listed_startups_logo_is_public_and_shown_in_the_directory(testapp, dbsession, own):
    give_logo(dbsession, own)
    stored(dbsession, own).in_directory = True
    dbsession.commit()

    directory = testapp.get("/startups")
    address = directory.html.select_one("#startup-directory img.startup-logo")["src"]
    response = testapp.get(address)
    assert response.content_type == "image/png"
    assert "public" in response.headers["Cache-Control"]
    assert testapp.get(f"/startups/{own.slug}").html.select_one("article img.startup-logo")["alt"] == ""


def test_an_unlisted_startups_logo_is_only_for_staff_its_founders_and_its_mentors(
        testapp, dbsession, own, founder, user_factory):
    give_logo(dbsession, own)
    address = f"/startups/{own.slug}/logo"
    testapp.get(address, status=404)

    def seen_by(user: User) -> str:
        client = new_client(testapp.app)
        login(client, user.email)
        return client.get(address, status="*").content_type

    stranger = user_factory(email="other@example.gr", role=Role.FOUNDER)
    assert testapp.get(address, status=404)
    mentor = user_factory(email="mentor@example.gr", role=Role.MENTOR)
    profile = MentorProfile(user_id=mentor.id, slug="mentor", feed_token="t" * 40)
    dbsession.add(profile)
    dbsession.flush()
    dbsession.add(MentorAssignment(mentor_id=profile.id, startup_id=own.id))
    dbsession.commit()
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    other_mentor = user_factory(email="mentor2@example.gr", role=Role.MENTOR)

    assert seen_by(stranger) == "text/html"
    assert seen_by(other_mentor) == "text/html"
    assert seen_by(mentor) == "image/png"
    assert seen_by(founder) == "image/png"
    assert seen_by(staff) == "image/png"

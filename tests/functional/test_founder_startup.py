"""Founders manage their own startup at /account/startups: only theirs, and only the fields that are theirs."""

import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from incubator.models import Startup, StartupFounder, StartupStage, StartupStatus, StartupStatusChange
from tests.functional.conftest import csrf_token
from tests.functional.test_incubator_staff import errors, fill, make_cohort, make_startup


def on_team(dbsession: Session, startup: Startup, user: User, role: str = "") -> None:
    dbsession.rollback()
    dbsession.add(StartupFounder(startup_id=startup.id, user_id=user.id, role=role))
    dbsession.commit()


def stored(dbsession: Session, startup: Startup) -> Startup:
    dbsession.rollback()
    return dbsession.get(Startup, startup.id)


@pytest.fixture
def founder(logged_in: Any) -> User:
    return logged_in(Role.FOUNDER, email="eleni@example.gr")


@pytest.fixture
def own(dbsession: Session, founder: User) -> Startup:
    """The logged-in founder's startup, incubated in a cohort, with a recorded timeline."""
    cohort = make_cohort(dbsession, "Κύκλος 2026")
    startup = make_startup(dbsession, "OliveSense", cohort_id=cohort.id, status=StartupStatus.INCUBATED,
                           sector="Αγροδιατροφή", stage=StartupStage.MVP, description="Αισθητήρες.")
    dbsession.add_all(StartupStatusChange(startup_id=startup.id, status=status, changed_on=day) for status, day in (
        (StartupStatus.APPLICANT, datetime.date(2026, 1, 2)), (StartupStatus.INCUBATED, datetime.date(2026, 2, 1))))
    dbsession.commit()
    on_team(dbsession, startup, founder, "CEO")
    return startup


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/account/startups", "/account/startups/1"])
def test_anonymous_visitors_are_sent_to_the_login_page(testapp, path):
    response = testapp.get(path)

    assert response.status_int == 303
    assert response.location.startswith("http://localhost/login?next=")


def test_a_member_without_a_startup_is_refused(testapp, logged_in, dbsession):
    logged_in(Role.MEMBER)
    startup = make_startup(dbsession)

    testapp.get("/account/startups", status=403)
    testapp.get(f"/account/startups/{startup.id}", status=403)


def test_a_founder_on_no_team_sees_an_empty_list(testapp, founder, tr):
    page = testapp.get("/account/startups")

    assert page.html.select("#my-startups a") == []
    assert tr("You are not on the team of any startup. The centre's staff add founders to their startup's team.") \
        in page.text


def test_the_list_shows_only_the_founders_own_startups(testapp, dbsession, own, founder):
    make_startup(dbsession, "HelioGrid")

    page = testapp.get("/account/startups")

    assert [(link.text, link["href"]) for link in page.html.select("#my-startups a")] == [
        ("OliveSense", f"/account/startups/{own.id}")]


def test_another_startup_is_not_found_and_stays_unchanged(testapp, dbsession, own, founder):
    other = make_startup(dbsession, "HelioGrid", description="Ηλιακή ενέργεια.")

    testapp.get(f"/account/startups/{other.id}", status=404)
    testapp.post(f"/account/startups/{other.id}", {"csrf_token": csrf_token(testapp), "description": "Χάκαρα!",
                                                   "stage": "idea"}, status=404)
    for unknown in ("12345", "0", "99999999999999999999"):
        testapp.get(f"/account/startups/{unknown}", status=404)

    assert stored(dbsession, other).description == "Ηλιακή ενέργεια."


def test_an_admin_on_a_team_still_only_reaches_their_own_startup(testapp, dbsession, logged_in):
    admin = logged_in(Role.ADMIN)
    mine, other = make_startup(dbsession, "OliveSense"), make_startup(dbsession, "HelioGrid")
    on_team(dbsession, mine, admin)

    testapp.get(f"/account/startups/{mine.id}", status=200)
    testapp.get(f"/account/startups/{other.id}", status=404)


# --- editing --------------------------------------------------------------------------------


def test_a_founder_sees_what_staff_keep_the_team_and_the_timeline(testapp, dbsession, own, founder, user_factory,
                                                                   tr):
    teammate = user_factory(email="nikos@example.gr", name="Νίκος Ψαράκης", role=Role.FOUNDER)
    on_team(dbsession, own, teammate, "CTO")

    page = testapp.get(f"/account/startups/{own.id}")

    kept = [detail.text.strip() for detail in page.html.select("#staff-fields dd")]
    assert kept == ["OliveSense", "olivesense", tr("Incubated"), "Κύκλος 2026"]
    # The submit button has no name.
    assert set(page.forms["startup-form"].fields) - {None} == {
        "csrf_token", "description", "sector", "stage", "founded_on", "website", "need_tags", "logo_upload",
        "in_directory"}
    assert [item.text.strip() for item in page.html.select("#team li")] == [
        "Μαρία Παπαδάκη · CEO", "Νίκος Ψαράκης · CTO"]
    # Teammates' emails are not shown.
    assert "nikos@example.gr" not in page.text
    timeline = [item.select_one("time")["datetime"] for item in page.html.select("#timeline li")]
    assert timeline == ["2026-02-01", "2026-01-02"]
    assert tr("Applicant") in page.html.select("#timeline li")[1].text


def test_a_founder_edits_their_startup(testapp, dbsession, own, founder, tr):
    form = testapp.get(f"/account/startups/{own.id}").forms["startup-form"]
    assert (form["description"].value, form["stage"].value, form["in_directory"].checked) == (
        "Αισθητήρες.", "mvp", False)
    fill(form, description="Αισθητήρες για **ελαιώνες**.", sector="Αγροτεχνολογία", stage="early_revenue",
         founded_on="2024-05-04", website="https://olivesense.example.gr")
    form["in_directory"].checked = True

    response = form.submit()

    assert response.status_int == 303
    assert response.location.endswith(f"/account/startups/{own.id}")
    assert tr("Saved.") in response.follow().text
    saved = stored(dbsession, own)
    assert (saved.description, saved.sector, saved.stage, saved.founded_on, saved.website, saved.in_directory) == (
        "Αισθητήρες για **ελαιώνες**.", "Αγροτεχνολογία", StartupStage.EARLY_REVENUE, datetime.date(2024, 5, 4),
        "https://olivesense.example.gr", True)
    # Opted in while incubated: the directory now lists it.
    assert testapp.get("/startups/olivesense").html.h1.text == "OliveSense"


def test_a_founder_may_leave_the_directory(testapp, dbsession, own, founder):
    dbsession.rollback()
    dbsession.get(Startup, own.id).in_directory = True
    dbsession.commit()
    form = testapp.get(f"/account/startups/{own.id}").forms["startup-form"]
    assert form["in_directory"].checked

    form["in_directory"].checked = False
    form.submit(status=303)

    assert stored(dbsession, own).in_directory is False
    testapp.get("/startups/olivesense", status=404)


def test_fields_that_staff_own_cannot_be_changed_even_by_posting_them(testapp, dbsession, own, founder):
    other_cohort = make_cohort(dbsession, "Κύκλος 2027", starts_on=datetime.date(2027, 2, 1),
                               ends_on=datetime.date(2027, 11, 30))
    testapp.post(f"/account/startups/{own.id}", {
        "csrf_token": csrf_token(testapp), "description": "Νέα περιγραφή.", "stage": "mvp",
        "name": "Hacked", "slug": "hacked", "status": "alumni", "cohort_id": str(other_cohort.id),
        "status_since": "2026-03-01",
    }, status=303)

    saved = stored(dbsession, own)
    assert (saved.description, saved.name, saved.slug, saved.status, saved.cohort_id) == (
        "Νέα περιγραφή.", "OliveSense", "olivesense", StartupStatus.INCUBATED, own.cohort_id)
    assert len(saved.status_changes) == 2


def test_a_form_without_the_csrf_token_is_refused(testapp, dbsession, own, founder):
    testapp.post(f"/account/startups/{own.id}", {"description": "Νέα.", "stage": "mvp"}, status=400)

    assert stored(dbsession, own).description == "Αισθητήρες."


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"website": "olivesense.example.gr"}, "website", ("Enter a full web address starting with https://", {})),
    ({"founded_on": "1899-01-01"}, "founded_on", ("Enter a date between ${first} and ${last}.",
                                                  {"first": 2000, "last": 2100})),
    ({"description": "α" * 5001}, "description", ("Must be at most ${max} characters.", {"max": 5000})),
    ({"sector": "x" * 121}, "sector", ("Must be at most ${max} characters.", {"max": 120})),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(
    testapp, dbsession, own, founder, tr, values, field, message
):
    form = testapp.get(f"/account/startups/{own.id}").forms["startup-form"]
    typed = {"sector": "Αγροτεχνολογία", "website": "https://olivesense.example.gr", **values}
    fill(form, **typed)

    page = form.submit(status=400)

    text, mapping = message
    assert errors(page) == {field: tr(text, **mapping)}
    kept = page.forms["startup-form"]
    assert {name: kept[name].value for name in typed} == typed
    saved = stored(dbsession, own)
    assert (saved.sector, saved.website, saved.description) == ("Αγροδιατροφή", "", "Αισθητήρες.")


# --- the account navigation -----------------------------------------------------------------


def my_startups_links(page: Any) -> list[str]:
    return [link["href"] for link in page.html.select('nav.subnav a[href="/account/startups"]')]


def test_the_account_navigation_links_to_my_startups_only_for_founders(testapp, dbsession, own, founder, tr):
    page = testapp.get("/account")

    assert my_startups_links(page) == ["/account/startups"]
    startups = page.click(tr("My startups"), href="/account/startups$")
    assert startups.html.select_one('nav.subnav a[aria-current="page"]')["href"] == "/account/startups"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR, Role.STAFF])
def test_no_link_for_accounts_without_a_startup_of_their_own_to_manage(testapp, dbsession, logged_in, role):
    user = logged_in(role)
    startup = make_startup(dbsession)
    if role is Role.STAFF:
        # Staff on a team manage the startup on the staff screens, which they may use; these pages they may not.
        on_team(dbsession, startup, user)

    assert my_startups_links(testapp.get("/account")) == []

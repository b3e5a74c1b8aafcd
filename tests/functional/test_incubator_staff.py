"""The incubator's staff screens through the real app: cohorts, startups and their founders."""

import datetime
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from dimoskopio.db import utcnow
from incubator.models import (
    Cohort,
    KpiPeriod,
    Startup,
    StartupFounder,
    StartupStage,
    StartupStatus,
    StartupStatusChange,
)
from tests.functional.conftest import csrf_token

STAFF_PAGES = ("/admin/incubator/cohorts", "/admin/incubator/cohorts/new",
               "/admin/incubator/startups", "/admin/incubator/startups/new")



def make_cohort(dbsession: Session, name: str = "Κύκλος 2026", **values: Any) -> Cohort:
    dbsession.rollback()
    cohort = Cohort(name=name, starts_on=values.pop("starts_on", datetime.date(2026, 2, 1)),
                    ends_on=values.pop("ends_on", datetime.date(2026, 11, 30)), **values)
    dbsession.add(cohort)
    dbsession.commit()
    return cohort


def make_startup(dbsession: Session, name: str = "OliveSense", **values: Any) -> Startup:
    dbsession.rollback()
    startup = Startup(name=name, slug=values.pop("slug", name.lower()), **values)
    dbsession.add(startup)
    dbsession.commit()
    return startup


def count(dbsession: Session, model: type[Any]) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(model))


def errors(page: Any) -> dict[str, str]:
    """The messages shown next to fields, by the field's id (HTML-escaped, as `tr` gives them)."""
    return {element["id"].removesuffix("-error"): str(escape(element.text.strip()))
            for element in page.html.select(".error-message")}


def fill(form: Any, **values: str) -> Any:
    for name, value in values.items():
        form[name] = value
    return form


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(testapp, path):
    response = testapp.get(path)

    assert response.status_int == 303
    assert response.location.startswith("http://localhost/login?next=")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_may_manage_the_incubator(testapp, logged_in, role):
    logged_in(role)

    for path in STAFF_PAGES:
        testapp.get(path, status=403)


def test_staff_reach_the_incubator_from_the_staff_navigation(testapp, staff, tr):
    page = testapp.get("/admin")

    startups = page.click(tr("Incubator"), href="/admin/incubator/startups")
    assert startups.html.select_one('a[aria-current="page"]')["href"] == "/admin/incubator/startups"
    assert startups.html.h1.text == tr("Startups")
    assert testapp.get("/admin/incubator/cohorts").html.h1.text == tr("Cohorts")


def test_a_form_without_the_csrf_token_is_refused(testapp, staff, dbsession):
    testapp.post("/admin/incubator/cohorts/new", {"name": "Κύκλος 2027", "starts_on": "2027-02-01",
                                                  "ends_on": "2027-11-30", "kpi_period": "monthly"}, status=400)

    assert count(dbsession, Cohort) == 0


@pytest.mark.parametrize("path", [
    "/admin/incubator/cohorts/12345", "/admin/incubator/startups/12345",
    "/admin/incubator/startups/99999999999999999999", "/admin/incubator/cohorts/99999999999999999999",
    "/admin/incubator/startups/0",
])
def test_unknown_ids_are_not_found(testapp, staff, path):
    testapp.get(path, status=404)


# --- cohorts ----------------------------------------------------------------------------------


def test_staff_add_a_cohort(testapp, staff, dbsession, tr):
    form = testapp.get("/admin/incubator/cohorts/new").forms["cohort-form"]
    fill(form, name=" Κύκλος 2027 ", programme="Πρόγραμμα επιτάχυνσης", description="Δέκα μήνες.",
         starts_on="2027-02-01", ends_on="2027-11-30", kpi_period="monthly")

    response = form.submit()

    assert response.status_int == 303
    page = response.follow()
    assert tr("Saved.") in page.text
    dbsession.rollback()
    cohort = dbsession.scalar(select(Cohort))
    assert (cohort.name, cohort.programme, cohort.description) == ("Κύκλος 2027", "Πρόγραμμα επιτάχυνσης",
                                                                  "Δέκα μήνες.")
    assert (cohort.starts_on, cohort.ends_on, cohort.kpi_period) == (
        datetime.date(2027, 2, 1), datetime.date(2027, 11, 30), KpiPeriod.MONTHLY)
    assert response.location.endswith(f"/admin/incubator/cohorts/{cohort.id}")


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"name": "  "}, "name", ("This field is required.", {})),
    ({"name": "κυκλος 2026"}, "name", ("Another cohort has this name.", {})),
    ({"ends_on": "2027-01-31"}, "ends_on", ("The end cannot be before the start.", {})),
    ({"ends_on": "9999-12-31"}, "ends_on", ("Enter a date between ${first} and ${last}.",
                                            {"first": 2000, "last": 2100})),
    ({"name": "Κ" * 161}, "name", ("Must be at most ${max} characters.", {"max": 160})),
])
def test_a_bad_cohort_is_refused_next_to_the_field_and_nothing_is_stored(
    testapp, staff, dbsession, tr, values, field, message
):
    make_cohort(dbsession, "Κύκλος 2026")
    form = testapp.get("/admin/incubator/cohorts/new").forms["cohort-form"]
    fill(form, **{"name": "Κύκλος 2027", "programme": "Επιτάχυνση", "starts_on": "2027-02-01",
                  "ends_on": "2027-11-30", **values})

    page = form.submit(status=400)

    text, mapping = message
    assert errors(page) == {field: tr(text, **mapping)}
    kept = page.forms["cohort-form"]
    assert kept["programme"].value == "Επιτάχυνση"
    assert kept[field].value == {"name": "Κύκλος 2027", "starts_on": "2027-02-01", "ends_on": "2027-11-30",
                                 **values}[field]
    assert count(dbsession, Cohort) == 1


def test_a_date_that_is_no_date_is_refused_and_kept_as_typed(testapp, staff, dbsession):
    form = testapp.get("/admin/incubator/cohorts/new").forms["cohort-form"]
    fill(form, name="Κύκλος 2027", starts_on="31/02/2027", ends_on="2027-11-30")

    page = form.submit(status=400)

    assert set(errors(page)) == {"starts_on"}
    assert page.forms["cohort-form"]["starts_on"].value == "31/02/2027"
    assert count(dbsession, Cohort) == 0


def test_a_refused_edit_leaves_the_stored_cohort_as_it_was(testapp, staff, dbsession):
    cohort = make_cohort(dbsession, "Κύκλος 2026")
    form = testapp.get(f"/admin/incubator/cohorts/{cohort.id}").forms["cohort-form"]

    fill(form, name="Κύκλος 2026 (νέος)", ends_on="2025-01-01").submit(status=400)

    dbsession.rollback()
    stored = dbsession.get(Cohort, cohort.id)
    assert (stored.name, stored.ends_on) == ("Κύκλος 2026", datetime.date(2026, 11, 30))


def test_editing_a_cohort_keeps_its_own_name_and_lists_its_startups(testapp, staff, dbsession, tr):
    cohort = make_cohort(dbsession, "Κύκλος 2026", kpi_period=KpiPeriod.MONTHLY)
    startup = make_startup(dbsession, "OliveSense", cohort_id=cohort.id, status=StartupStatus.INCUBATED)
    make_startup(dbsession, "HelioGrid")
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    assert page.forms["cohort-form"]["kpi_period"].value == "monthly"
    assert page.forms["cohort-form"]["starts_on"].value == "2026-02-01"
    links = [link["href"] for link in page.html.select("#cohort-startups-heading ~ ul a")]
    assert links == [f"/admin/incubator/startups/{startup.id}", f"/admin/incubator/startups/{startup.id}/graduate"]
    assert tr("Incubated") in page.text

    form = fill(page.forms["cohort-form"], ends_on="2026-12-15", kpi_period="quarterly")
    assert form.submit().status_int == 303

    dbsession.rollback()
    stored = dbsession.get(Cohort, cohort.id)
    assert (stored.name, stored.ends_on, stored.kpi_period) == (
        "Κύκλος 2026", datetime.date(2026, 12, 15), KpiPeriod.QUARTERLY)


def test_the_cohort_list_shows_the_newest_first_with_their_startup_counts(testapp, staff, dbsession):
    older = make_cohort(dbsession, "Κύκλος 2025", starts_on=datetime.date(2025, 2, 1),
                        ends_on=datetime.date(2025, 11, 30))
    newer = make_cohort(dbsession, "Κύκλος 2026")
    make_cohort(dbsession, "Κύκλος 2024", starts_on=datetime.date(2024, 2, 1), ends_on=datetime.date(2024, 11, 30))
    for name in ("OliveSense", "HelioGrid"):
        make_startup(dbsession, name, cohort_id=older.id)
    make_startup(dbsession, "MinoaPath", cohort_id=newer.id)

    page = testapp.get("/admin/incubator/cohorts")

    rows = [(row.th.text, row.select_one("td.numeric").text) for row in page.html.select("tbody tr")]
    assert rows == [("Κύκλος 2026", "1"), ("Κύκλος 2025", "2"), ("Κύκλος 2024", "0")]


# --- startups ---------------------------------------------------------------------------------


def test_staff_add_a_startup_whose_address_is_made_from_its_name(testapp, staff, dbsession, tr):
    cohort = make_cohort(dbsession)
    make_startup(dbsession, "Olive Sense", slug="olive-sense")
    form = testapp.get("/admin/incubator/startups/new").forms["startup-form"]
    fill(form, name="Olive Sense", description="Αισθητήρες για ελαιώνες.", sector="Αγροδιατροφή",
         stage="mvp", status="incubated", founded_on="2025-05-04", website="https://olivesense.example.gr",
         cohort_id=str(cohort.id))

    response = form.submit()

    assert response.status_int == 303
    assert tr("Saved.") in response.follow().text
    dbsession.rollback()
    startup = dbsession.scalar(select(Startup).where(Startup.slug != "olive-sense"))
    assert (startup.slug, startup.sector, startup.stage, startup.status, startup.founded_on, startup.website,
            startup.cohort_id) == ("olive-sense-2", "Αγροδιατροφή", StartupStage.MVP, StartupStatus.INCUBATED,
                                   datetime.date(2025, 5, 4), "https://olivesense.example.gr", cohort.id)


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"slug": "helio-grid"}, "slug", ("Another startup already uses this address.", {})),
    ({"slug": "Olive Sense!"}, "slug", ("Use lower-case Latin letters, digits and hyphens, like startup-night-2027.",
                                        {})),
    ({"website": "olivesense.example.gr"}, "website", ("Enter a full web address starting with https://", {})),
    ({"website": "javascript:alert(1)"}, "website", ("Enter a full web address starting with https://", {})),
    ({"founded_on": "1899-01-01"}, "founded_on", ("Enter a date between ${first} and ${last}.",
                                                  {"first": 2000, "last": 2100})),
    ({"name": ""}, "name", ("This field is required.", {})),
    ({"sector": "x" * 121}, "sector", ("Must be at most ${max} characters.", {"max": 120})),
])
def test_a_bad_startup_is_refused_next_to_the_field_and_nothing_is_stored(
    testapp, staff, dbsession, tr, values, field, message
):
    make_startup(dbsession, "HelioGrid", slug="helio-grid")
    form = testapp.get("/admin/incubator/startups/new").forms["startup-form"]
    typed = {"name": "Olive Sense", "slug": "olive-sense", "sector": "Αγροδιατροφή",
             "website": "https://olivesense.example.gr", **values}
    fill(form, **typed)

    page = form.submit(status=400)

    text, mapping = message
    assert errors(page) == {field: tr(text, **mapping)}
    kept = page.forms["startup-form"]
    assert {name: kept[name].value for name in typed} == typed
    assert count(dbsession, Startup) == 1


def test_editing_a_startup_keeps_its_address_unless_changed(testapp, staff, dbsession):
    cohort = make_cohort(dbsession)
    startup = make_startup(dbsession, "HelioGrid", slug="helio-grid", cohort_id=cohort.id,
                           stage=StartupStage.GROWTH, status=StartupStatus.GRADUATED)
    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["startup-form"]
    assert (form["slug"].value, form["stage"].value, form["status"].value, form["cohort_id"].value) == (
        "helio-grid", "growth", "graduated", str(cohort.id))

    fill(form, name="HelioGrid Κρήτης", status="alumni", cohort_id="0").submit(status=303)

    dbsession.rollback()
    stored = dbsession.get(Startup, startup.id)
    assert (stored.name, stored.slug, stored.status, stored.cohort_id) == (
        "HelioGrid Κρήτης", "helio-grid", StartupStatus.ALUMNI, None)


def test_a_startup_in_no_cohort_shows_none_selected(testapp, staff, dbsession):
    make_cohort(dbsession)
    startup = make_startup(dbsession)

    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["startup-form"]

    assert form["cohort_id"].value == "0"


def timeline_of(dbsession: Session, startup_id: int) -> list[tuple[StartupStatus, datetime.date]]:
    dbsession.rollback()
    return [(change.status, change.changed_on) for change in dbsession.scalars(
        select(StartupStatusChange).where(StartupStatusChange.startup_id == startup_id)
        .order_by(StartupStatusChange.id))]


def athens_today(registry: Any) -> datetime.date:
    return utcnow().astimezone(registry["timezone"]).date()


def test_a_new_startup_starts_its_timeline_today_unless_staff_give_a_date(testapp, staff, dbsession, registry):
    form = testapp.get("/admin/incubator/startups/new").forms["startup-form"]
    assert form["status_since"].value == ""
    fill(form, name="OliveSense", status="applicant").submit(status=303)
    form = testapp.get("/admin/incubator/startups/new").forms["startup-form"]
    fill(form, name="HelioGrid", status="incubated", status_since="2026-02-01").submit(status=303)

    dbsession.rollback()
    olive, helio = (dbsession.scalar(select(Startup.id).where(Startup.name == name))
                    for name in ("OliveSense", "HelioGrid"))
    assert timeline_of(dbsession, olive) == [(StartupStatus.APPLICANT, athens_today(registry))]
    assert timeline_of(dbsession, helio) == [(StartupStatus.INCUBATED, datetime.date(2026, 2, 1))]


def test_a_new_status_is_a_step_of_the_timeline_and_other_edits_are_not(testapp, staff, dbsession, tr):
    form = testapp.get("/admin/incubator/startups/new").forms["startup-form"]
    response = fill(form, name="OliveSense", status="applicant", status_since="2024-12-01").submit(status=303)
    page = response.follow()

    fill(page.forms["startup-form"], sector="Αγροδιατροφή", status_since="2025-01-05").submit(status=303)
    page = testapp.get(response.location)
    fill(page.forms["startup-form"], status="incubated", status_since="2025-02-01").submit(status=303)
    page = testapp.get(response.location)
    fill(page.forms["startup-form"], status="graduated", status_since="2025-11-30").submit(status=303)

    startup_id = int(response.location.rsplit("/", 1)[1])
    assert timeline_of(dbsession, startup_id) == [
        (StartupStatus.APPLICANT, datetime.date(2024, 12, 1)), (StartupStatus.INCUBATED, datetime.date(2025, 2, 1)),
        (StartupStatus.GRADUATED, datetime.date(2025, 11, 30))]
    page = testapp.get(response.location)
    steps = page.html.select("#timeline li")
    assert [step.time["datetime"] for step in steps] == ["2025-11-30", "2025-02-01", "2024-12-01"]
    assert [tr(label) in step.text for step, label in zip(steps, ("Graduated", "Incubated", "Applicant"),
                                                           strict=True)] == [True, True, True]


@pytest.mark.parametrize(("since", "message"), [
    ("future", ("The date cannot be in the future.", {})),
    ("2026-01-31", ("The new status cannot start before the startup's previous one.", {})),
    ("1999-12-31", ("Enter a date between ${first} and ${last}.", {"first": 2000, "last": 2100})),
])
def test_a_bad_status_date_is_refused_and_nothing_is_stored(testapp, staff, dbsession, registry, tr, since,
                                                             message):
    startup = make_startup(dbsession, status=StartupStatus.INCUBATED)
    dbsession.add(StartupStatusChange(startup_id=startup.id, status=StartupStatus.INCUBATED,
                                      changed_on=datetime.date(2026, 2, 1)))
    dbsession.commit()
    if since == "future":
        since = (athens_today(registry) + datetime.timedelta(days=1)).isoformat()
    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["startup-form"]

    page = fill(form, name="OliveSense Κρήτης", status="graduated", status_since=since).submit(status=400)

    text, mapping = message
    assert errors(page) == {"status_since": tr(text, **mapping)}
    assert page.forms["startup-form"]["status_since"].value == since
    assert timeline_of(dbsession, startup.id) == [(StartupStatus.INCUBATED, datetime.date(2026, 2, 1))]
    stored = dbsession.get(Startup, startup.id)
    assert (stored.name, stored.status) == ("OliveSense", StartupStatus.INCUBATED)


def test_staff_list_a_startup_in_the_public_directory_and_take_it_off(testapp, staff, dbsession, tr):
    startup = make_startup(dbsession, status=StartupStatus.INCUBATED)
    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["startup-form"]
    assert not form["in_directory"].checked
    assert tr("Listed in the public directory") in form.html.text

    form["in_directory"].checked = True
    form.submit(status=303)
    dbsession.rollback()
    assert dbsession.get(Startup, startup.id).in_directory is True
    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["startup-form"]
    assert form["in_directory"].checked

    form["in_directory"].checked = False
    form.submit(status=303)
    dbsession.rollback()
    assert dbsession.get(Startup, startup.id).in_directory is False


# --- founders ---------------------------------------------------------------------------------


def founders_of(dbsession: Session, startup: Startup) -> list[tuple[str, str]]:
    dbsession.rollback()
    return [(founder.user.email, founder.role) for founder in dbsession.scalars(
        select(StartupFounder).where(StartupFounder.startup_id == startup.id).order_by(StartupFounder.id))]


def add_founder_form(testapp: Any, startup: Startup, email: str, role: str = "") -> Any:
    form = testapp.get(f"/admin/incubator/startups/{startup.id}").forms["add-founder-form"]
    return fill(form, email=email, role=role)


def test_adding_a_member_as_founder_makes_them_a_founder(testapp, staff, dbsession, user_factory, tr):
    member = user_factory(email="eleni@example.gr", name="Ελένη Μαρκάκη", role=Role.MEMBER)
    startup = make_startup(dbsession)

    response = add_founder_form(testapp, startup, " Eleni@Example.GR ", "CEO").submit()

    assert response.status_int == 303
    page = response.follow()
    assert tr("${name} is on the team.", name="Ελένη Μαρκάκη") in page.text
    assert [row.th.text for row in page.html.select("#founders tbody tr")] == ["Ελένη Μαρκάκη"]
    assert founders_of(dbsession, startup) == [("eleni@example.gr", "CEO")]
    assert dbsession.get(User, member.id).role is Role.FOUNDER


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN, Role.MENTOR, Role.FOUNDER])
def test_adding_a_founder_never_changes_another_role(testapp, staff, dbsession, user_factory, role):
    person = user_factory(email="nikos@example.gr", name="Νίκος Ψαράκης", role=role)
    startup = make_startup(dbsession)

    add_founder_form(testapp, startup, "nikos@example.gr").submit(status=303)

    assert founders_of(dbsession, startup) == [("nikos@example.gr", "")]
    assert dbsession.get(User, person.id).role is role


def test_a_founder_needs_an_account(testapp, staff, dbsession, tr):
    startup = make_startup(dbsession)

    page = add_founder_form(testapp, startup, "nobody@example.gr", "CTO").submit(status=400)

    assert errors(page) == {"email": tr("No account has this email. Ask the founder to create one first.")}
    form = page.forms["add-founder-form"]
    assert (form["email"].value, form["role"].value) == ("nobody@example.gr", "CTO")
    # The startup's own form still shows what is stored.
    assert page.forms["startup-form"]["name"].value == "OliveSense"
    assert founders_of(dbsession, startup) == []


@pytest.mark.parametrize(("email", "role", "field", "message"), [
    ("", "", "email", ("This field is required.", {})),
    ("not-an-email", "", "email", ("Enter a valid email address, like name@example.com.", {})),
    ("eleni@example.gr", "x" * 81, "role", ("Must be at most ${max} characters.", {"max": 80})),
])
def test_a_bad_founder_form_is_refused_next_to_the_field(
    testapp, staff, dbsession, user_factory, tr, email, role, field, message
):
    user_factory(email="eleni@example.gr")
    startup = make_startup(dbsession)

    page = add_founder_form(testapp, startup, email, role).submit(status=400)

    text, mapping = message
    assert errors(page) == {field: tr(text, **mapping)}
    assert founders_of(dbsession, startup) == []


def test_a_founder_is_on_a_team_once(testapp, staff, dbsession, user_factory, tr):
    user_factory(email="eleni@example.gr", role=Role.MEMBER)
    startup = make_startup(dbsession)
    add_founder_form(testapp, startup, "eleni@example.gr", "CEO").submit(status=303)

    page = add_founder_form(testapp, startup, "ELENI@example.gr", "CTO").submit(status=400)

    assert errors(page) == {"email": tr("This account is already on the startup's team.")}
    assert founders_of(dbsession, startup) == [("eleni@example.gr", "CEO")]


def test_one_account_may_found_several_startups(testapp, staff, dbsession, user_factory):
    user_factory(email="eleni@example.gr", role=Role.MEMBER)
    first, second = make_startup(dbsession, "OliveSense"), make_startup(dbsession, "HelioGrid")

    for startup in (first, second):
        add_founder_form(testapp, startup, "eleni@example.gr").submit(status=303)

    assert founders_of(dbsession, first) == founders_of(dbsession, second) == [("eleni@example.gr", "")]


def test_staff_remove_a_founder_and_the_account_stays(testapp, staff, dbsession, user_factory, tr):
    eleni = user_factory(email="eleni@example.gr", name="Ελένη Μαρκάκη", role=Role.MEMBER)
    user_factory(email="nikos@example.gr", name="Νίκος Ψαράκης", role=Role.MEMBER)
    startup = make_startup(dbsession)
    for email in ("eleni@example.gr", "nikos@example.gr"):
        add_founder_form(testapp, startup, email).submit(status=303)
    page = testapp.get(f"/admin/incubator/startups/{startup.id}")
    remove = next(form for form in page.forms.values() if form.action.endswith("/remove")
                  and "Ελένη" in form.html.button.text)

    response = remove.submit()

    assert response.status_int == 303
    assert tr("${name} is off the team.", name="Ελένη Μαρκάκη") in response.follow().text
    assert founders_of(dbsession, startup) == [("nikos@example.gr", "")]
    assert dbsession.get(User, eleni.id).role is Role.FOUNDER


def test_a_founder_is_removed_only_through_their_own_startup(testapp, staff, dbsession, user_factory):
    user_factory(email="eleni@example.gr")
    startup, other = make_startup(dbsession, "OliveSense"), make_startup(dbsession, "HelioGrid")
    add_founder_form(testapp, startup, "eleni@example.gr").submit(status=303)
    founder_id = dbsession.scalar(select(StartupFounder.id))
    token = csrf_token(testapp)

    testapp.post(f"/admin/incubator/startups/{other.id}/founders/{founder_id}/remove", {"csrf_token": token},
                 status=404)
    testapp.post(f"/admin/incubator/startups/{startup.id}/founders/99999999999999/remove", {"csrf_token": token},
                 status=404)
    testapp.post("/admin/incubator/startups/12345/founders", {"csrf_token": token, "email": "eleni@example.gr"},
                 status=404)

    assert founders_of(dbsession, startup) == [("eleni@example.gr", "")]


def test_the_founder_section_appears_once_the_startup_is_saved(testapp, staff):
    page = testapp.get("/admin/incubator/startups/new")

    assert "add-founder-form" not in page.forms


# --- the list ---------------------------------------------------------------------------------


def listed(page: Any) -> list[str]:
    return [row.th.text for row in page.html.select("tbody tr")]


def test_the_startup_list_filters_by_status_cohort_and_name(testapp, staff, dbsession, tr):
    cohort = make_cohort(dbsession)
    make_startup(dbsession, "OliveSense", cohort_id=cohort.id, status=StartupStatus.INCUBATED)
    make_startup(dbsession, "Ελαιώνας Labs", slug="elaionas-labs", cohort_id=cohort.id,
                 status=StartupStatus.GRADUATED)
    make_startup(dbsession, "HelioGrid", status=StartupStatus.INCUBATED)
    make_startup(dbsession, "100%_Crete", slug="crete")

    assert listed(testapp.get("/admin/incubator/startups")) == ["100%_Crete", "HelioGrid", "OliveSense",
                                                                 "Ελαιώνας Labs"]
    assert listed(testapp.get("/admin/incubator/startups", {"status": "incubated"})) == ["HelioGrid", "OliveSense"]
    assert listed(testapp.get("/admin/incubator/startups", {"cohort": str(cohort.id)})) == [
        "OliveSense", "Ελαιώνας Labs"]
    assert listed(testapp.get("/admin/incubator/startups", {"cohort": "none"})) == ["100%_Crete", "HelioGrid"]
    assert listed(testapp.get("/admin/incubator/startups", {"q": "ελαιωνας"})) == ["Ελαιώνας Labs"]
    assert listed(testapp.get("/admin/incubator/startups", {"q": "%_"})) == ["100%_Crete"]
    page = testapp.get("/admin/incubator/startups", {"q": "olive", "status": "incubated", "cohort": str(cohort.id)})
    assert listed(page) == ["OliveSense"]
    assert tr("Incubated") in page.html.select_one("tbody tr").text
    # Nonsense filters are ignored, not an error.
    assert len(listed(testapp.get("/admin/incubator/startups", {"status": "bogus", "cohort": "x" * 50}))) == 4


def test_the_startup_list_is_paged_and_the_links_keep_the_filters(testapp, staff, dbsession):
    dbsession.rollback()
    dbsession.add_all(Startup(name=f"Startup {number:02}", slug=f"startup-{number:02}",
                              status=StartupStatus.INCUBATED) for number in range(1, 33))
    dbsession.add(Startup(name="Startup 99", slug="startup-99", status=StartupStatus.CLOSED))
    dbsession.commit()

    first = testapp.get("/admin/incubator/startups", {"status": "incubated"})
    assert len(listed(first)) == 30
    second = first.click(href="page=2")
    assert "status=incubated" in second.request.url
    assert listed(second) == ["Startup 31", "Startup 32"]
    assert listed(testapp.get("/admin/incubator/startups", {"status": "incubated", "page": "999"})) == listed(second)

"""Matching mentors to a startup's needs, assigning them, and who sees assigned startups."""

import unicodedata

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role
from incubator.models import MentorAssignment, Startup, StartupNeed
from tests.conftest import login, make_user
from tests.functional.conftest import csrf_token
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import count, make_cohort, make_startup
from tests.functional.test_mentors import assign, make_mentor, make_session, make_slot

MENTORS = {
    # name: (expertise, languages)
    "Ζωή Ζαχαράκη": (("Marketing", "export", "design"), "el"),
    "Άλκης Αλεξίου": (("εξαγωγές", "marketing"), "en"),
    "Βάσω Βλάχου": (("marketing", "Εξαγωγές"), "el,en"),
    "Γιάννης Γρηγορίου": (("legal",), "el"),
    "Δέσποινα Δήμου": (("fundraising", "export"), "el"),
}
NEEDS = ("marketing", "Εξαγωγές", "export")


def plain(text: str) -> str:
    """Lower case without accents: how the test compares tags, independently of the app's code."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text.casefold()) if unicodedata.category(ch) != "Mn")


def expected_ranking(founder_locale: str) -> list[tuple[str, list[str]]]:
    needs = {plain(tag): tag for tag in NEEDS}
    rows = []
    for name, (tags, languages) in MENTORS.items():
        shared = sorted({needs[plain(tag)] for tag in tags if plain(tag) in needs}, key=plain)
        rows.append((-len(shared), founder_locale not in languages.split(","), plain(name), name, shared))
    return [(name, shared) for *_key, name, shared in sorted(rows)]


def with_needs(dbsession: Session, startup: Startup, tags: tuple[str, ...]) -> None:
    dbsession.rollback()
    dbsession.add_all(StartupNeed(startup_id=startup.id, tag=tag) for tag in tags)
    dbsession.commit()


@pytest.fixture
def startup(dbsession: Session) -> Startup:
    startup = make_startup(dbsession, "OliveSense")
    with_needs(dbsession, startup, NEEDS)
    founder = make_user(dbsession, email="eleni@example.gr", name="Ελένη Φουντουλάκη", role=Role.FOUNDER)
    on_team(dbsession, startup, founder, "CEO")
    return startup


@pytest.fixture
def mentors(dbsession: Session) -> dict[str, object]:
    return {name: make_mentor(dbsession, name, f"m{index}@example.gr", tags=tags, languages=languages)
            for index, (name, (tags, languages)) in enumerate(MENTORS.items())}


def _table(page, table_id: str) -> list[tuple[str, list[str]]]:
    return [(row.th.a.text, [badge.text for badge in row.select("td.reason .badge")])
            for row in page.html.select(f"#{table_id} tbody tr")]


def test_mentors_are_ranked_by_needs_covered_then_language_then_name_with_the_shared_tags_as_reason(
        testapp, dbsession, staff, startup, mentors):
    page = testapp.get(f"/admin/incubator/startups/{startup.id}/mentors")

    ranking = expected_ranking("el")
    matching = [row for row in ranking if row[1]]
    assert _table(page, "matching-mentors") == matching
    assert _table(page, "other-mentors") == [(name, []) for name, shared in ranking if not shared]
    # The data makes every rule count: a tie on needs broken by language, then one by name.
    assert [name for name, _shared in matching] == [
        "Βάσω Βλάχου", "Ζωή Ζαχαράκη", "Άλκης Αλεξίου", "Δέσποινα Δήμου"]


def test_staff_assign_a_mentor_from_the_startups_side_and_unassign(testapp, dbsession, staff, startup, mentors):
    page = testapp.get(f"/admin/incubator/startups/{startup.id}/mentors")
    [button] = [form for form in page.forms.values() if form.fields.get("mentor_id")
                and form["mentor_id"].value == str(mentors["Βάσω Βλάχου"].id)]

    button.submit().follow()

    page = testapp.get(f"/admin/incubator/startups/{startup.id}/mentors")
    assert [link.text for link in page.html.select("#assigned-mentors > li > a")] == ["Βάσω Βλάχου"]
    assert count(dbsession, MentorAssignment) == 1
    unassign = [form for form in page.forms.values() if "/remove" in form.action]
    unassign[0].submit().follow()
    assert count(dbsession, MentorAssignment) == 0


def test_assigning_twice_changes_nothing(testapp, dbsession, staff, startup, mentors):
    mentor = mentors["Βάσω Βλάχου"]
    assign(dbsession, mentor, startup)

    response = testapp.post(f"/admin/incubator/startups/{startup.id}/mentors",
                            {"mentor_id": mentor.id, "csrf_token": csrf_token(testapp)})

    assert response.status_int == 303
    assert count(dbsession, MentorAssignment) == 1


def test_staff_assign_from_the_mentors_side(testapp, dbsession, staff, startup, mentors):
    mentor = mentors["Γιάννης Γρηγορίου"]
    form = testapp.get(f"/admin/incubator/mentors/{mentor.id}").forms["assign-form"]
    form["startup_id"] = str(startup.id)

    form.submit().follow()

    dbsession.rollback()
    assert dbsession.scalars(select(MentorAssignment.startup_id).where(
        MentorAssignment.mentor_id == mentor.id)).all() == [startup.id]
    page = testapp.get(f"/admin/incubator/mentors/{mentor.id}")
    assert [link.text for link in page.html.select("#mentor-assignments > li > a")] == ["OliveSense"]
    assert "assign-form" not in page.forms, "no startup is left to assign"


def test_an_unknown_startup_or_mentor_is_not_assigned(testapp, dbsession, staff, startup, mentors):
    mentor = mentors["Γιάννης Γρηγορίου"]

    testapp.post(f"/admin/incubator/mentors/{mentor.id}/assignments",
                 {"startup_id": "999999", "csrf_token": csrf_token(testapp)}, status=400)
    testapp.post(f"/admin/incubator/startups/{startup.id}/mentors",
                 {"mentor_id": "999999", "csrf_token": csrf_token(testapp)}, status=400)
    testapp.get("/admin/incubator/startups/999999/mentors", status=404)

    assert count(dbsession, MentorAssignment) == 0


# --- who sees assigned startups ---------------------------------------------------------------


def test_a_mentor_sees_only_the_startups_assigned_to_them(testapp, dbsession, logged_in, startup):
    mentor_user = logged_in(Role.MENTOR, email="nikos@example.gr")
    mentor = make_mentor(dbsession, user=mentor_user)
    other = make_startup(dbsession, "HelioGrid")
    assign(dbsession, mentor, startup)
    colleague = make_mentor(dbsession, "Άλλος Μέντορας", "other-mentor@example.gr")
    assign(dbsession, colleague, other)
    make_session(dbsession, make_slot(dbsession, colleague), other, topic="Μυστικό θέμα")

    home = testapp.get("/account/mentoring")
    assert [link.text for link in home.html.select("#my-mentees a")] == ["OliveSense"]
    page = testapp.get(f"/account/mentoring/startups/{startup.id}")
    assert "Ελένη Φουντουλάκη" in page.text
    assert [badge.text for badge in page.html.select("#startup-needs .badge")] == sorted(NEEDS)
    other_page = testapp.get(f"/account/mentoring/startups/{other.id}", status=404)
    assert "HelioGrid" not in other_page.text
    testapp.get("/account/mentoring/startups/999999", status=404)


def test_founders_see_their_startups_mentors(testapp, dbsession, startup, mentors):
    assign(dbsession, mentors["Βάσω Βλάχου"], startup)
    assign(dbsession, mentors["Ζωή Ζαχαράκη"], make_startup(dbsession, "HelioGrid"))
    login(testapp, "eleni@example.gr")

    page = testapp.get("/account/office-hours")

    assert [item.text.split(" · ")[0].strip() for item in page.html.select(".mentors li")] == ["Βάσω Βλάχου"]


def test_a_cohorts_page_lists_the_mentors_of_its_startups(testapp, dbsession, staff, tr):
    cohort = make_cohort(dbsession, "Κύκλος 2027")
    olive = make_startup(dbsession, "OliveSense", cohort_id=cohort.id)
    helio = make_startup(dbsession, "HelioGrid", cohort_id=cohort.id)
    elsewhere = make_startup(dbsession, "AquaLab")
    maria = make_mentor(dbsession, "Μαρία Κωνσταντάκη", "maria@example.gr")
    nikos = make_mentor(dbsession, "Νίκος Μαρκάκης", "nikos@example.gr")
    outsider = make_mentor(dbsession, "Γιώργος Αλεξίου", "giorgos@example.gr")
    for mentor, startup in ((maria, olive), (maria, helio), (nikos, olive), (outsider, elsewhere)):
        assign(dbsession, mentor, startup)

    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")

    listed = [item.get_text(" ", strip=True) for item in page.html.select("#cohort-mentors li")]
    assert listed == ["Μαρία Κωνσταντάκη : HelioGrid, OliveSense", "Νίκος Μαρκάκης : OliveSense"]
    assert page.html.select_one("#cohort-mentors a")["href"] == f"/admin/incubator/mentors/{maria.id}"

    empty = make_cohort(dbsession, "Κύκλος 2028")
    page = testapp.get(f"/admin/incubator/cohorts/{empty.id}")
    assert page.html.select("#cohort-mentors li") == []
    assert str(escape(page.html.select_one("#cohort-mentors .empty-state").text.strip())) == tr(
        "No mentor is assigned to this cohort's startups yet. Assign them from each startup's Mentors page.")

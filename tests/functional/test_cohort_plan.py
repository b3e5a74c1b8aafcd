"""A cohort's plan: staff keep its milestones and record which startups reached them; founders
see their cohort's plan and where their startup stands."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from incubator.models import Cohort, Milestone, Startup, StartupFounder, StartupMilestone, StartupStatus
from tests.functional.conftest import csrf_token, login, new_client
from tests.functional.test_incubator_staff import count, errors, fill, make_cohort, make_startup

# The centre's today: the app judges due dates by its time zone's date, not the machine's.
TODAY = datetime.datetime.now(ZoneInfo("Europe/Athens")).date()


@pytest.fixture
def cohort(dbsession: Session) -> Cohort:
    return make_cohort(dbsession, "Κύκλος τρέχων", starts_on=TODAY - datetime.timedelta(days=60),
                       ends_on=TODAY + datetime.timedelta(days=120))


def add_milestone(dbsession: Session, cohort: Cohort, title: str, due_in_days: int) -> Milestone:
    dbsession.rollback()
    milestone = Milestone(cohort_id=cohort.id, title=title, due_on=TODAY + datetime.timedelta(days=due_in_days))
    dbsession.add(milestone)
    dbsession.commit()
    return milestone


def reached_rows(dbsession: Session) -> list[tuple[int, int, datetime.date, str]]:
    dbsession.rollback()
    return [(row.startup_id, row.milestone_id, row.completed_on, row.note)
            for row in dbsession.scalars(select(StartupMilestone).order_by(StartupMilestone.id))]


def test_staff_add_edit_and_remove_milestones_in_order_of_their_due_dates(testapp, dbsession, cohort, staff, tr):
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    fill(page.forms["milestone-form"], title="Συνεντεύξεις πελατών",
         due_on=(TODAY + datetime.timedelta(days=30)).isoformat()).submit().follow()
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    response = fill(page.forms["milestone-form"], title="Πρώτο MVP", description="Σε πραγματικούς χρήστες.",
                    due_on=(TODAY - datetime.timedelta(days=10)).isoformat()).submit()
    assert response.location.endswith(f"/admin/incubator/cohorts/{cohort.id}#plan")

    page = response.follow()
    assert [row.th.text.strip() for row in page.html.select("#milestones tbody tr")] == [
        "Πρώτο MVP", "Συνεντεύξεις πελατών"]

    dbsession.rollback()
    [first, second] = dbsession.scalars(select(Milestone).order_by(Milestone.due_on))
    edit = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/milestones/{first.id}")
    fill(edit.forms["milestone-form"], title="MVP σε χρήστες").submit().follow()
    dbsession.rollback()
    assert dbsession.get(Milestone, first.id).title == "MVP σε χρήστες"

    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    remove = next(form for form in page.forms.values() if form.action.endswith(f"/milestones/{second.id}/remove"))
    remove.submit().follow()
    assert count(dbsession, Milestone) == 1


def test_a_milestone_outside_the_cohort_or_without_a_title_is_refused(testapp, dbsession, cohort, staff, tr):
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    response = fill(page.forms["milestone-form"], title="Demo day",
                    due_on=(TODAY + datetime.timedelta(days=400)).isoformat()).submit(status=400)
    assert errors(response)["due_on"] == tr("The due date must fall between the cohort's start and end.")
    assert response.forms["milestone-form"]["title"].value == "Demo day"

    response = fill(response.forms["milestone-form"], title="  ").submit(status=400)
    assert "title" in errors(response)
    assert count(dbsession, Milestone) == 0


def test_a_refused_milestone_leaves_the_cohort_form_showing_the_cohort(testapp, dbsession, staff):
    cohort = make_cohort(dbsession, "Κύκλος τρέχων", description="Ο κύκλος του χειμώνα.",
                         starts_on=TODAY - datetime.timedelta(days=60), ends_on=TODAY + datetime.timedelta(days=120))
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    assert len(page.html.select("#description")) == 1
    response = fill(page.forms["milestone-form"], title="Demo day", description="Μπροστά σε επενδυτές.",
                    due_on=(TODAY + datetime.timedelta(days=400)).isoformat()).submit(status=400)

    assert response.forms["cohort-form"]["description"].value == "Ο κύκλος του χειμώνα."
    assert response.forms["milestone-form"]["description"].value == "Μπροστά σε επενδυτές."
    assert len(response.html.select("#description")) == 1


def test_a_milestone_of_another_cohort_is_not_found_under_this_one(testapp, dbsession, cohort, staff):
    other = make_cohort(dbsession, "Άλλος κύκλος")
    milestone = add_milestone(dbsession, cohort, "Pitch", 10)
    testapp.get(f"/admin/incubator/cohorts/{other.id}/milestones/{milestone.id}", status=404)
    testapp.post(f"/admin/incubator/cohorts/{other.id}/milestones/{milestone.id}/remove",
                 {"csrf_token": csrf_token(testapp)}, status=404)
    assert count(dbsession, Milestone) == 1


def test_staff_record_correct_and_take_back_a_startups_progress(testapp, dbsession, cohort, staff, tr):
    early = add_milestone(dbsession, cohort, "Συνεντεύξεις", -20)
    late = add_milestone(dbsession, cohort, "Demo day", 90)
    startup = make_startup(dbsession, "OliveSense", cohort_id=cohort.id, status=StartupStatus.INCUBATED)

    grid = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress")
    states = [cell["data-state"] for cell in grid.html.select("#progress tbody td")]
    assert states == ["overdue", "upcoming"]

    step = testapp.get(grid.html.select("#progress tbody td a")[0]["href"])
    reached_on = TODAY - datetime.timedelta(days=25)
    response = fill(step.forms["reached-form"], completed_on=reached_on.isoformat(), note="12 συνεντεύξεις").submit()
    assert reached_rows(dbsession) == [(startup.id, early.id, reached_on, "12 συνεντεύξεις")]

    grid = response.follow()
    assert [cell["data-state"] for cell in grid.html.select("#progress tbody td")] == ["reached", "upcoming"]

    step = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress/{startup.id}/{early.id}")
    assert step.forms["reached-form"]["note"].value == "12 συνεντεύξεις"
    fill(step.forms["reached-form"], completed_on=(TODAY - datetime.timedelta(days=21)).isoformat()).submit()
    assert [row[2] for row in reached_rows(dbsession)] == [TODAY - datetime.timedelta(days=21)]

    step = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress/{startup.id}/{early.id}")
    step.forms["reached-form"].submit("remove")
    assert reached_rows(dbsession) == []

    step = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress/{startup.id}/{late.id}")
    response = fill(step.forms["reached-form"], completed_on=(TODAY + datetime.timedelta(days=1)).isoformat()
                    ).submit(status=400)
    assert errors(response)["completed_on"] == tr("The date cannot be in the future.")
    assert reached_rows(dbsession) == []


def test_progress_of_a_startup_outside_the_cohort_is_not_found(testapp, dbsession, cohort, staff):
    milestone = add_milestone(dbsession, cohort, "Pitch", 10)
    outsider = make_startup(dbsession, "Elsewhere")
    testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress/{outsider.id}/{milestone.id}", status=404)
    testapp.post(f"/admin/incubator/cohorts/{cohort.id}/progress/{outsider.id}/{milestone.id}",
                 {"csrf_token": csrf_token(testapp), "completed_on": TODAY.isoformat()}, status=404)
    assert reached_rows(dbsession) == []


def on_team(dbsession: Session, startup: Startup, user: User) -> None:
    dbsession.rollback()
    dbsession.add(StartupFounder(startup_id=startup.id, user_id=user.id))
    dbsession.commit()


def test_founders_see_their_cohorts_plan_and_where_their_startup_stands(
        testapp, dbsession, cohort, user_factory, tr):
    done = add_milestone(dbsession, cohort, "Συνεντεύξεις", -20)
    missed = add_milestone(dbsession, cohort, "Business plan", -5)
    add_milestone(dbsession, cohort, "Pitch", 7)
    add_milestone(dbsession, cohort, "Demo day", 90)
    startup = make_startup(dbsession, "OliveSense", cohort_id=cohort.id, status=StartupStatus.INCUBATED)
    founder = user_factory(email="eleni@example.gr", role=Role.FOUNDER)
    on_team(dbsession, startup, founder)
    dbsession.add(StartupMilestone(startup_id=startup.id, milestone_id=done.id,
                                   completed_on=TODAY - datetime.timedelta(days=22), note="Με 12 αγρότες."))
    dbsession.commit()
    login(testapp, founder.email)

    page = testapp.get(f"/account/startups/{startup.id}")

    rows = page.html.select("#plan tbody tr")
    assert [row.th.contents[0].strip() for row in rows] == ["Συνεντεύξεις", "Business plan", "Pitch", "Demo day"]
    assert [row.select_one(".badge").text.strip() for row in rows] == [
        tr("Reached"), tr("Overdue"), tr("Due soon"), tr("Upcoming")]
    assert "Με 12 αγρότες." in rows[0].text
    assert missed.title in page.text

    # Founders only read the plan; the staff screens stay closed to them.
    testapp.get(f"/admin/incubator/cohorts/{cohort.id}/progress", status=403)


def test_a_founder_of_a_startup_in_no_cohort_sees_no_plan(testapp, dbsession, user_factory):
    startup = make_startup(dbsession, "Solo")
    founder = user_factory(email="solo@example.gr", role=Role.FOUNDER)
    on_team(dbsession, startup, founder)
    client = new_client(testapp.app)
    login(client, founder.email)
    assert client.get(f"/account/startups/{startup.id}").html.select("#plan") == []


def test_removing_a_milestone_removes_what_startups_reached_of_it(testapp, dbsession, cohort, staff):
    milestone = add_milestone(dbsession, cohort, "Pitch", -1)
    startup = make_startup(dbsession, "OliveSense", cohort_id=cohort.id)
    dbsession.add(StartupMilestone(startup_id=startup.id, milestone_id=milestone.id, completed_on=TODAY))
    dbsession.commit()

    testapp.post(f"/admin/incubator/cohorts/{cohort.id}/milestones/{milestone.id}/remove",
                 {"csrf_token": csrf_token(testapp)})

    assert reached_rows(dbsession) == []

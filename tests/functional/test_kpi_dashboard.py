"""The staff's KPI dashboards of a cohort and of a startup: latest values, totals, history,
charts (with their tables), funding, mentor hours and events attended by the team."""

import datetime
import secrets
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role
from dimoskopio.i18n import _, localizer_for
from events.models import Registration, RegistrationStatus
from incubator.models import (
    Cohort,
    FundingRaised,
    FundingSource,
    KpiPeriod,
    KpiReport,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    RevenueBand,
    Startup,
    StartupStatus,
)
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import make_cohort
from tests.functional.test_kpi_reports import incubated, timeline


def quarter(number: int, year: int) -> str:
    """A quarter's label as the Greek pages show it."""
    return localizer_for("el").translate(_("Q${quarter} ${year}", mapping={"quarter": number, "year": year}))

D = datetime.date
UTC = datetime.UTC


def add_report(dbsession: Session, startup: Startup, start: datetime.date, employees: int, customers: int,
               funding: tuple[tuple[int, FundingSource], ...] = (), **values: Any) -> None:
    dbsession.rollback()
    report = KpiReport(startup_id=startup.id, period=values.pop("period", KpiPeriod.QUARTERLY), period_start=start,
                       full_time_employees=employees, customers=customers, **values)
    report.funding = [FundingRaised(amount_eur=amount, source=source) for amount, source in funding]
    dbsession.add(report)
    dbsession.commit()


def cells(page: Any, selector: str) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.select("th, td")] for row in page.html.select(f"{selector} tbody tr")]


@pytest.fixture
def cohort(dbsession: Session) -> Cohort:
    """The 2025 cohort (quarterly): OliveSense and HelioGrid graduated; AquaLab reported nothing."""
    found = make_cohort(dbsession, "Κύκλος 2025", starts_on=D(2025, 2, 1), ends_on=D(2025, 11, 30),
                        kpi_period=KpiPeriod.QUARTERLY)
    olive = incubated(dbsession, "OliveSense", found, status=StartupStatus.GRADUATED)
    helio = incubated(dbsession, "HelioGrid", found, status=StartupStatus.GRADUATED)
    incubated(dbsession, "AquaLab", found)
    for startup in (olive, helio):
        timeline(dbsession, startup, (StartupStatus.GRADUATED, D(2025, 11, 30)))
    add_report(dbsession, olive, D(2025, 1, 1), 2, 10, ((20000, FundingSource.GRANT),))
    add_report(dbsession, olive, D(2025, 4, 1), 3, 25)
    add_report(dbsession, olive, D(2025, 7, 1), 5, 40, ((100000, FundingSource.ANGEL), (5000, FundingSource.PRIZE)),
               revenue_band=RevenueBand.FROM_10K_TO_50K, patents=1)
    add_report(dbsession, helio, D(2025, 1, 1), 1, 0)
    add_report(dbsession, helio, D(2025, 7, 1), 4, 12, ((50000, FundingSource.LOAN),), patents=2)
    return found


def test_the_cohort_dashboard_shows_latest_values_totals_and_quarters(testapp, dbsession, staff, cohort, tr):
    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/kpis")

    latest = {row[0]: row[1:] for row in cells(page, "#latest-table")}
    assert latest["OliveSense"] == [
        tr("Graduated"), quarter(3, 2025), "5", tr("€10,000–50,000"), "40", "1", "125.000 €"]
    assert latest["HelioGrid"] == [tr("Graduated"), quarter(3, 2025), "4", tr("No revenue"), "12", "2", "50.000 €"]
    assert latest["AquaLab"][1] == tr("None yet")
    total = [cell.text.strip() for cell in page.html.select("#latest-table tfoot td")]
    assert total == ["9", "", "52", "3", "175.000 €"]
    assert page.html.select_one("#total-employees .stat-number").text.strip() == "9"
    assert page.html.select_one("#total-funding .stat-number").text.strip() == "175.000 €"
    # Per quarter: each startup's report of the quarter (none from HelioGrid in Q2).
    assert cells(page, "#chart-employees-table") == [
        [quarter(1, 2025), "3"], [quarter(2, 2025), "3"], [quarter(3, 2025), "9"]]
    assert cells(page, "#chart-customers-table") == [
        [quarter(1, 2025), "10"], [quarter(2, 2025), "25"], [quarter(3, 2025), "52"]]
    assert cells(page, "#chart-funding-table") == [[quarter(1, 2025), "20.000 €"], [quarter(2, 2025), "0 €"],
                                                   [quarter(3, 2025), "155.000 €"]]
    assert [image["src"] for image in page.html.select("img.chart")] == [
        f"/admin/incubator/cohorts/{cohort.id}/kpis/{chart}.svg" for chart in ("employees", "funding", "customers")]


def test_the_cohort_charts_are_svg_images(testapp, staff, cohort):
    for chart in ("employees", "funding", "customers"):
        response = testapp.get(f"/admin/incubator/cohorts/{cohort.id}/kpis/{chart}.svg")

        assert response.content_type == "image/svg+xml"
        assert response.text.lstrip().startswith("<svg")
        assert quarter(3, 2025) in response.text
    testapp.get(f"/admin/incubator/cohorts/{cohort.id}/kpis/secrets.svg", status=404)


def test_a_cohort_without_reports_shows_empty_states(testapp, dbsession, staff, tr):
    empty = make_cohort(dbsession, "Κύκλος 2030", starts_on=D(2030, 2, 1), ends_on=D(2030, 11, 30))

    page = testapp.get(f"/admin/incubator/cohorts/{empty.id}/kpis")

    assert tr("No report is due yet in this cohort.") in page.text
    assert page.html.select("img.chart") == []


def checked_in(dbsession: Session, event: Any, name: str, email: str, user_id: int | None = None,
               at: datetime.datetime | None = None) -> None:
    dbsession.rollback()
    dbsession.add(Registration(event_id=event.id, name=name, email=email, user_id=user_id,
                               status=RegistrationStatus.CONFIRMED, link_salt=secrets.token_hex(8),
                               checkin_code=secrets.token_hex(8), checked_in_at=at))
    dbsession.commit()


def session(dbsession: Session, mentor: MentorProfile, startup: Startup, starts_at: datetime.datetime,
            minutes: int | None, status: MentorSessionStatus = MentorSessionStatus.BOOKED) -> None:
    dbsession.rollback()
    slot = OfficeHourSlot(mentor_id=mentor.id, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1))
    dbsession.add(slot)
    dbsession.flush()
    dbsession.add(MentorSession(slot_id=slot.id, startup_id=startup.id, status=status, minutes_logged=minutes))
    dbsession.commit()


def test_the_startup_dashboard_shows_history_funding_mentor_hours_and_events(
        testapp, dbsession, staff, cohort, user_factory, event_factory, tr):
    olive = dbsession.scalar(select(Startup).where(Startup.name == "OliveSense"))
    eleni = user_factory(email="eleni@example.gr", name="Ελένη Μαρκάκη", role=Role.FOUNDER)
    nikos = user_factory(email="nikos@example.gr", name="Νίκος Ψαράκης", role=Role.FOUNDER)
    on_team(dbsession, olive, eleni)
    on_team(dbsession, olive, nikos)
    mentor_user = user_factory(email="mentor@example.gr", role=Role.MENTOR)
    dbsession.rollback()
    mentor = MentorProfile(user_id=mentor_user.id, slug="mentor", feed_token="t" * 40)
    dbsession.add(mentor)
    dbsession.commit()
    when = datetime.datetime(2025, 5, 6, 10, tzinfo=UTC)
    session(dbsession, mentor, olive, when, 90)
    session(dbsession, mentor, olive, when + datetime.timedelta(days=7), 60)
    session(dbsession, mentor, olive, when + datetime.timedelta(days=14), 60, MentorSessionStatus.CANCELLED)
    session(dbsession, mentor, olive, when + datetime.timedelta(days=21), None)
    pitch = event_factory(title_el="Βραδιά παρουσιάσεων", starts_at=datetime.datetime(2025, 6, 3, 16, tzinfo=UTC))
    workshop = event_factory(title_el="Εργαστήριο πωλήσεων", starts_at=datetime.datetime(2025, 9, 9, 16, tzinfo=UTC))
    missed = event_factory(title_el="Ημέρα ενημέρωσης", starts_at=datetime.datetime(2025, 10, 1, 16, tzinfo=UTC))
    arrived = datetime.datetime(2025, 6, 3, 16, 5, tzinfo=UTC)
    checked_in(dbsession, pitch, "Ελένη Μαρκάκη", "eleni@example.gr", eleni.id, arrived)
    checked_in(dbsession, pitch, "Κάποιος άλλος", "someone@example.gr", None, arrived)
    checked_in(dbsession, workshop, "Νίκος Ψαράκης", "Nikos@Example.gr", None, arrived)
    checked_in(dbsession, missed, "Ελένη Μαρκάκη", "eleni@example.gr", eleni.id, None)

    page = testapp.get(f"/admin/incubator/startups/{olive.id}")
    page = page.click(href=f"/admin/incubator/startups/{olive.id}/kpis")

    history = {row[0]: row[1:] for row in cells(page, "#history-table")}
    assert history[quarter(3, 2025)][:6] == [tr("Reported"), "5", tr("€10,000–50,000"), "40", "1", "105.000 €"]
    assert history[quarter(2, 2025)][:6] == [tr("Reported"), "3", tr("No revenue"), "25", "0", "0 €"]
    assert history[quarter(4, 2025)][:2] == [tr("Overdue"), "—"]
    assert cells(page, "#funding-table") == [
        [quarter(1, 2025), tr("Grant"), "—", "20.000 €"], [quarter(3, 2025), tr("Angel investment"), "—", "100.000 €"],
        [quarter(3, 2025), tr("Prize"), "—", "5.000 €"]]
    assert page.html.select_one("#latest-employees .stat-number").text.strip() == "5"
    assert page.html.select_one("#total-funding .stat-number").text.strip() == "125.000 €"
    # 90 + 60 minutes of the two sessions held; the cancelled one and the unlogged one do not count.
    assert page.html.select_one("#mentor-hours .stat-number").text.strip() == "2,5"
    events = [item.text for item in page.html.select("#events-list li")]
    assert len(events) == 2
    assert "Εργαστήριο πωλήσεων" in events[0] and "Νίκος Ψαράκης" in events[0]
    assert "Βραδιά παρουσιάσεων" in events[1] and "Ελένη Μαρκάκη" in events[1] and "Κάποιος" not in events[1]
    assert cells(page, "#chart-employees-table") == [
        [quarter(1, 2025), "2"], [quarter(2, 2025), "3"], [quarter(3, 2025), "5"]]

    chart = testapp.get(f"/admin/incubator/startups/{olive.id}/kpis/funding.svg")
    assert chart.content_type == "image/svg+xml" and quarter(3, 2025) in chart.text


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_see_the_dashboards(testapp, logged_in, cohort, role):
    logged_in(role)
    startup_id = cohort.startups[0].id if cohort.startups else 1

    for path in (f"/admin/incubator/cohorts/{cohort.id}/kpis", f"/admin/incubator/cohorts/{cohort.id}/kpis/funding.svg",
                 f"/admin/incubator/startups/{startup_id}/kpis",
                 f"/admin/incubator/startups/{startup_id}/kpis/employees.svg"):
        testapp.get(path, status=403)


def test_unknown_cohorts_and_startups_are_not_found(testapp, staff):
    for path in ("/admin/incubator/cohorts/999/kpis", "/admin/incubator/startups/999/kpis",
                 "/admin/incubator/startups/999/kpis/funding.svg"):
        testapp.get(path, status=404)

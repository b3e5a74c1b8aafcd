"""The impact report on a dataset made by hand, its figures worked out by hand below (not by the
code under test), checked in the HTML page, the CSV and the PDF's text."""

import csv
import datetime
import io
import re
import secrets
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role
from events.models import EventStatus, Registration, RegistrationStatus
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
    Startup,
    StartupStatus,
    StartupStatusChange,
)
from tests.functional.events_helpers import pdf_text
from tests.functional.test_incubator_staff import make_cohort

D = datetime.date
UTC = datetime.UTC
S = StartupStatus
Q = KpiPeriod.QUARTERLY


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


class Dataset:
    def __init__(self, dbsession: Session, user_factory: Any, event_factory: Any) -> None:
        self.dbsession = dbsession
        self.event_factory = event_factory
        mentor_user = user_factory(email="mentor@example.gr", role=Role.MENTOR)
        dbsession.rollback()
        self.mentor = MentorProfile(user_id=mentor_user.id, slug="mentor", feed_token="t" * 40)
        dbsession.add(self.mentor)
        dbsession.commit()

    def startup(self, name: str, cohort: Cohort | None, *steps: tuple[StartupStatus, datetime.date]) -> Startup:
        self.dbsession.rollback()
        startup = Startup(name=name, slug=name.lower(), cohort_id=cohort.id if cohort else None, status=steps[-1][0])
        startup.status_changes = [StartupStatusChange(status=status, changed_on=day) for status, day in steps]
        self.dbsession.add(startup)
        self.dbsession.commit()
        return startup

    def report(self, startup: Startup, start: datetime.date, employees: int, *funding: tuple[int, FundingSource]
               ) -> None:
        self.dbsession.rollback()
        report = KpiReport(startup_id=startup.id, period=Q, period_start=start, full_time_employees=employees)
        report.funding = [FundingRaised(amount_eur=amount, source=source) for amount, source in funding]
        self.dbsession.add(report)
        self.dbsession.commit()

    def session(self, startup: Startup, starts_at: datetime.datetime, minutes: int,
                status: MentorSessionStatus = MentorSessionStatus.BOOKED) -> None:
        self.dbsession.rollback()
        slot = OfficeHourSlot(mentor_id=self.mentor.id, starts_at=starts_at,
                              ends_at=starts_at + datetime.timedelta(hours=2))
        self.dbsession.add(slot)
        self.dbsession.flush()
        self.dbsession.add(MentorSession(slot_id=slot.id, startup_id=startup.id, status=status,
                                         minutes_logged=minutes))
        self.dbsession.commit()

    def event(self, starts_at: datetime.datetime, status: EventStatus, checked_in: int, absent: int = 1) -> None:
        event = self.event_factory(starts_at=starts_at, status=status)
        self.dbsession.rollback()
        for number in range(checked_in + absent):
            self.dbsession.add(Registration(
                event_id=event.id, name=f"Άτομο {number}", email=f"person{number}-{event.id}@example.gr",
                status=RegistrationStatus.CONFIRMED, link_salt=secrets.token_hex(8),
                checkin_code=secrets.token_hex(8), checked_in_at=starts_at if number < checked_in else None))
        self.dbsession.commit()


@pytest.fixture
def data(dbsession: Session, user_factory: Any, event_factory: Any) -> dict[str, Any]:
    made = Dataset(dbsession, user_factory, event_factory)
    c24 = make_cohort(dbsession, "Κύκλος 2024", starts_on=D(2024, 2, 1), ends_on=D(2024, 11, 30), kpi_period=Q)
    c25 = make_cohort(dbsession, "Κύκλος 2025", starts_on=D(2025, 2, 1), ends_on=D(2025, 11, 30), kpi_period=Q)

    # Graduates of 2024: A still operating, B closed within a year of graduating; C withdrew in 2024.
    a = made.startup("A", c24, (S.APPLICANT, D(2024, 1, 2)), (S.INCUBATED, D(2024, 2, 1)),
                     (S.GRADUATED, D(2024, 11, 30)))
    made.startup("B", c24, (S.INCUBATED, D(2024, 2, 1)), (S.GRADUATED, D(2024, 11, 30)), (S.CLOSED, D(2025, 6, 10)))
    made.startup("C", c24, (S.INCUBATED, D(2024, 2, 1)), (S.WITHDRAWN, D(2024, 5, 1)))
    # Older graduates, in no cohort: G closed between one and two years after graduating; H and K operate.
    made.startup("G", None, (S.INCUBATED, D(2023, 1, 2)), (S.GRADUATED, D(2023, 6, 30)), (S.CLOSED, D(2025, 3, 1)))
    made.startup("H", None, (S.INCUBATED, D(2022, 2, 1)), (S.GRADUATED, D(2022, 12, 31)), (S.ALUMNI, D(2023, 6, 1)))
    k = made.startup("K", None, (S.INCUBATED, D(2023, 2, 1)), (S.GRADUATED, D(2023, 11, 30)))
    # Incubated in 2025: D, E (withdrew in July) and I of the 2025 cohort; F of 2024's, incubated until March 2025.
    d = made.startup("D", c25, (S.INCUBATED, D(2025, 2, 1)))
    e = made.startup("E", c25, (S.INCUBATED, D(2025, 2, 1)), (S.WITHDRAWN, D(2025, 7, 15)))
    made.startup("I", c25, (S.INCUBATED, D(2025, 2, 1)))
    f = made.startup("F", c24, (S.INCUBATED, D(2024, 9, 1)), (S.GRADUATED, D(2025, 3, 31)))
    made.startup("J", c25, (S.APPLICANT, D(2025, 1, 10)))

    made.report(d, D(2025, 1, 1), 2)
    made.report(d, D(2025, 7, 1), 5, (30000, FundingSource.GRANT))
    made.report(d, D(2025, 10, 1), 6, (10000, FundingSource.ANGEL))
    made.report(d, D(2026, 1, 1), 8, (999999, FundingSource.VENTURE_CAPITAL))
    made.report(e, D(2025, 1, 1), 3)
    made.report(e, D(2025, 4, 1), 1, (5000, FundingSource.PRIZE))
    made.report(f, D(2024, 10, 1), 4, (7000, FundingSource.LOAN))
    made.report(f, D(2025, 1, 1), 5)
    made.report(f, D(2025, 4, 1), 7, (200000, FundingSource.VENTURE_CAPITAL))
    # K was not incubated in 2025: what it raised then is not the year's.
    made.report(k, D(2025, 4, 1), 12, (70000, FundingSource.ANGEL))

    made.session(d, at(2025, 3, 3, 10), 120)
    made.session(f, at(2025, 12, 31, 21, 30), 60)  # 23:30 in Athens: still 2025
    made.session(e, at(2024, 12, 31, 22, 30), 30)  # 00:30 on 1 January 2025 in Athens
    made.session(d, at(2025, 12, 31, 22, 30), 50)  # 00:30 on 1 January 2026 in Athens
    made.session(d, at(2025, 5, 5, 10), 60, MentorSessionStatus.CANCELLED)
    made.session(a, at(2025, 4, 4, 10), 100)

    made.event(at(2025, 3, 10, 16), EventStatus.PUBLISHED, checked_in=2)
    made.event(at(2025, 4, 10, 16), EventStatus.CANCELLED, checked_in=1)
    made.event(at(2024, 12, 31, 22, 30), EventStatus.PUBLISHED, checked_in=1)  # 1 January 2025 in Athens
    made.event(at(2026, 1, 5, 16), EventStatus.PUBLISHED, checked_in=2)
    made.event(at(2025, 6, 1, 16), EventStatus.POSTPONED, checked_in=0)
    made.event(at(2025, 7, 1, 16), EventStatus.DRAFT, checked_in=0)
    return {"c24": c24, "c25": c25}


# The year 2025, worked out by hand:
# - supported: D, E, I (incubated from February), F (incubated until 31 March) = 4
# - jobs: D 6 (latest in 2025) - 0 (first incubated in 2025); E 1 - 0; I no report, 0;
#   F 7 - 4 (its Q4 2024 report) = 3; total 10
# - funding: D 30,000 grant + 10,000 angel; E 5,000 prize; F 200,000 venture capital = 245,000
# - survival after 1 year (graduated by 31 Dec 2024): A yes, B no, G yes, H yes, K yes: 4 of 5, 80%
#   after 2 years (graduated by 31 Dec 2023): G no (closed before 30 Jun 2025), H yes, K yes: 2 of 3, 66.7%
# - mentor time: 120 (D) + 60 (F) + 30 (E) + 100 (A) = 310 minutes = 5.2 hours, 4 sessions
# - events: 10 March and 1 January (Athens); attendance 2 + 1 = 3
# - by cohort: 2024: F, 1 startup, 3 jobs, 200,000, mentor 60 (F) + 100 (A) = 160 min = 2.7 h;
#   2025: D, E, I, 3 startups, 7 jobs, 45,000, mentor 120 (D) + 30 (E) = 150 min = 2.5 h


def figures_on(page: Any) -> dict[str, str]:
    return {row["id"].removeprefix("figure-"): " ".join(row.td.text.split())
            for row in page.html.select("#impact-figures tbody tr")}


def rows_of(page: Any, table: str) -> list[list[str]]:
    return [[" ".join(cell.text.split()) for cell in row.select("th, td")]
            for row in page.html.select(f"#{table} tbody tr")]


def test_the_yearly_report_page_shows_the_figures(testapp, staff, data, tr):
    page = testapp.get("/admin/incubator/impact", {"period": "2025"})

    figures = figures_on(page)
    assert figures["startups"] == "4"
    assert figures["jobs"] == "10"
    assert figures["funding"] == "245.000 €"
    assert figures["survival-1"].startswith("80% ") and re.search(r"\(4\D+5\)", figures["survival-1"])
    assert figures["survival-2"].startswith("66,7% ") and re.search(r"\(2\D+3\)", figures["survival-2"])
    assert figures["mentor-hours"].startswith("5,2 ") and re.search(r"\(4\D", figures["mentor-hours"])
    assert figures["events"] == "2"
    assert figures["attendance"] == "3"
    assert rows_of(page, "impact-funding") == [
        [tr("Grant"), "30.000 €"], [tr("Angel investment"), "10.000 €"], [tr("Venture capital"), "200.000 €"],
        [tr("Prize"), "5.000 €"]]
    assert rows_of(page, "impact-cohorts") == [
        ["Κύκλος 2024", "1", "3", "200.000 €", "2,7"], ["Κύκλος 2025", "3", "7", "45.000 €", "2,5"]]
    # The charts are in the page, as SVG images of their own.
    assert len(page.html.select("img.chart[src^='data:image/svg+xml;base64,']")) == 2
    assert tr("How the figures are counted") in page.text


def test_the_period_selector_offers_years_and_cohorts(testapp, staff, data):
    page = testapp.get("/admin/incubator/impact")

    options = [option["value"] for option in page.html.select("#impact-period-select option")]
    this_year = datetime.date.today().year
    assert options[:1] == [str(this_year)]
    assert "2025" in options and "2024" in options and "2023" not in options
    assert options[-2:] == [f"cohort-{data['c25'].id}", f"cohort-{data['c24'].id}"]

    form = page.forms["impact-period-form"]
    form["period"] = "2025"
    assert figures_on(form.submit())["jobs"] == "10"


def test_a_cohorts_report_counts_its_startups_from_its_start_to_today(testapp, staff, data):
    page = testapp.get("/admin/incubator/impact", {"period": f"cohort-{data['c25'].id}"})

    figures = figures_on(page)
    # D, E and I; D's latest report is Q1 2026 (8 people), E's Q2 2025 (1); the quarter of the
    # cohort's start (Q1 2025) is the cohort's.
    assert (figures["startups"], figures["jobs"]) == ("3", "9")
    # 30,000 + 10,000 + 999,999 (D) + 5,000 (E).
    assert figures["funding"] == "1.044.999 €"
    # D: 120 + 50 minutes from 1 February 2025 on (E's session on 1 January is before).
    assert figures["mentor-hours"].startswith("2,8")
    # 10 March 2025 (2 people) and 5 January 2026 (2 people).
    assert (figures["events"], figures["attendance"]) == ("2", "4")
    # No graduate yet.
    assert figures["survival-1"].startswith("—")


def test_the_csv_has_one_figure_a_row(testapp, staff, data, tr):
    response = testapp.get("/admin/incubator/impact.csv", {"period": "2025"})

    assert response.content_type == "text/csv"
    assert 'filename="impact-2025.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    values = dict(rows[1:])
    assert rows[0] == [tr("Figure"), tr("Value")]
    assert values[tr("Startups supported")] == "4"
    assert values[tr("Jobs created")] == "10"
    assert values[tr("Funding raised (euros)")] == "245000"
    assert values[tr("Funding raised (euros): ${source}", source=tr("Venture capital"))] == "200000"
    one_year = tr("Graduates still operating one year after graduating")
    two_years = tr("Graduates still operating two years after graduating")
    assert values[tr("${survival}: graduates counted", survival=one_year)] == "5"
    assert values[tr("${survival}: still operating", survival=one_year)] == "4"
    assert values[tr("${survival}: rate (%)", survival=one_year)] == "80.0"
    assert values[tr("${survival}: graduates counted", survival=two_years)] == "3"
    assert values[tr("${survival}: rate (%)", survival=two_years)] == "66.7"
    assert values[tr("Mentor hours")] == "5.2"
    assert values[tr("Mentor sessions held")] == "4"
    assert values[tr("Events held")] == "2"
    assert values[tr("Attendance (people checked in)")] == "3"
    assert values[f"Κύκλος 2024: {tr('Jobs created')}"] == "3"
    assert values[f"Κύκλος 2025: {tr('Funding raised (euros)')}"] == "45000"
    assert values[f"Κύκλος 2024: {tr('Mentor hours')}"] == "2.7"


def test_the_pdf_has_the_same_figures_and_its_charts(testapp, staff, data, tr):
    response = testapp.get("/admin/incubator/impact.pdf", {"period": "2025"})

    assert response.content_type == "application/pdf"
    assert response.body.startswith(b"%PDF")
    # A download that no cache along the way keeps.
    assert response.headers["Content-Disposition"] == 'attachment; filename="impact-2025.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    text = " ".join(pdf_text(response.body).split())
    assert f"{tr('Startups supported')} 4" in text
    assert f"{tr('Jobs created')} 10" in text
    assert f"{tr('Funding raised')} 245.000 €" in text
    assert f"{tr('Attendance (people checked in)')} 3" in text
    assert "Κύκλος 2024 1 3 200.000 € 2,7" in text
    assert "Κύκλος 2025 3 7 45.000 € 2,5" in text
    assert re.search(r"80% \(4\D+5\)", text)
    # The charts' own text (their titles) is in the PDF: they are drawn, not pictures of text.
    assert tr("Funding raised by source (euros)") in text


@pytest.mark.parametrize("period", ["1999", "2100", "cohort-999", "cohort-x", "abc", ""])
def test_an_unknown_period_is_not_found(testapp, staff, data, period):
    testapp.get("/admin/incubator/impact", {"period": period}, status=404)
    testapp.get("/admin/incubator/impact.csv", {"period": period}, status=404)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_see_the_impact_report(testapp, logged_in, role):
    logged_in(role)

    for path in ("/admin/incubator/impact", "/admin/incubator/impact.csv", "/admin/incubator/impact.pdf"):
        testapp.get(path, status=403)


def test_jobs_lost_are_a_negative_number_in_the_csv_and_text_stays_defused(
        testapp, staff, dbsession, user_factory, event_factory, tr):
    made = Dataset(dbsession, user_factory, event_factory)
    cohort = make_cohort(dbsession, "=Κύκλος 2024", starts_on=D(2024, 2, 1), ends_on=D(2024, 11, 30), kpi_period=Q)
    shrank = made.startup("F", cohort, (S.INCUBATED, D(2024, 9, 1)))
    # Incubated before 2025: its baseline is its last report of 2024 (4 people); it ended 2025 with 2.
    made.report(shrank, D(2024, 10, 1), 4)
    made.report(shrank, D(2025, 1, 1), 2)

    response = testapp.get("/admin/incubator/impact.csv", {"period": "2025"})

    body = response.body.decode("utf-8-sig")
    values = dict(list(csv.reader(io.StringIO(body)))[1:])
    # A number, not the text "'-2" a spreadsheet would not add up.
    assert values[tr("Jobs created")] == "-2"
    # Text that would start a formula (a cohort's name) is still written as text.
    assert values[f"'=Κύκλος 2024: {tr('Jobs created')}"] == "-2"
    assert "'-2" not in body

"""Founders' KPI reports through the real app, the reminders the worker sends, and the staff's
table of who is late."""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from incubator.kpi_services import send_reminders
from incubator.models import (
    Cohort,
    FundingRaised,
    FundingSource,
    KpiPeriod,
    KpiReminder,
    KpiReminderKind,
    KpiReport,
    RevenueBand,
    Startup,
    StartupStatus,
    StartupStatusChange,
)
from incubator.tasks import send_kpi_reminders
from tests.functional.conftest import csrf_token, queued_mail
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import count, errors, fill, make_cohort, make_startup

ATHENS = ZoneInfo("Europe/Athens")


def athens_today() -> datetime.date:
    return utcnow().astimezone(ATHENS).date()


def first_of_month(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` away from `day`'s (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def timeline(dbsession: Session, startup: Startup, *steps: tuple[StartupStatus, datetime.date]) -> None:
    dbsession.rollback()
    dbsession.add_all(StartupStatusChange(startup_id=startup.id, status=status, changed_on=day)
                      for status, day in steps)
    dbsession.commit()


def incubated(dbsession: Session, name: str, cohort: Cohort, since: datetime.date | None = None,
              status: StartupStatus = StartupStatus.INCUBATED) -> Startup:
    startup = make_startup(dbsession, name, cohort_id=cohort.id, status=status)
    timeline(dbsession, startup, (StartupStatus.INCUBATED, since or cohort.starts_on))
    return startup


def report_of(dbsession: Session, startup: Startup, start: datetime.date) -> KpiReport | None:
    dbsession.rollback()
    return dbsession.scalar(select(KpiReport).where(KpiReport.startup_id == startup.id,
                                                    KpiReport.period_start == start))


@pytest.fixture
def founder(logged_in: Any) -> User:
    return logged_in(Role.FOUNDER, email="eleni@example.gr")


@pytest.fixture
def own(dbsession: Session, founder: User) -> Startup:
    """The founder's startup, incubated in a monthly cohort that started four months ago."""
    start = first_of_month(athens_today(), -4)
    cohort = make_cohort(dbsession, "Κύκλος τρέχων", starts_on=start, ends_on=first_of_month(start, 10),
                         kpi_period=KpiPeriod.MONTHLY)
    startup = incubated(dbsession, "OliveSense", cohort)
    on_team(dbsession, startup, founder, "CEO")
    return startup


def month_ago(months: int) -> datetime.date:
    return first_of_month(athens_today(), -months)


# --- founders' list and form ----------------------------------------------------------------


def test_the_founder_sees_the_periods_to_report_with_their_state(testapp, dbsession, own, tr):
    dbsession.add(KpiReport(startup_id=own.id, period=KpiPeriod.MONTHLY, period_start=month_ago(2),
                            full_time_employees=3))
    dbsession.commit()

    page = testapp.get(f"/account/startups/{own.id}")
    page = page.click(href=f"/account/startups/{own.id}/kpis")

    rows = {row["data-period"]: row for row in page.html.select("#kpi-periods tbody tr")}
    # Four months ended since the cohort started (the current one too, on its last day).
    assert {month_ago(4).isoformat(), month_ago(3).isoformat(), month_ago(2).isoformat(),
            month_ago(1).isoformat()} <= set(rows)
    assert month_ago(-1).isoformat() not in rows
    assert tr("Reported") in rows[month_ago(2).isoformat()].text
    # Ended more than 14 days ago and not reported.
    assert tr("Overdue") in rows[month_ago(3).isoformat()].text
    assert tr("Correct the report") in rows[month_ago(2).isoformat()].text
    assert tr("Send the report") in rows[month_ago(4).isoformat()].text


def test_the_founder_sends_a_report_with_funding_rows(testapp, dbsession, own, founder, tr):
    start = month_ago(2)
    form = testapp.get(f"/account/startups/{own.id}/kpis/{start.isoformat()}").forms["kpi-report-form"]
    fill(form, full_time_employees="4", revenue_band="10k_50k", customers="37", patents="1",
         highlights="Πρώτος πελάτης στη Γερμανία.",
         funding_0_amount="25000", funding_0_source="grant", funding_0_source_name="Περιφέρεια Κρήτης",
         funding_2_amount="5000", funding_2_source="prize")

    response = form.submit()

    assert response.status_int == 303
    assert response.location.endswith(f"/account/startups/{own.id}/kpis")
    assert tr("Report saved. Thank you.") in response.follow().text
    report = report_of(dbsession, own, start)
    assert (report.period, report.full_time_employees, report.revenue_band, report.customers, report.patents,
            report.highlights, report.submitted_by_id) == (
        KpiPeriod.MONTHLY, 4, RevenueBand.FROM_10K_TO_50K, 37, 1, "Πρώτος πελάτης στη Γερμανία.", founder.id)
    assert [(row.amount_eur, row.source, row.source_name) for row in report.funding] == [
        (25000, FundingSource.GRANT, "Περιφέρεια Κρήτης"), (5000, FundingSource.PRIZE, "")]


def test_the_founder_corrects_a_report_and_its_funding_is_replaced(testapp, dbsession, own):
    start = month_ago(3)
    earlier = utcnow() - datetime.timedelta(days=20)
    report = KpiReport(startup_id=own.id, period=KpiPeriod.MONTHLY, period_start=start, full_time_employees=2,
                       customers=5, submitted_at=earlier)
    report.funding = [FundingRaised(amount_eur=10000, source=FundingSource.ANGEL, source_name="Άγγελοι Κρήτης"),
                      FundingRaised(amount_eur=999, source=FundingSource.OTHER)]
    dbsession.add(report)
    dbsession.commit()

    form = testapp.get(f"/account/startups/{own.id}/kpis/{start.isoformat()}").forms["kpi-report-form"]
    assert (form["full_time_employees"].value, form["customers"].value) == ("2", "5")
    assert (form["funding_0_amount"].value, form["funding_0_source"].value, form["funding_1_amount"].value) == (
        "10000", "angel", "999")
    # The rows already reported, and two empty ones.
    assert "funding_3_amount" in form.fields and "funding_4_amount" not in form.fields
    fill(form, full_time_employees="3", funding_1_amount="", funding_1_source="")
    form.submit(status=303)

    corrected = report_of(dbsession, own, start)
    assert corrected.id == report.id
    assert corrected.full_time_employees == 3
    assert corrected.submitted_at > earlier
    assert [(row.amount_eur, row.source) for row in corrected.funding] == [(10000, FundingSource.ANGEL)]
    assert count(dbsession, FundingRaised) == 1


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"full_time_employees": "10001"}, "full_time_employees", "Enter a whole number from ${low} to ${high}."),
    ({"full_time_employees": "-1"}, "full_time_employees", "Enter a whole number from ${low} to ${high}."),
    ({"full_time_employees": ""}, "full_time_employees", "This field is required."),
    ({"highlights": "α" * 3001}, "highlights", "Must be at most ${max} characters."),
    ({"funding_0_amount": "0", "funding_0_source": "grant"}, "funding_0_amount",
     "Enter a whole number from ${low} to ${high}."),
    ({"funding_0_amount": "1000000001", "funding_0_source": "grant"}, "funding_0_amount",
     "Enter a whole number from ${low} to ${high}."),
    ({"funding_1_source_name": "Κάποιος"}, "funding_1_amount",
     "Enter the amount raised, or leave the whole row empty."),
    ({"funding_1_amount": "5000"}, "funding_1_source", "Choose where the money came from."),
])
def test_invalid_values_are_refused_and_nothing_is_stored(testapp, dbsession, own, tr, values, field, message):
    start = month_ago(2)
    form = testapp.get(f"/account/startups/{own.id}/kpis/{start.isoformat()}").forms["kpi-report-form"]
    fill(form, **{"full_time_employees": "4", "customers": "10", "patents": "0", **values})

    page = form.submit(status=400)

    assert field in errors(page)
    mapping = {"low": 1 if field.startswith("funding") else 0,
               "high": 1_000_000_000 if field.startswith("funding") else 10_000, "max": 3000}
    assert errors(page)[field] == tr(message, **mapping)
    # What was typed is kept.
    assert page.forms["kpi-report-form"]["customers"].value == "10"
    assert report_of(dbsession, own, start) is None
    assert count(dbsession, FundingRaised) == 0


def test_future_periods_and_periods_not_reported_on_are_refused(testapp, dbsession, own, tr):
    csrf = csrf_token(testapp)
    future = month_ago(-1).isoformat()
    page = testapp.get(f"/account/startups/{own.id}/kpis/{future}", status=400)
    assert tr("This period has not ended yet. Its report can be sent from its last day.") in page.text
    testapp.post(f"/account/startups/{own.id}/kpis/{future}", {"csrf_token": csrf, "full_time_employees": "1",
                                                               "revenue_band": "none", "customers": "1",
                                                               "patents": "0"}, status=400)
    # Before the cohort started; not a month's first day; not a date at all.
    for start in (month_ago(6).isoformat(), month_ago(2).replace(day=2).isoformat()):
        page = testapp.get(f"/account/startups/{own.id}/kpis/{start}", status=400)
        assert tr("Your startup does not report on this period.") in page.text
    testapp.get(f"/account/startups/{own.id}/kpis/2026-13-01", status=404)
    assert count(dbsession, KpiReport) == 0


def test_another_startups_reports_are_not_found(testapp, dbsession, own):
    other = incubated(dbsession, "HelioGrid", dbsession.get(Cohort, own.cohort_id))
    start = month_ago(2).isoformat()

    testapp.get(f"/account/startups/{other.id}/kpis", status=404)
    testapp.get(f"/account/startups/{other.id}/kpis/{start}", status=404)
    testapp.post(f"/account/startups/{other.id}/kpis/{start}", {
        "csrf_token": csrf_token(testapp), "full_time_employees": "1", "revenue_band": "none", "customers": "1",
        "patents": "0"}, status=404)
    testapp.get(f"/account/startups/99999/kpis/{start}", status=404)

    assert count(dbsession, KpiReport) == 0


def test_members_may_not_report(testapp, logged_in, dbsession):
    own = incubated(dbsession, "OliveSense", make_cohort(dbsession, kpi_period=KpiPeriod.MONTHLY))
    logged_in(Role.MEMBER, email="member@example.gr")

    testapp.get(f"/account/startups/{own.id}/kpis", status=403)
    testapp.get(f"/account/startups/{own.id}/kpis/{month_ago(2).isoformat()}", status=403)


# --- reminders ------------------------------------------------------------------------------


@pytest.fixture
def reminded(dbsession: Session, user_factory: Any) -> Startup:
    """An incubated startup of a monthly cohort that started in February 2026, with a Greek- and
    an English-speaking founder."""
    cohort = make_cohort(dbsession, "Κύκλος 2026", starts_on=datetime.date(2026, 2, 1),
                         ends_on=datetime.date(2026, 11, 30), kpi_period=KpiPeriod.MONTHLY)
    startup = incubated(dbsession, "OliveSense", cohort)
    on_team(dbsession, startup, user_factory(email="eleni@example.gr", role=Role.FOUNDER, locale="el"))
    on_team(dbsession, startup, user_factory(email="john@example.com", role=Role.FOUNDER, locale="en",
                                             name="John Smith"))
    return startup


def run_reminders(now: datetime.datetime) -> int:
    with task_request() as request:
        return send_reminders(request, now)


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, 30), tzinfo=ATHENS)


def test_founders_are_reminded_once_on_the_due_date_and_once_when_overdue_in_their_language(
        dbsession, reminded, tr):
    # Before 08:00 at the centre, nothing yet.
    assert run_reminders(at(datetime.date(2026, 3, 31), 7)) == 0
    assert queued_mail(dbsession) == []

    assert run_reminders(at(datetime.date(2026, 3, 31), 8)) == 2
    assert run_reminders(at(datetime.date(2026, 3, 31), 15)) == 0
    assert run_reminders(at(datetime.date(2026, 4, 2), 9)) == 0

    sent = queued_mail(dbsession)
    assert [(mail.template, mail.recipient, mail.locale) for mail in sent] == [
        ("kpi-report-due", "eleni@example.gr", "el"), ("kpi-report-due", "john@example.com", "en")]

    # Two weeks after the last day of March: overdue, once.
    assert run_reminders(at(datetime.date(2026, 4, 14), 10)) == 2
    assert run_reminders(at(datetime.date(2026, 4, 15), 10)) == 0
    sent = queued_mail(dbsession)[2:]
    assert [(mail.template, mail.recipient, mail.locale) for mail in sent] == [
        ("kpi-report-overdue", "eleni@example.gr", "el"), ("kpi-report-overdue", "john@example.com", "en")]
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(KpiReminder)) == 2


def test_the_reminders_text_names_the_startup_and_period_and_links_to_the_form(dbsession, reminded, outbox):
    run_reminders(at(datetime.date(2026, 3, 31), 8))

    greek, english = outbox()
    # The period is named in each founder's language.
    assert "OliveSense" in greek["Subject"] and "Μάρτιος 2026" in greek["Subject"]
    assert english["Subject"] == "OliveSense: the KPI report for March 2026 is due"
    body = english.get_body(("plain",)).get_content()
    assert "Hello John Smith," in body
    assert f"/account/startups/{reminded.id}/kpis/2026-03-01" in body

    run_reminders(at(datetime.date(2026, 4, 14), 8))
    overdue = outbox()[3]
    assert overdue["Subject"] == "OliveSense: the KPI report for March 2026 is overdue"
    assert "due on March 31, 2026" in overdue.get_body(("plain",)).get_content()


def test_no_reminder_for_a_period_already_reported_or_a_startup_that_left(dbsession, reminded, user_factory):
    dbsession.add(KpiReport(startup_id=reminded.id, period=KpiPeriod.MONTHLY, period_start=datetime.date(2026, 3, 1)))
    dbsession.commit()
    gone = incubated(dbsession, "HelioGrid", dbsession.get(Cohort, reminded.cohort_id),
                     status=StartupStatus.WITHDRAWN)
    on_team(dbsession, gone, user_factory(email="gone@example.gr", role=Role.FOUNDER))

    assert run_reminders(at(datetime.date(2026, 3, 31), 8)) == 0
    assert run_reminders(at(datetime.date(2026, 4, 14), 8)) == 0
    assert queued_mail(dbsession) == []


def test_reminders_on_record_are_read_for_the_periods_reminded_of_only(dbsession, reminded, engine):
    sent_at = datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC)
    dbsession.add_all([
        KpiReminder(startup_id=reminded.id, period_start=datetime.date(2026, 2, 1), kind=KpiReminderKind.DUE,
                    sent_at=sent_at),
        KpiReminder(startup_id=reminded.id, period_start=datetime.date(2026, 3, 1), kind=KpiReminderKind.OVERDUE,
                    sent_at=sent_at)])
    dbsession.commit()
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    try:
        # Another period's reminder, and another kind of this period's, do not stop March's.
        assert run_reminders(at(datetime.date(2026, 3, 31), 8)) == 2
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", record)

    # The history of reminders is not loaded: only those of the startups and periods due now.
    [read] = [statement for statement in statements
              if statement.lstrip().upper().startswith("SELECT") and "FROM kpi_reminders" in statement]
    assert "WHERE" in read
    assert [mail.template for mail in queued_mail(dbsession)] == ["kpi-report-due"] * 2


def test_the_periodic_task_sends_through_the_worker(dbsession, reminded, run_tasks):
    # Run as the worker runs it (with the real clock): whatever it sends now, a rerun adds nothing.
    send_kpi_reminders.call_local()
    first = len(queued_mail(dbsession))
    send_kpi_reminders.call_local()

    assert len(queued_mail(dbsession)) == first


# --- staff: who is late -----------------------------------------------------------------------


def quarter_ago(quarters: int) -> datetime.date:
    today = athens_today()
    return first_of_month(today.replace(month=3 * ((today.month - 1) // 3) + 1), -3 * quarters)


def test_staff_see_who_is_late_in_a_cohort(testapp, dbsession, staff, tr):
    cohort = make_cohort(dbsession, "Κύκλος Α", starts_on=quarter_ago(3), ends_on=quarter_ago(-2),
                         kpi_period=KpiPeriod.QUARTERLY)
    diligent = incubated(dbsession, "OliveSense", cohort)
    silent = incubated(dbsession, "HelioGrid", cohort)
    make_startup(dbsession, "Applicant", cohort_id=cohort.id, status=StartupStatus.APPLICANT)
    dbsession.add_all(KpiReport(startup_id=diligent.id, period=KpiPeriod.QUARTERLY, period_start=start)
                      for start in (quarter_ago(3), quarter_ago(1)))
    dbsession.commit()

    page = testapp.get(f"/admin/incubator/cohorts/{cohort.id}")
    page = page.click(href=f"/admin/incubator/cohorts/{cohort.id}/kpis")

    def cell(startup: Startup, start: datetime.date) -> str:
        row = page.html.select_one(f"#late-table tr[data-startup='{startup.id}']")
        return row.select_one(f"td[data-period='{start.isoformat()}']").text.strip()

    assert cell(diligent, quarter_ago(3)) == tr("Reported")
    assert cell(diligent, quarter_ago(2)) == tr("Overdue")
    assert cell(diligent, quarter_ago(1)) == tr("Reported")
    assert cell(silent, quarter_ago(3)) == tr("Overdue")
    assert cell(silent, quarter_ago(2)) == tr("Overdue")
    assert cell(silent, quarter_ago(1)) in (tr("Due"), tr("Overdue"))
    assert [row.th.text.strip() for row in page.html.select("#late-table tbody tr")] == [
        "Applicant", "HelioGrid", "OliveSense"]
    assert tr("Not required") in page.html.select_one("#late-table tbody tr").text


@pytest.mark.parametrize("role", [Role.MEMBER, Role.FOUNDER, Role.MENTOR])
def test_only_staff_see_the_late_table(testapp, dbsession, logged_in, role):
    cohort = make_cohort(dbsession)
    logged_in(role)

    testapp.get(f"/admin/incubator/cohorts/{cohort.id}/kpis", status=403)


def test_a_row_sent_beyond_those_shown_is_shown_back_with_its_error(testapp, dbsession, own, tr):
    start = month_ago(2).isoformat()

    page = testapp.post(f"/account/startups/{own.id}/kpis/{start}", {
        "csrf_token": csrf_token(testapp), "full_time_employees": "1", "revenue_band": "none", "customers": "1",
        "patents": "0", "funding_6_amount": "5000"}, status=400)

    assert errors(page)["funding_6_source"] == tr("Choose where the money came from.")
    assert page.forms["kpi-report-form"]["funding_6_amount"].value == "5000"
    assert count(dbsession, KpiReport) == 0


def test_a_report_of_a_period_no_longer_asked_for_is_listed_but_not_editable(testapp, dbsession, own, tr):
    earlier = month_ago(7)
    dbsession.add(KpiReport(startup_id=own.id, period=KpiPeriod.MONTHLY, period_start=earlier,
                            full_time_employees=1))
    dbsession.commit()

    page = testapp.get(f"/account/startups/{own.id}/kpis")

    row = page.html.select_one(f"#kpi-periods tr[data-period='{earlier.isoformat()}']")
    assert tr("Reported") in row.text and row.select("a") == []
    testapp.get(f"/account/startups/{own.id}/kpis/{earlier.isoformat()}", status=400)

"""KPI reporting periods: months and quarters, their ends, due and overdue dates, and which
periods a startup must report on."""

import datetime

import pytest

from incubator.kpi_services import (
    ReportingPeriod,
    add_months,
    add_years,
    period_start,
    periods_between,
    reminder_kind,
    schedule,
)
from incubator.models import KpiPeriod, KpiReminderKind, StartupStatus

D = datetime.date
MONTHLY = KpiPeriod.MONTHLY
QUARTERLY = KpiPeriod.QUARTERLY


@pytest.mark.parametrize(("day", "kind", "start"), [
    (D(2026, 3, 17), MONTHLY, D(2026, 3, 1)),
    (D(2026, 3, 17), QUARTERLY, D(2026, 1, 1)),
    (D(2026, 4, 1), QUARTERLY, D(2026, 4, 1)),
    (D(2026, 9, 30), QUARTERLY, D(2026, 7, 1)),
    (D(2026, 12, 31), QUARTERLY, D(2026, 10, 1)),
    (D(2026, 12, 31), MONTHLY, D(2026, 12, 1)),
])
def test_a_day_falls_in_the_month_or_quarter_that_starts_on(day, kind, start):
    assert period_start(day, kind) == start


@pytest.mark.parametrize(("start", "kind", "end"), [
    (D(2026, 1, 1), MONTHLY, D(2026, 1, 31)),
    (D(2026, 4, 1), MONTHLY, D(2026, 4, 30)),
    (D(2027, 2, 1), MONTHLY, D(2027, 2, 28)),
    (D(2028, 2, 1), MONTHLY, D(2028, 2, 29)),  # leap year
    (D(2026, 12, 1), MONTHLY, D(2026, 12, 31)),  # year end
    (D(2028, 1, 1), QUARTERLY, D(2028, 3, 31)),
    (D(2026, 4, 1), QUARTERLY, D(2026, 6, 30)),
    (D(2026, 10, 1), QUARTERLY, D(2026, 12, 31)),
])
def test_a_period_ends_on_its_last_day(start, kind, end):
    period = ReportingPeriod(start, kind)

    assert period.end == end
    assert period.due_on == end
    assert period.overdue_on == end + datetime.timedelta(days=14)


def test_the_next_period_after_the_years_last_starts_the_next_year():
    assert ReportingPeriod(D(2026, 12, 1), MONTHLY).next_start == D(2027, 1, 1)
    assert ReportingPeriod(D(2026, 10, 1), QUARTERLY).next_start == D(2027, 1, 1)


def test_months_and_years_are_added_to_the_months_last_day_when_shorter():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_years(D(2028, 2, 29), 1) == D(2029, 2, 28)
    assert add_years(D(2028, 2, 29), 4) == D(2032, 2, 29)


def test_periods_between_two_days_include_both_ends_periods():
    assert [period.start for period in periods_between(D(2026, 11, 20), D(2027, 2, 1), MONTHLY)] == [
        D(2026, 11, 1), D(2026, 12, 1), D(2027, 1, 1), D(2027, 2, 1)]
    assert [period.start for period in periods_between(D(2026, 2, 1), D(2026, 11, 30), QUARTERLY)] == [
        D(2026, 1, 1), D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1)]


def test_quarters_and_months_are_named_in_the_readers_language():
    assert ReportingPeriod(D(2026, 3, 1), MONTHLY).label("en") == "March 2026"
    assert ReportingPeriod(D(2026, 3, 1), MONTHLY).label("el") == "Μάρτιος 2026"
    assert ReportingPeriod(D(2026, 10, 1), QUARTERLY).label("en") == "Q4 2026"


def starts(periods):
    return [period.start for period in periods]


def test_an_incubated_startup_reports_every_ended_period_from_its_cohorts_start():
    periods = schedule(D(2026, 2, 10), MONTHLY, StartupStatus.INCUBATED, None, None, today=D(2026, 5, 30))

    # May ends on the 31st: not reportable yet on the 30th.
    assert starts(periods) == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]
    assert starts(schedule(D(2026, 2, 10), MONTHLY, StartupStatus.INCUBATED, None, None, today=D(2026, 5, 31)))[-1] \
        == D(2026, 5, 1)


def test_a_graduate_reports_at_its_cohorts_rhythm_to_the_end_of_its_quarter_then_quarterly_for_two_years():
    periods = schedule(D(2026, 2, 1), MONTHLY, StartupStatus.GRADUATED, D(2026, 11, 30), None, today=D(2030, 1, 1))

    monthly = [period for period in periods if period.kind is MONTHLY]
    quarterly = [period for period in periods if period.kind is QUARTERLY]
    assert starts(monthly) == [D(2026, month, 1) for month in range(2, 13)]
    # From January 2027 to the quarter of 30 November 2028, two years after graduating: no gap, no overlap.
    assert starts(quarterly) == [D(year, month, 1) for year in (2027, 2028) for month in (1, 4, 7, 10)]


def test_a_graduate_of_a_quarterly_cohort_reports_its_quarters_and_only_those_ended():
    periods = schedule(D(2025, 2, 1), QUARTERLY, StartupStatus.ALUMNI, D(2025, 11, 30), None, today=D(2026, 4, 10))

    assert starts(periods) == [D(2025, 1, 1), D(2025, 4, 1), D(2025, 7, 1), D(2025, 10, 1), D(2026, 1, 1)]
    assert {period.kind for period in periods} == {QUARTERLY}


def test_a_startup_that_closed_reports_the_periods_that_ended_before_it_left():
    periods = schedule(D(2026, 2, 1), QUARTERLY, StartupStatus.CLOSED, None, D(2026, 8, 15), today=D(2027, 6, 1))

    assert starts(periods) == [D(2026, 1, 1), D(2026, 4, 1)]


@pytest.mark.parametrize("status", [StartupStatus.APPLICANT, StartupStatus.WITHDRAWN])
def test_applicants_and_startups_without_a_leaving_date_report_nothing(status):
    assert schedule(D(2026, 2, 1), MONTHLY, status, None, None, today=D(2027, 1, 1)) == []


def test_a_period_is_due_from_its_last_day_and_overdue_two_weeks_later_reminded_once_in_the_week_after():
    period = ReportingPeriod(D(2026, 3, 1), MONTHLY)

    assert reminder_kind(period, D(2026, 3, 30)) is None
    assert reminder_kind(period, D(2026, 3, 31)) is KpiReminderKind.DUE
    assert reminder_kind(period, D(2026, 4, 13)) is KpiReminderKind.DUE
    assert reminder_kind(period, D(2026, 4, 14)) is KpiReminderKind.OVERDUE
    assert reminder_kind(period, D(2026, 4, 20)) is KpiReminderKind.OVERDUE
    assert reminder_kind(period, D(2026, 4, 21)) is None


def test_a_graduate_that_closed_later_reports_its_graduates_periods_until_it_closed():
    periods = schedule(D(2026, 2, 1), MONTHLY, StartupStatus.CLOSED, D(2026, 11, 30), D(2027, 8, 15),
                       today=D(2028, 6, 1))

    assert starts([period for period in periods if period.kind is MONTHLY])[-1] == D(2026, 12, 1)
    assert starts([period for period in periods if period.kind is QUARTERLY]) == [D(2027, 1, 1), D(2027, 4, 1)]

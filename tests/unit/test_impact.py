"""The impact report's rules on startups' timelines and reports, and the seeded KPI history."""

import datetime

from sqlalchemy import select

from incubator.impact import Scope, incubated_spells, jobs_created, operating_on, supported_in
from incubator.kpi_services import late_table, required_periods
from incubator.models import KpiPeriod, KpiReport, Startup, StartupStatus, StartupStatusChange

D = datetime.date
S = StartupStatus
YEAR_2025 = Scope("2025", D(2025, 1, 1), D(2025, 12, 31))


def startup(*steps: tuple[StartupStatus, datetime.date]) -> Startup:
    return Startup(name="OliveSense", status=steps[-1][0],
                   status_changes=[StartupStatusChange(id=index, status=status, changed_on=day)
                                   for index, (status, day) in enumerate(steps)])


def reports(*figures: tuple[datetime.date, int]) -> list[KpiReport]:
    return [KpiReport(period=KpiPeriod.QUARTERLY, period_start=start, full_time_employees=employees)
            for start, employees in figures]


def test_an_incubated_spell_lasts_until_the_next_step():
    graduate = startup((S.APPLICANT, D(2024, 1, 5)), (S.INCUBATED, D(2024, 2, 1)), (S.GRADUATED, D(2025, 1, 1)))

    assert incubated_spells(graduate) == [(D(2024, 2, 1), D(2025, 1, 1))]
    # Graduated on the year's first day: not incubated on any day of it.
    assert not supported_in(graduate, YEAR_2025)
    assert supported_in(startup((S.INCUBATED, D(2024, 2, 1)), (S.GRADUATED, D(2025, 1, 2))), YEAR_2025)
    assert supported_in(startup((S.INCUBATED, D(2025, 12, 31))), YEAR_2025)
    assert not supported_in(startup((S.APPLICANT, D(2025, 3, 1))), YEAR_2025)


def test_jobs_count_from_zero_for_startups_incubated_within_the_period():
    assert jobs_created(startup((S.INCUBATED, D(2025, 2, 1))), reports((D(2025, 1, 1), 3), (D(2025, 7, 1), 5)),
                        YEAR_2025) == 5


def test_jobs_count_from_the_latest_earlier_report_or_the_first_of_the_period():
    older = startup((S.INCUBATED, D(2024, 9, 1)))

    assert jobs_created(older, reports((D(2024, 7, 1), 2), (D(2024, 10, 1), 4), (D(2025, 4, 1), 7)), YEAR_2025) == 3
    assert jobs_created(older, reports((D(2025, 1, 1), 4), (D(2025, 10, 1), 3)), YEAR_2025) == -1
    assert jobs_created(older, reports((D(2024, 10, 1), 4), (D(2026, 1, 1), 9)), YEAR_2025) == 0


def test_a_startup_operates_until_it_closes_or_withdraws():
    closed = startup((S.INCUBATED, D(2023, 2, 1)), (S.GRADUATED, D(2024, 2, 29)), (S.CLOSED, D(2025, 3, 1)))

    assert operating_on(closed, D(2024, 2, 29), D(2025, 2, 28))
    assert not operating_on(closed, D(2024, 2, 29), D(2026, 2, 28))


def test_the_seed_has_kpi_history_and_one_startup_late_in_the_current_cohort(app, dbsession):
    from dimoskopio.seed import run_seeders

    dbsession.rollback()
    today = D(2026, 11, 27)
    run_seeders(app.registry, dbsession, scale=0.2, today=today)
    dbsession.commit()

    startups = list(dbsession.scalars(select(Startup).where(Startup.cohort_id.is_not(None))))
    reported = {(report.startup_id, report.period_start) for report in dbsession.scalars(select(KpiReport))}
    past = [found for found in startups if found.status in (S.GRADUATED, S.ALUMNI)]
    assert past, "past cohorts have graduates"
    for graduate in past:
        periods = required_periods(graduate, today)
        assert periods and all((graduate.id, period.start) in reported for period in periods)
    current = max({found.cohort for found in startups}, key=lambda cohort: cohort.starts_on)
    assert late_table(dbsession, current, today).count("overdue") == 1

"""KPI reports under real concurrency (PostgreSQL, real threads and commits): reminders sent by
several workers at once go out once; teammates sending the same period's report at once leave
one report; two corrections of one report at once leave one set of funding rows."""

import datetime
import threading

import webtest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from incubator import kpi_services
from incubator.models import FundingRaised, KpiPeriod, KpiReminder, KpiReport
from tests.conftest import login, make_user
from tests.functional.conftest import queued_mail
from tests.functional.test_founder_startup import on_team
from tests.functional.test_incubator_staff import make_cohort
from tests.functional.test_kpi_reports import at, incubated, month_ago, run_reminders
from tests.postgres.test_concurrency import ENVIRON, run_together

WORKERS = 4
FOUNDERS = 4


def test_workers_sending_reminders_at_once_send_each_once(app, dbsession):
    cohort = make_cohort(dbsession, "Κύκλος 2026", starts_on=datetime.date(2026, 2, 1),
                         ends_on=datetime.date(2026, 11, 30), kpi_period=KpiPeriod.MONTHLY)
    startup = incubated(dbsession, "OliveSense", cohort)
    for email in ("eleni@example.gr", "nikos@example.gr"):
        on_team(dbsession, startup, make_user(dbsession, email=email, role=Role.FOUNDER))

    sent = run_together(WORKERS, lambda _index: run_reminders(at(datetime.date(2026, 3, 31), 9)))

    assert sorted(sent) == [0] * (WORKERS - 1) + [2]
    assert sorted(mail.recipient for mail in queued_mail(dbsession)) == ["eleni@example.gr", "nikos@example.gr"]
    assert dbsession.scalar(select(func.count()).select_from(KpiReminder)) == 1


def test_teammates_sending_the_same_report_at_once_leave_one_report(app, dbsession):
    start = month_ago(2)
    cohort = make_cohort(dbsession, "Κύκλος τρέχων", starts_on=month_ago(4), ends_on=month_ago(-6),
                         kpi_period=KpiPeriod.MONTHLY)
    startup = incubated(dbsession, "OliveSense", cohort)
    forms = []
    for index in range(FOUNDERS):
        user = make_user(dbsession, email=f"founder{index}@example.gr", role=Role.FOUNDER)
        on_team(dbsession, startup, user)
        client = webtest.TestApp(app, extra_environ=ENVIRON)
        login(client, user.email)
        form = client.get(f"/account/startups/{startup.id}/kpis/{start.isoformat()}").forms["kpi-report-form"]
        form["full_time_employees"] = str(index + 1)
        form["customers"] = "10"
        form["patents"] = "0"
        form["funding_0_amount"] = str(1000 * (index + 1))
        form["funding_0_source"] = "grant"
        forms.append(form)

    statuses = run_together(FOUNDERS, lambda index: forms[index].submit(expect_errors=True).status_int)

    assert statuses == [303] * FOUNDERS
    dbsession.rollback()
    [report] = dbsession.scalars(select(KpiReport)).all()
    # The last save stands, whole: its figures with its own funding row.
    assert [row.amount_eur for row in report.funding] == [1000 * report.full_time_employees]
    assert dbsession.scalar(select(func.count()).select_from(FundingRaised)) == 1


def _report_form(app, user, path, employees, amount):
    client = webtest.TestApp(app, extra_environ=ENVIRON)
    login(client, user.email)
    form = client.get(path).forms["kpi-report-form"]
    form["full_time_employees"] = str(employees)
    form["customers"] = "10"
    form["patents"] = "0"
    form["funding_0_amount"] = str(amount)
    form["funding_0_source"] = "grant"
    return form


def test_two_corrections_at_once_leave_the_later_ones_funding_only(app, dbsession, monkeypatch):
    start = month_ago(2)
    cohort = make_cohort(dbsession, "Κύκλος τρέχων", starts_on=month_ago(4), ends_on=month_ago(-6),
                         kpi_period=KpiPeriod.MONTHLY)
    startup = incubated(dbsession, "OliveSense", cohort)
    eleni = make_user(dbsession, email="eleni@example.gr", role=Role.FOUNDER)
    nikos = make_user(dbsession, email="nikos@example.gr", role=Role.FOUNDER)
    on_team(dbsession, startup, eleni)
    on_team(dbsession, startup, nikos)
    path = f"/account/startups/{startup.id}/kpis/{start.isoformat()}"
    assert _report_form(app, eleni, path, 1, 1000).submit().status_int == 303
    elenis = _report_form(app, eleni, path, 2, 2000)
    nikoss = _report_form(app, nikos, path, 3, 3000)
    save_report = kpi_services.save_report
    statuses = []

    def elenis_correction_commits_first(*args, **kwargs):
        # Nikos's request has loaded the report and its funding (1,000); Eleni's correction is
        # stored and committed (in a thread of its own, as another app server would) before his
        # is.
        monkeypatch.setattr(kpi_services, "save_report", save_report)
        thread = threading.Thread(target=lambda: statuses.append(elenis.submit(expect_errors=True).status_int))
        thread.start()
        thread.join(timeout=30)
        return save_report(*args, **kwargs)

    monkeypatch.setattr(kpi_services, "save_report", elenis_correction_commits_first)
    statuses.append(nikoss.submit(expect_errors=True).status_int)

    assert statuses == [303, 303]
    dbsession.rollback()
    [report] = dbsession.scalars(select(KpiReport)).all()
    # Nikos's correction replaced Eleni's, funding included: nothing is counted twice.
    assert report.full_time_employees == 3
    assert [row.amount_eur for row in report.funding] == [3000]
    assert dbsession.scalar(select(func.count()).select_from(FundingRaised)) == 1

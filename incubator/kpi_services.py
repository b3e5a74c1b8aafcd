"""Startups' KPI reports: which periods each startup reports on, their state, storing a report,
the reminders, and the figures of the staff dashboards.

Who reports, and for which periods:

- A startup reports for its cohort, at the cohort's rhythm (monthly or quarterly), every period
  from the one its cohort starts in.
- While incubated, it reports every period that has ended.
- Once graduated (graduates and alumni), it reports at the cohort's rhythm until the end of the
  quarter it graduated in, then quarterly for two years after its graduation, so that the centre can
  measure survival and growth. The periods never overlap and leave no gap.
- A startup that withdrew or closed (during the programme, or after graduating) reports the
  periods that ended before it left; nothing after.
- Applicants, and startups in no cohort, report nothing.

A period can be reported once its last day has come: it is due on that day, and overdue
`OVERDUE_AFTER` later. Founders may correct a report they sent at any time.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from pyramid.request import Request
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from dimoskopio.accounts.models import User
from dimoskopio.db import lock_row
from dimoskopio.i18n import _, localizer_for
from dimoskopio.mail.services import send_email
from events.models import Event, Registration
from incubator.mentor_services import held_sessions
from incubator.models import (
    Cohort,
    FundingRaised,
    KpiPeriod,
    KpiReminder,
    KpiReminderKind,
    KpiReport,
    MentorSession,
    RevenueBand,
    Startup,
    StartupStatus,
)

OVERDUE_AFTER = datetime.timedelta(days=14)
# Graduates keep reporting, quarterly, for this many years after graduating.
YEARS_REPORTING_AFTER_GRADUATION = 2
# Startups in these statuses are reminded; the others' missing reports are history.
REMINDED_STATUSES = (StartupStatus.INCUBATED, StartupStatus.GRADUATED, StartupStatus.ALUMNI)
LEFT_STATUSES = (StartupStatus.WITHDRAWN, StartupStatus.CLOSED)
GRADUATE_STATUSES = (StartupStatus.GRADUATED, StartupStatus.ALUMNI)
REPORTING_STATUSES = (StartupStatus.INCUBATED, *GRADUATE_STATUSES, *LEFT_STATUSES)
# Reminders go out from this hour (the centre's time) on the day they are due.
REMINDER_HOUR = 8
# An overdue reminder is sent in the week after the report became overdue (a worker that was down
# for a few days catches up); periods overdue for longer are not reminded of again and again.
OVERDUE_REMINDER_WINDOW = datetime.timedelta(days=7)


# --- periods: pure date arithmetic ------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (or earlier), or the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same date `years` later; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


def months_in(period: KpiPeriod) -> int:
    return 1 if period is KpiPeriod.MONTHLY else 3


def period_start(day: datetime.date, period: KpiPeriod) -> datetime.date:
    """The first day of the month or quarter that `day` falls in."""
    month = day.month if period is KpiPeriod.MONTHLY else 3 * ((day.month - 1) // 3) + 1
    return datetime.date(day.year, month, 1)


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """A month or a quarter, named by its first day."""

    start: datetime.date
    kind: KpiPeriod

    @property
    def end(self) -> datetime.date:
        """Its last day."""
        return add_months(self.start, months_in(self.kind)) - datetime.timedelta(days=1)

    @property
    def next_start(self) -> datetime.date:
        return add_months(self.start, months_in(self.kind))

    @property
    def due_on(self) -> datetime.date:
        return self.end

    @property
    def overdue_on(self) -> datetime.date:
        return self.due_on + OVERDUE_AFTER

    def label(self, locale_name: str) -> str:
        """"March 2026" or "Q1 2026", in the reader's language."""
        if self.kind is KpiPeriod.MONTHLY:
            return format_date(self.start, "LLLL y", locale=locale_name).capitalize()
        quarter = (self.start.month - 1) // 3 + 1
        return localizer_for(locale_name).translate(
            _("Q${quarter} ${year}", mapping={"quarter": quarter, "year": self.start.year}))


def period_of(report: KpiReport) -> ReportingPeriod:
    """The month or quarter a report is of."""
    return ReportingPeriod(report.period_start, report.period)


def periods_between(first_day: datetime.date, last_day: datetime.date, kind: KpiPeriod) -> list[ReportingPeriod]:
    """The periods from the one `first_day` falls in to the one `last_day` falls in."""
    periods: list[ReportingPeriod] = []
    start = period_start(first_day, kind)
    while start <= last_day:
        period = ReportingPeriod(start, kind)
        periods.append(period)
        start = period.next_start
    return periods


def schedule(cohort_start: datetime.date, kind: KpiPeriod, status: StartupStatus,
             graduated_on: datetime.date | None, left_on: datetime.date | None,
             today: datetime.date) -> list[ReportingPeriod]:
    """The periods a startup must report on by `today` (those whose last day has come), oldest
    first, by the rules in the module's docstring. `graduated_on` and `left_on` come from its
    timeline (a graduate may have closed since)."""
    if status not in REPORTING_STATUSES or (status in LEFT_STATUSES and left_on is None):
        return []
    if graduated_on is not None:
        quarter_end = ReportingPeriod(period_start(graduated_on, KpiPeriod.QUARTERLY), KpiPeriod.QUARTERLY).end
        periods = periods_between(cohort_start, quarter_end, kind)
        after = add_years(graduated_on, YEARS_REPORTING_AFTER_GRADUATION)
        periods += periods_between(quarter_end + datetime.timedelta(days=1), after, KpiPeriod.QUARTERLY)
    else:
        periods = periods_between(cohort_start, today, kind)
    if status in LEFT_STATUSES and left_on is not None:
        periods = [period for period in periods if period.end < left_on]
    return [period for period in periods if period.due_on <= today]


def last_change_on(startup: Startup, statuses: Sequence[StartupStatus]) -> datetime.date | None:
    """The day of the startup's latest step into one of these statuses on its timeline."""
    days = [change.changed_on for change in startup.status_changes if change.status in statuses]
    return max(days) if days else None


def graduation_date(startup: Startup) -> datetime.date | None:
    """When a graduate (or a startup that closed or withdrew after graduating) graduated, by its
    timeline; a graduate whose timeline does not say graduated at its cohort's end."""
    if startup.status in GRADUATE_STATUSES or startup.status in LEFT_STATUSES:
        recorded = last_change_on(startup, (StartupStatus.GRADUATED,))
        if recorded is not None or startup.status in LEFT_STATUSES:
            return recorded
        return startup.cohort.ends_on if startup.cohort else None
    return None


def required_periods(startup: Startup, today: datetime.date) -> list[ReportingPeriod]:
    """The periods this startup must have reported on by `today`, oldest first."""
    cohort = startup.cohort
    if cohort is None:
        return []
    return schedule(cohort.starts_on, cohort.kpi_period, startup.status, graduation_date(startup),
                    last_change_on(startup, LEFT_STATUSES), today)


def future_period(startup: Startup, start: datetime.date, today: datetime.date) -> bool:
    """Whether `start` names a period the startup will report on but that has not ended yet."""
    cohort = startup.cohort
    if cohort is None or startup.status not in REMINDED_STATUSES:
        return False
    horizon = add_years(today, YEARS_REPORTING_AFTER_GRADUATION + 1)
    upcoming = schedule(cohort.starts_on, cohort.kpi_period, startup.status, graduation_date(startup),
                        None, horizon)
    return any(period.start == start and period.due_on > today for period in upcoming)


# --- the state of each period -----------------------------------------------------------------


class PeriodState:
    REPORTED = "reported"
    DUE = "due"
    OVERDUE = "overdue"


PERIOD_STATE_LABELS = {
    PeriodState.REPORTED: _("Reported"),
    PeriodState.DUE: _("Due"),
    PeriodState.OVERDUE: _("Overdue"),
}


@dataclass
class PeriodRow:
    period: ReportingPeriod
    state: str
    report: KpiReport | None
    # Founders may send or correct it (False for a report of a period no longer asked for).
    required: bool = True


def reports_of(dbsession: Session, startup_ids: Iterable[int]) -> dict[int, dict[datetime.date, KpiReport]]:
    """Every report of these startups, by startup and period start, with their funding."""
    reports: dict[int, dict[datetime.date, KpiReport]] = defaultdict(dict)
    ids = list(startup_ids)
    if ids:
        query = (select(KpiReport).where(KpiReport.startup_id.in_(ids))
                 .options(selectinload(KpiReport.funding)).order_by(KpiReport.period_start))
        for report in dbsession.scalars(query):
            reports[report.startup_id][report.period_start] = report
    return reports


def state_of(period: ReportingPeriod, report: KpiReport | None, today: datetime.date) -> str:
    if report is not None:
        return PeriodState.REPORTED
    return PeriodState.OVERDUE if today >= period.overdue_on else PeriodState.DUE


def period_rows(startup: Startup, reports: dict[datetime.date, KpiReport], today: datetime.date) -> list[PeriodRow]:
    """The startup's periods, the newest first, each with its state and report. Reports sent for
    periods no longer required (a status changed since) are listed too."""
    required = {period.start: period for period in required_periods(startup, today)}
    periods = {**{start: period_of(report) for start, report in reports.items()}, **required}
    rows = [PeriodRow(period, state_of(period, reports.get(start), today), reports.get(start), start in required)
            for start, period in periods.items()]
    return sorted(rows, key=lambda row: row.period.start, reverse=True)


def reportable_period(startup: Startup, start: datetime.date, today: datetime.date) -> ReportingPeriod | None:
    """The period starting on `start` if the startup may report (or correct its report) on it now."""
    return next((period for period in required_periods(startup, today) if period.start == start), None)


# --- storing a report -------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingValues:
    amount_eur: int
    source: Any
    source_name: str


@dataclass(frozen=True)
class ReportValues:
    full_time_employees: int
    revenue_band: RevenueBand
    customers: int
    patents: int
    highlights: str
    funding: list[FundingValues] = field(default_factory=list)


def report_of(dbsession: Session, startup_id: int, start: datetime.date) -> KpiReport | None:
    """The startup's report of the period starting on `start`, with its funding, if it sent one."""
    return dbsession.scalar(select(KpiReport).where(KpiReport.startup_id == startup_id,
                                                    KpiReport.period_start == start)
                            .options(selectinload(KpiReport.funding)))


def save_report(dbsession: Session, startup: Startup, period: ReportingPeriod, values: ReportValues,
                user: User, now: datetime.datetime) -> KpiReport:
    """Store the startup's report of the period: a new one, or the founders' correction of the
    one they sent (its funding rows replaced by the form's). `submitted_at` is the latest save."""
    report = report_of(dbsession, startup.id, period.start)
    if report is None:
        try:
            with dbsession.begin_nested():
                report = KpiReport(startup_id=startup.id, period=period.kind, period_start=period.start)
                dbsession.add(report)
        except IntegrityError:
            # A teammate's report of the period was stored meanwhile: this save corrects it.
            report = report_of(dbsession, startup.id, period.start)
    # Two corrections at once (teammates, two tabs): the second waits for the first and then
    # replaces the funding the first stored, rather than the rows it read before (which would
    # leave both saves' funding).
    lock_row(dbsession, report)
    report.full_time_employees = values.full_time_employees
    report.revenue_band = values.revenue_band
    report.customers = values.customers
    report.patents = values.patents
    report.highlights = values.highlights.strip()
    report.submitted_at = now
    report.submitted_by_id = user.id
    report.funding = [FundingRaised(amount_eur=row.amount_eur, source=row.source, source_name=row.source_name.strip())
                      for row in values.funding]
    dbsession.flush()
    return report


# --- reminders --------------------------------------------------------------------------------


def reminder_kind(period: ReportingPeriod, today: datetime.date) -> KpiReminderKind | None:
    """Which reminder an unreported period calls for today, if any."""
    if period.due_on <= today < period.overdue_on:
        return KpiReminderKind.DUE
    if period.overdue_on <= today < period.overdue_on + OVERDUE_REMINDER_WINDOW:
        return KpiReminderKind.OVERDUE
    return None


# A reminder sent: startup id, period start, kind.
ReminderKey = tuple[int, datetime.date, KpiReminderKind]


def _claim_reminder(dbsession: Session, startup: Startup, period: ReportingPeriod, kind: KpiReminderKind,
                    now: datetime.datetime) -> bool:
    """Record the reminder before sending it; False when another run recorded it first (the
    unique constraint decides: on PostgreSQL a concurrent worker's insert waits for ours, then fails)."""
    try:
        with dbsession.begin_nested():
            dbsession.add(KpiReminder(startup_id=startup.id, period_start=period.start, kind=kind, sent_at=now))
    except IntegrityError:
        return False
    return True


def send_reminders(request: Request, now: datetime.datetime) -> int:
    """Email the founders of each startup whose report is due today (or overdue), once per period
    and kind, each in their own language. Acts from REMINDER_HOUR at the centre; returns the
    number of emails queued."""
    local_now = now.astimezone(request.registry["timezone"])
    if local_now.hour < REMINDER_HOUR:
        return 0
    today = local_now.date()
    dbsession = request.dbsession
    startups = list(dbsession.scalars(
        select(Startup).where(Startup.status.in_(REMINDED_STATUSES), Startup.cohort_id.is_not(None))
        .options(selectinload(Startup.cohort), selectinload(Startup.status_changes)).order_by(Startup.id)))
    due = [(startup, period, kind) for startup in startups for period in required_periods(startup, today)
           if (kind := reminder_kind(period, today)) is not None]
    reported = _periods_reported(dbsession, [(startup.id, period.start) for startup, period, _kind in due])
    wanted = [(startup, period, kind) for startup, period, kind in due if (startup.id, period.start) not in reported]
    already = _reminders_sent(dbsession, [(startup.id, period.start) for startup, period, _kind in wanted])
    sent = 0
    for startup, period, kind in wanted:
        if (startup.id, period.start, kind) in already or not _claim_reminder(dbsession, startup, period, kind, now):
            continue
        # The founders (and their accounts, joined) are loaded only for a startup reminded.
        sent += _email_founders(request, startup, period, kind)
    return sent


def _periods_reported(dbsession: Session, due: Sequence[tuple[int, datetime.date]]) -> set[tuple[int, datetime.date]]:
    """Which of these (startup, period start) pairs were reported: only the periods due now, not
    every report ever sent (the task runs hourly)."""
    if not due:
        return set()
    rows = dbsession.execute(select(KpiReport.startup_id, KpiReport.period_start).where(
        KpiReport.startup_id.in_({startup_id for startup_id, _start in due}),
        KpiReport.period_start.in_({start for _startup_id, start in due})))
    return {(startup_id, start) for startup_id, start in rows}


def _reminders_sent(dbsession: Session, wanted: Sequence[tuple[int, datetime.date]]) -> set[ReminderKey]:
    """The reminders already recorded of these (startup, period start) pairs: only the periods
    reminded of now (at most a few weeks' worth), not the whole history."""
    if not wanted:
        return set()
    startup_ids = {startup_id for startup_id, _start in wanted}
    starts = {start for _startup_id, start in wanted}
    rows = dbsession.execute(select(KpiReminder.startup_id, KpiReminder.period_start, KpiReminder.kind).where(
        KpiReminder.startup_id.in_(startup_ids), KpiReminder.period_start.in_(starts)))
    return {(startup_id, start, kind) for startup_id, start, kind in rows}


def _email_founders(request: Request, startup: Startup, period: ReportingPeriod, kind: KpiReminderKind) -> int:
    url = request.public_url("incubator.kpi_report", id=startup.id, start=period.start.isoformat())
    template = "kpi-report-due" if kind is KpiReminderKind.DUE else "kpi-report-overdue"
    for founder in startup.founders:
        user = founder.user
        send_email(request, template, user.email, {
            "name": user.name, "startup": startup.name, "period": period.label(user.locale),
            "due_on": period.due_on, "overdue_on": period.overdue_on, "report_url": url,
        }, locale_name=user.locale)
    return len(startup.founders)


# --- staff: who is late -----------------------------------------------------------------------


@dataclass
class LateTable:
    """A cohort's startups × the periods any of them must report on, with each cell's state
    (None: that startup need not report that period)."""

    periods: list[ReportingPeriod]
    rows: list[tuple[Startup, list[str | None]]]

    def count(self, state: str) -> int:
        return sum(cell == state for _startup, cells in self.rows for cell in cells)


def late_table(dbsession: Session, cohort: Cohort, today: datetime.date, startups: list[Startup] | None = None,
               reports: dict[int, dict[datetime.date, KpiReport]] | None = None) -> LateTable:
    """The cohort's late table; `startups` (cohort_startups) and `reports` (reports_of them) are
    loaded unless given."""
    if startups is None:
        startups = cohort_startups(dbsession, cohort)
    if reports is None:
        reports = reports_of(dbsession, [startup.id for startup in startups])
    required = {startup.id: {period.start: period for period in required_periods(startup, today)}
                for startup in startups}
    periods = sorted({period for schedule_ in required.values() for period in schedule_.values()})
    rows = []
    for startup in startups:
        cells: list[str | None] = []
        for period in periods:
            mine = required[startup.id].get(period.start)
            cells.append(None if mine is None else state_of(mine, reports[startup.id].get(period.start), today))
        rows.append((startup, cells))
    return LateTable(periods, rows)


def cohort_startups(dbsession: Session, cohort: Cohort) -> list[Startup]:
    return list(dbsession.scalars(
        select(Startup).where(Startup.cohort_id == cohort.id)
        .options(selectinload(Startup.cohort), selectinload(Startup.status_changes))
        .order_by(Startup.name, Startup.id)))


# --- staff dashboards -------------------------------------------------------------------------


def funding_total(report: KpiReport) -> int:
    return sum(row.amount_eur for row in report.funding)


@dataclass
class Latest:
    """A startup's latest report, and what it raised over all its reports."""

    startup: Startup
    report: KpiReport | None
    funding: int


@dataclass
class QuarterFigures:
    """A calendar quarter of a cohort: the total of each startup's latest report whose period
    started in it (startups that sent none that quarter are not counted), and the funding raised
    in reports of periods starting in it."""

    period: ReportingPeriod
    reporting: int = 0
    employees: int = 0
    customers: int = 0
    funding: int = 0


@dataclass
class CohortDashboard:
    latest: list[Latest]
    quarters: list[QuarterFigures]

    @property
    def total_employees(self) -> int:
        return sum(row.report.full_time_employees for row in self.latest if row.report)

    @property
    def total_customers(self) -> int:
        return sum(row.report.customers for row in self.latest if row.report)

    @property
    def total_patents(self) -> int:
        return sum(row.report.patents for row in self.latest if row.report)

    @property
    def total_funding(self) -> int:
        return sum(row.funding for row in self.latest)


def quarterly_figures(reports: Iterable[KpiReport]) -> list[QuarterFigures]:
    """Reports summed by calendar quarter, from the first quarter reported on to the last."""
    latest: dict[tuple[datetime.date, int], KpiReport] = {}
    funding: dict[datetime.date, int] = defaultdict(int)
    for report in sorted(reports, key=lambda report: report.period_start):
        quarter = period_start(report.period_start, KpiPeriod.QUARTERLY)
        latest[(quarter, report.startup_id)] = report
        funding[quarter] += funding_total(report)
    if not funding:
        return []
    figures = {period.start: QuarterFigures(period)
               for period in periods_between(min(funding), max(funding), KpiPeriod.QUARTERLY)}
    for (quarter, _startup_id), report in latest.items():
        figures[quarter].reporting += 1
        figures[quarter].employees += report.full_time_employees
        figures[quarter].customers += report.customers
    for quarter, amount in funding.items():
        figures[quarter].funding += amount
    return list(figures.values())


def cohort_reports(dbsession: Session, cohort: Cohort) -> list[KpiReport]:
    """Every report of the cohort's startups, with their funding (for its charts)."""
    return list(dbsession.scalars(
        select(KpiReport).join(Startup, Startup.id == KpiReport.startup_id).where(Startup.cohort_id == cohort.id)
        .options(selectinload(KpiReport.funding)).order_by(KpiReport.period_start)))


def cohort_dashboard(startups: list[Startup], reports: dict[int, dict[datetime.date, KpiReport]]) -> CohortDashboard:
    """The figures of a cohort's startups (cohort_startups) from their reports (reports_of)."""
    latest = []
    for startup in startups:
        mine = list(reports[startup.id].values())
        latest.append(Latest(startup, mine[-1] if mine else None, sum(funding_total(report) for report in mine)))
    everything = [report for startup in startups for report in reports[startup.id].values()]
    return CohortDashboard(latest, quarterly_figures(everything))


@dataclass
class AttendedEvent:
    event: Event
    people: list[str]


@dataclass
class StartupDashboard:
    reports: list[KpiReport]
    mentor_minutes: int
    mentor_sessions: int
    events: list[AttendedEvent]

    @property
    def latest(self) -> KpiReport | None:
        return self.reports[-1] if self.reports else None

    @property
    def total_funding(self) -> int:
        return sum(funding_total(report) for report in self.reports)

    @property
    def funding(self) -> list[tuple[KpiReport, FundingRaised]]:
        return [(report, row) for report in self.reports for row in report.funding]


def mentor_time(startup_ids: Sequence[int]) -> Any:
    """How many of these startups' sessions were held (mentor_services.held_sessions: they count
    towards mentor hours), and their minutes."""
    return select(func.count(MentorSession.id), func.coalesce(func.sum(MentorSession.minutes_logged), 0)).where(
        MentorSession.startup_id.in_(startup_ids), held_sessions())


def events_attended(dbsession: Session, startup: Startup) -> list[AttendedEvent]:
    """Events where someone of the startup's team was checked in (registered with their account
    or with its email), the latest first, with who came."""
    users = [founder.user for founder in startup.founders]
    if not users:
        return []
    emails = [user.email.lower() for user in users]
    query = (select(Registration).join(Registration.event)
             .where(Registration.checked_in_at.is_not(None),
                    or_(Registration.user_id.in_([user.id for user in users]),
                        func.lower(Registration.email).in_(emails)))
             .order_by(Event.starts_at.desc(), Event.id, Registration.name))
    attended: dict[int, AttendedEvent] = {}
    for registration in dbsession.scalars(query):
        attended.setdefault(registration.event_id, AttendedEvent(registration.event, [])).people.append(
            registration.name)
    return list(attended.values())


def startup_dashboard(dbsession: Session, startup: Startup) -> StartupDashboard:
    reports = list(reports_of(dbsession, [startup.id])[startup.id].values())
    sessions, minutes = dbsession.execute(mentor_time([startup.id])).one()
    return StartupDashboard(reports, int(minutes), int(sessions), events_attended(dbsession, startup))

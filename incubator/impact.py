"""The impact report's figures, for a calendar year or for a cohort, computed from the data as
stored: the startups' status timelines, their KPI reports, mentor sessions and events.

The definitions (the report states them too):

- Period: a calendar year; or a cohort, from its start to today (its startups only).
- Startups supported: startups that were incubated on at least one day of the period, by their
  status timeline (an incubated step lasts until the next step of the timeline).
- Reports of the period: reports for months or quarters that overlap it (for a cohort, the
  first is the one its start falls in).
- Jobs created: for each startup supported, the full-time employees of its latest report of the
  period, minus a baseline: 0 if it was first incubated within the period; otherwise those of its
  latest earlier report, or, lacking one, of its first report of the period. A startup with no
  report of the period adds 0. The sum is net: a startup that shrank lowers it.
- Funding raised: what the startups supported reported raising in the reports of the period, in
  total and by source.
- Survival of graduates: of the startups that graduated at least one (two) years before the
  period's end (for a cohort: its graduates), the share that had not withdrawn or closed one
  (two) years after graduating, by their timeline; the number of graduates counted is shown.
- Mentor hours: the time mentors logged for sessions held (not cancelled) that started within
  the period (for a cohort: sessions of its startups).
- Events held: published events (neither cancelled nor postponed) that started within the
  period; attendance: people checked in at them.
"""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dimoskopio.web import row_id
from events.models import Event, EventStatus, Registration
from events.services import local_day_start
from incubator.kpi_services import LEFT_STATUSES, add_years, period_of, reports_of
from incubator.mentor_services import held_sessions
from incubator.models import (
    Cohort,
    FundingSource,
    KpiReport,
    MentorSession,
    OfficeHourSlot,
    Startup,
    StartupStatus,
    StartupStatusChange,
)

SURVIVAL_YEARS = (1, 2)
COHORT_PREFIX = "cohort-"


@dataclass(frozen=True)
class Scope:
    """What a report covers: `key` is the year ("2026") or "cohort-<id>"."""

    key: str
    starts_on: datetime.date
    ends_on: datetime.date
    cohort: Cohort | None = None


def scope_choices(dbsession: Session, today: datetime.date) -> list[tuple[str, str | None]]:
    """The years (the current one back to the first cohort's) and the cohorts that have started,
    newest first: (key, cohort name or None for a year)."""
    cohorts = list(dbsession.scalars(select(Cohort).where(Cohort.starts_on <= today)
                                     .order_by(Cohort.starts_on.desc(), Cohort.id.desc())))
    first_year = min((cohort.starts_on.year for cohort in cohorts), default=today.year)
    years: list[tuple[str, str | None]] = [(str(year), None) for year in range(today.year, first_year - 1, -1)]
    return years + [(f"{COHORT_PREFIX}{cohort.id}", cohort.name) for cohort in cohorts]


def scope_for(dbsession: Session, key: str, today: datetime.date,
              choices: list[tuple[str, str | None]] | None = None) -> Scope | None:
    """The scope a key names, or None for a key naming none (a year out of range, an unknown
    cohort, one that has not started). `choices` are scope_choices' (loaded if a year needs them)."""
    if key.startswith(COHORT_PREFIX):
        number = row_id(key.removeprefix(COHORT_PREFIX))
        cohort = dbsession.get(Cohort, number) if number is not None else None
        if cohort is None or cohort.starts_on > today:
            return None
        return Scope(key, cohort.starts_on, today, cohort)
    if key.isascii() and key.isdigit() and len(key) == 4:
        if choices is None:
            choices = scope_choices(dbsession, today)
        if key not in dict(choices):
            return None
        year = int(key)
        return Scope(key, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    return None


# --- timelines --------------------------------------------------------------------------------


def _steps(startup: Startup) -> list[StartupStatusChange]:
    return sorted(startup.status_changes, key=lambda change: (change.changed_on, change.id))


def incubated_spells(startup: Startup) -> list[tuple[datetime.date, datetime.date | None]]:
    """When the startup was incubated: from each incubated step to the next step (exclusive), or
    still (None)."""
    steps = _steps(startup)
    spells = []
    for index, step in enumerate(steps):
        if step.status is StartupStatus.INCUBATED:
            until = steps[index + 1].changed_on if index + 1 < len(steps) else None
            spells.append((step.changed_on, until))
    return spells


def supported_in(startup: Startup, scope: Scope) -> bool:
    return any(start <= scope.ends_on and (until is None or until > scope.starts_on)
               for start, until in incubated_spells(startup))


def graduated_on(startup: Startup) -> datetime.date | None:
    days = [step.changed_on for step in startup.status_changes if step.status is StartupStatus.GRADUATED]
    return min(days) if days else None


def operating_on(startup: Startup, since: datetime.date, day: datetime.date) -> bool:
    """Whether the startup had not withdrawn or closed between `since` and `day` (inclusive)."""
    return not any(step.status in LEFT_STATUSES and since <= step.changed_on <= day for step in startup.status_changes)


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Survival:
    years: int
    graduates: int = 0
    operating: int = 0

    @property
    def rate(self) -> float | None:
        """The share still operating, as a percentage; None when there is no graduate to count."""
        return round(100 * self.operating / self.graduates, 1) if self.graduates else None


@dataclass
class CohortImpact:
    cohort: Cohort
    startups: int = 0
    jobs: int = 0
    funding: int = 0
    mentor_minutes: int = 0

    @property
    def mentor_hours(self) -> float:
        return round(self.mentor_minutes / 60, 1)


@dataclass
class ImpactFigures:
    scope: Scope
    startups_supported: int = 0
    jobs_created: int = 0
    funding: int = 0
    funding_by_source: dict[FundingSource, int] = field(default_factory=dict)
    survival: list[Survival] = field(default_factory=list)
    mentor_minutes: int = 0
    mentor_sessions: int = 0
    events_held: int = 0
    attendance: int = 0
    cohorts: list[CohortImpact] = field(default_factory=list)

    @property
    def mentor_hours(self) -> float:
        return round(self.mentor_minutes / 60, 1)


def of_scope(report: KpiReport, scope: Scope) -> bool:
    """Whether the report's month or quarter overlaps the period."""
    return report.period_start <= scope.ends_on and period_of(report).end >= scope.starts_on


def jobs_created(startup: Startup, reports: list[KpiReport], scope: Scope) -> int:
    """The startup's share of "jobs created" (see the module's docstring); `reports` oldest first."""
    within = [report for report in reports if of_scope(report, scope)]
    if not within:
        return 0
    first_incubated = min(start for start, _until in incubated_spells(startup))
    if scope.starts_on <= first_incubated <= scope.ends_on:
        baseline = 0
    else:
        before = [report for report in reports if period_of(report).end < scope.starts_on]
        baseline = (before[-1] if before else within[0]).full_time_employees
    return within[-1].full_time_employees - baseline


def _window(scope: Scope, timezone: ZoneInfo) -> tuple[datetime.datetime, datetime.datetime]:
    """The period's first and last day as moments at the centre: [from, until)."""
    return (local_day_start(scope.starts_on, timezone),
            local_day_start(scope.ends_on + datetime.timedelta(days=1), timezone))


def _mentor_time(dbsession: Session, scope: Scope, timezone: ZoneInfo) -> dict[int, tuple[int, int]]:
    """(sessions held, minutes logged) in the period, by startup."""
    start, until = _window(scope, timezone)
    rows = dbsession.execute(
        select(MentorSession.startup_id, func.count(MentorSession.id), func.sum(MentorSession.minutes_logged))
        .join(OfficeHourSlot, OfficeHourSlot.id == MentorSession.slot_id)
        .where(held_sessions(), OfficeHourSlot.starts_at >= start, OfficeHourSlot.starts_at < until)
        .group_by(MentorSession.startup_id))
    return {startup_id: (int(sessions), int(minutes or 0)) for startup_id, sessions, minutes in rows}


def _events(dbsession: Session, scope: Scope, timezone: ZoneInfo) -> tuple[int, int]:
    """(events held, people checked in at them) in the period."""
    start, until = _window(scope, timezone)
    held = select(Event.id).where(Event.status == EventStatus.PUBLISHED, Event.starts_at >= start,
                                  Event.starts_at < until)
    events = dbsession.scalar(select(func.count()).select_from(held.subquery())) or 0
    attendance = dbsession.scalar(select(func.count(Registration.id)).where(
        Registration.event_id.in_(held), Registration.checked_in_at.is_not(None))) or 0
    return events, attendance


def impact_figures(dbsession: Session, scope: Scope, timezone: ZoneInfo) -> ImpactFigures:
    query = select(Startup).options(selectinload(Startup.status_changes), selectinload(Startup.cohort))
    if scope.cohort is not None:
        query = query.where(Startup.cohort_id == scope.cohort.id)
    startups = list(dbsession.scalars(query.order_by(Startup.id)))
    supported = [startup for startup in startups if supported_in(startup, scope)]
    reports = reports_of(dbsession, [startup.id for startup in supported])
    mentor_time = _mentor_time(dbsession, scope, timezone)
    figures = ImpactFigures(scope)
    figures.startups_supported = len(supported)
    by_cohort: dict[int, CohortImpact] = {}
    for startup in supported:
        mine = list(reports[startup.id].values())  # oldest first
        jobs = jobs_created(startup, mine, scope)
        raised = [row for report in mine if of_scope(report, scope) for row in report.funding]
        figures.jobs_created += jobs
        for row in raised:
            figures.funding += row.amount_eur
            figures.funding_by_source[row.source] = figures.funding_by_source.get(row.source, 0) + row.amount_eur
        if startup.cohort is not None:
            cohort = by_cohort.setdefault(startup.cohort.id, CohortImpact(startup.cohort))
            cohort.startups += 1
            cohort.jobs += jobs
            cohort.funding += sum(row.amount_eur for row in raised)
    figures.funding_by_source = {source: figures.funding_by_source[source]
                                 for source in FundingSource if source in figures.funding_by_source}
    in_scope = {startup.id for startup in startups}
    for startup_id, (sessions, minutes) in mentor_time.items():
        if scope.cohort is None or startup_id in in_scope:
            figures.mentor_sessions += sessions
            figures.mentor_minutes += minutes
    for startup in startups:
        if startup.cohort is not None and startup.cohort.id in by_cohort:
            by_cohort[startup.cohort.id].mentor_minutes += mentor_time.get(startup.id, (0, 0))[1]
    figures.cohorts = sorted(by_cohort.values(), key=lambda row: (row.cohort.starts_on, row.cohort.id))
    figures.survival = [_survival(startups, scope, years) for years in SURVIVAL_YEARS]
    figures.events_held, figures.attendance = _events(dbsession, scope, timezone)
    return figures


def _survival(startups: list[Startup], scope: Scope, years: int) -> Survival:
    survival = Survival(years)
    for startup in startups:
        graduated = graduated_on(startup)
        if graduated is None or add_years(graduated, years) > scope.ends_on:
            continue
        survival.graduates += 1
        survival.operating += operating_on(startup, graduated, add_years(graduated, years))
    return survival


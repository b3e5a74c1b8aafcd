"""Demo KPI history: every startup the incubator seeder made reports the periods the rules ask of
it by `ctx.today` (see incubator.kpi_services), with figures that grow as startups do.

- Startups start small (one to three people, a handful of customers) and grow period by period;
  revenue bands follow their customers; a patent is filed now and then.
- Some periods bring a funding round (grants early on, then angels, loans, venture capital).
- The startup of each past cohort that withdrew or closed reports until it left, shrinking; one
  alumnus of the oldest cohort closed a little over a year after graduating.
- In the current cohort, every period overdue by now is reported but by one startup, which has
  not sent its latest; about half of the startups have already sent the report due now.
"""

import datetime

from pyramid.config import Configurator

from dimoskopio.seed import SeedContext
from incubator.kpi_services import LEFT_STATUSES, ReportingPeriod, graduation_date, required_periods
from incubator.models import (
    FundingRaised,
    FundingSource,
    KpiPeriod,
    KpiReport,
    RevenueBand,
    Startup,
    StartupStatus,
    StartupStatusChange,
)

# (source, source name, smallest and largest amount in euros), by stage of life.
EARLY_FUNDING = (
    (FundingSource.GRANT, "Περιφέρεια Κρήτης — πρόγραμμα νεοφυούς επιχειρηματικότητας", 15_000, 60_000),
    (FundingSource.PRIZE, "Διαγωνισμός καινοτομίας Δήμου Ηρακλείου", 3_000, 10_000),
    (FundingSource.ANGEL, "Δίκτυο επιχειρηματικών αγγέλων Κρήτης", 30_000, 120_000),
    (FundingSource.CROWDFUNDING, "Καμπάνια πληθοχρηματοδότησης", 8_000, 40_000),
)
LATER_FUNDING = (
    (FundingSource.VENTURE_CAPITAL, "Ταμείο επιχειρηματικών κεφαλαίων Αιγαίου", 250_000, 1_200_000),
    (FundingSource.LOAN, "Ταμείο Εγγυοδοσίας Επιχειρήσεων", 50_000, 200_000),
    (FundingSource.GRANT, "Horizon Europe — EIC Accelerator", 300_000, 900_000),
    (FundingSource.ANGEL, "Δίκτυο επιχειρηματικών αγγέλων Κρήτης", 50_000, 200_000),
)
FUNDING_CHANCE = 0.25
HIGHLIGHTS = (
    "Υπογράψαμε συνεργασία με τον πρώτο μεγάλο πελάτη στο Ηράκλειο.",
    "Κυκλοφόρησε η νέα έκδοση της εφαρμογής με πληρωμές μέσω κάρτας.",
    "Προσλάβαμε προγραμματίστρια και υπεύθυνο πωλήσεων.",
    "Πιλοτική εφαρμογή σε τρεις δήμους της Κρήτης.",
    "Παρουσιάσαμε στο Pitch Night του Δημοσκοπίου και κερδίσαμε επαφές με επενδυτές.",
    "Καθυστερήσεις από προμηθευτή υλικού· μεταθέσαμε το λανσάρισμα κατά έναν μήνα.",
    "Πρώτες πωλήσεις στο εξωτερικό (Κύπρος και Γερμανία).",
    "Ολοκληρώσαμε την πιστοποίηση ISO 27001.",
    "",
    "",
)
REVENUE_BY_CUSTOMERS = ((0, RevenueBand.NONE), (1, RevenueBand.UNDER_10K), (15, RevenueBand.FROM_10K_TO_50K),
                        (60, RevenueBand.FROM_50K_TO_250K), (200, RevenueBand.FROM_250K_TO_1M),
                        (800, RevenueBand.OVER_1M))


def seed_kpis(ctx: SeedContext) -> None:
    startups: list[Startup] = ctx.shared.get("startups", [])
    cohorts = ctx.shared.get("cohorts", [])
    current = cohorts[-1] if cohorts else None
    if cohorts:
        _close_a_graduate(ctx, [startup for startup in startups if startup.cohort is cohorts[0]])
    current_startups = [startup for startup in startups if startup.cohort is current]
    # The startup of the current cohort that has not sent its latest overdue report.
    late = ctx.rng.choice(current_startups) if current_startups else None
    for startup in startups:
        periods = required_periods(startup, ctx.today)
        if startup.cohort is current:
            periods = _sent_in_current_cohort(ctx, periods, startup is late)
        _history(ctx, startup, periods)
    ctx.dbsession.flush()


def _close_a_graduate(ctx: SeedContext, startups: list[Startup]) -> None:
    """One alumnus of the oldest cohort closed some fourteen months after graduating (if that has
    come by `ctx.today`), so that the impact report's survival rates are not all 100%."""
    alumni = [startup for startup in startups if startup.status is StartupStatus.ALUMNI]
    if not alumni:
        return
    startup = ctx.rng.choice(alumni)
    graduated = graduation_date(startup)
    closed_on = graduated + datetime.timedelta(days=ctx.rng.randint(400, 450)) if graduated else None
    if closed_on is None or closed_on > ctx.today:
        return
    startup.status = StartupStatus.CLOSED
    startup.in_directory = False
    startup.status_changes.append(StartupStatusChange(status=StartupStatus.CLOSED, changed_on=closed_on))


def _sent_in_current_cohort(ctx: SeedContext, periods: list[ReportingPeriod], late: bool) -> list[ReportingPeriod]:
    overdue = [period for period in periods if period.overdue_on <= ctx.today]
    due = [period for period in periods if period.overdue_on > ctx.today]
    if late and overdue:
        overdue = overdue[:-1]
        due = []
    return overdue + [period for period in due if ctx.rng.random() < 0.5]


def _history(ctx: SeedContext, startup: Startup, periods: list[ReportingPeriod]) -> None:
    rng = ctx.rng
    employees = rng.randint(1, 3)
    customers = rng.randint(0, 5)
    patents = 0
    highlights = list(HIGHLIGHTS)
    rng.shuffle(highlights)
    # A startup that withdrew or closed shrank in its last months.
    shrinking = startup.status in LEFT_STATUSES
    for index, period in enumerate(periods):
        if shrinking and index >= len(periods) // 2:
            employees = max(0, employees - rng.randint(0, 1))
            customers = max(0, customers - rng.randint(0, 3))
        else:
            employees += rng.choice((0, 0, 1, 1, 2)) if period.kind is KpiPeriod.QUARTERLY else rng.choice((0, 0, 0, 1))
            customers += round(customers * rng.uniform(0.05, 0.35)) + rng.randint(0, 4)
        if rng.random() < 0.08:
            patents += 1
        report = KpiReport(
            startup=startup, period=period.kind, period_start=period.start, full_time_employees=employees,
            revenue_band=_revenue_band(customers), customers=customers, patents=patents,
            highlights=highlights[index % len(highlights)], submitted_by_id=_founder_id(ctx, startup),
            submitted_at=_submitted_at(ctx, period),
        )
        if not shrinking and rng.random() < FUNDING_CHANCE:
            source, name, low, high = rng.choice(EARLY_FUNDING if index < 4 else LATER_FUNDING)
            amount = round(rng.randint(low, high), -3)
            report.funding.append(FundingRaised(amount_eur=amount, source=source, source_name=name))
        ctx.dbsession.add(report)


def _revenue_band(customers: int) -> RevenueBand:
    return [band for least, band in REVENUE_BY_CUSTOMERS if customers >= least][-1]


def _founder_id(ctx: SeedContext, startup: Startup) -> int | None:
    founders = [founder.user for founder in startup.founders]
    return ctx.rng.choice(founders).id if founders else None


def _submitted_at(ctx: SeedContext, period: ReportingPeriod) -> datetime.datetime:
    """Sent in the days after the period's end (never after `ctx.today`), during working hours."""
    day = min(period.due_on + datetime.timedelta(days=ctx.rng.randint(0, 12)), ctx.today)
    return datetime.datetime.combine(day, datetime.time(ctx.rng.randint(7, 16), ctx.rng.randint(0, 59)),
                                     tzinfo=datetime.UTC)


def includeme(config: Configurator) -> None:
    # After the incubator (40), mentors (42) and calls (45): the startups and their timelines exist.
    config.add_seeder("incubator-kpis", seed_kpis, order=48)

"""The incubator's rules for cohorts, startups and their founders' accounts."""

import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session, selectinload, undefer

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.services import find_user_by_email
from dimoskopio.db import fold_text, folded, utcnow
from dimoskopio.i18n import _
from dimoskopio.rules import Refused
from dimoskopio.web import page_or_last
from events.services import slug_taken, unique_slug
from incubator.models import (
    Cohort,
    MentorAssignment,
    MentorProfile,
    Milestone,
    Startup,
    StartupFounder,
    StartupMilestone,
    StartupNeed,
    StartupStatus,
    StartupStatusChange,
)

# Founder accounts of these roles become founders; any other role already grants more.
PROMOTED_TO_FOUNDER = (Role.MEMBER,)
# The startup list's cohort filter value for startups in no cohort.
NO_COHORT = "none"
# Only startups in these statuses may appear in the public directory (and only if they opted in).
DIRECTORY_STATUSES = (StartupStatus.INCUBATED, StartupStatus.GRADUATED, StartupStatus.ALUMNI)
# What founders may change on their own startup (with its needs and logo); its name, address,
# status and cohort are staff's.
FOUNDER_EDITABLE_TEXT = ("description", "sector", "website")


class FounderRefused(Refused):
    """The account cannot join the startup's team; `reason` says why ("no-account" or "already-founder")."""


# --- tags: startups' needs and mentors' expertise ---------------------------------------------

# Offered as suggestions where needs and expertise are typed, so that both sides use the same words.
SUGGESTED_TAGS = (
    "marketing", "sales", "fundraising", "finance", "legal", "intellectual property", "product",
    "software", "design", "export", "tourism", "agrifood", "health", "energy", "hiring", "pitching",
)
MAX_TAGS = 15


def parse_tags(raw: str) -> list[str]:
    """The tags in a comma-separated text: trimmed, lower-case, each once (ignoring Greek accents),
    in the order typed."""
    tags: dict[str, str] = {}
    for part in raw.split(","):
        tag = " ".join(part.split()).lower()
        if tag:
            tags.setdefault(fold_text(tag), tag)
    return list(tags.values())


def tag_key(tag: str) -> str:
    """What two tags are compared by: the same words whatever their case and Greek accents."""
    return fold_text(tag)


def set_needs(startup: Startup, tags: list[str]) -> None:
    """The startup's needs become these tags; needs it keeps stay the same rows."""
    wanted = {tag_key(tag): tag for tag in tags}
    kept = [need for need in startup.needs if tag_key(need.tag) in wanted]
    held = {tag_key(need.tag) for need in kept}
    startup.needs = kept + [StartupNeed(tag=tag) for key, tag in wanted.items() if key not in held]


def set_logo(startup: Startup, values: dict[str, Any], now: datetime.datetime) -> None:
    """A new logo replaces the old one, or the logo is removed, or it stays as it is."""
    if values.get("remove_logo"):
        startup.logo, startup.logo_content_type, startup.logo_updated_at = None, "", now
    elif values.get("logo_upload"):
        (startup.logo, startup.logo_content_type), startup.logo_updated_at = values["logo_upload"], now


# --- cohorts ----------------------------------------------------------------------------------


def cohorts_with_counts(dbsession: Session) -> list[tuple[Cohort, int]]:
    """Every cohort, the newest first, with how many startups it has."""
    rows = dbsession.execute(
        select(Cohort, func.count(Startup.id)).outerjoin(Startup, Startup.cohort_id == Cohort.id)
        .group_by(Cohort.id).order_by(Cohort.starts_on.desc(), Cohort.id.desc()))
    return [(cohort, count) for cohort, count in rows]


def all_cohorts(dbsession: Session) -> list[Cohort]:
    return list(dbsession.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())))


def cohort_name_refusal(dbsession: Session, cohort: Cohort | None, name: str) -> str | None:
    """Why a cohort may not take this name: another cohort has it, whatever its case and accents
    ("taken"); None when it may."""
    query = select(Cohort.id).where(folded(Cohort.name) == fold_text(name.strip()))
    if cohort is not None:
        query = query.where(Cohort.id != cohort.id)
    return "taken" if dbsession.scalar(query) is not None else None


def save_cohort(dbsession: Session, cohort: Cohort, values: dict[str, Any]) -> Cohort:
    for name in ("name", "programme", "description"):
        setattr(cohort, name, (values.get(name) or "").strip())
    cohort.starts_on = values["starts_on"]
    cohort.ends_on = values["ends_on"]
    cohort.kpi_period = values["kpi_period"]
    dbsession.add(cohort)
    dbsession.flush()
    return cohort


# --- cohort milestones ------------------------------------------------------------------------

# A milestone not yet reached shows as "due soon" this close to its due date.
DUE_SOON = datetime.timedelta(days=14)
MILESTONE_STATE_LABELS = {
    "reached": _("Reached"),
    "overdue": _("Overdue"),
    "due-soon": _("Due soon"),
    "upcoming": _("Upcoming"),
}


def milestone_date_refusal(cohort: Cohort, due_on: datetime.date) -> str | None:
    """Why a milestone may not be due on this date: outside the cohort ("outside-cohort"); None when it may."""
    return "outside-cohort" if not cohort.starts_on <= due_on <= cohort.ends_on else None


def save_milestone(dbsession: Session, milestone: Milestone, values: dict[str, Any]) -> Milestone:
    milestone.title = values["title"].strip()
    milestone.description = (values.get("description") or "").strip()
    milestone.due_on = values["due_on"]
    dbsession.add(milestone)
    dbsession.flush()
    return milestone


def remove_milestone(dbsession: Session, milestone: Milestone) -> None:
    """The milestone goes, and with it the record of which startups reached it."""
    dbsession.delete(milestone)
    dbsession.flush()


def reached_milestones(dbsession: Session, cohort: Cohort) -> dict[tuple[int, int], StartupMilestone]:
    """What the cohort's startups reached, by (startup id, milestone id)."""
    rows = dbsession.scalars(select(StartupMilestone).join(Milestone).where(Milestone.cohort_id == cohort.id))
    return {(row.startup_id, row.milestone_id): row for row in rows}


def reached_milestone(dbsession: Session, startup: Startup, milestone: Milestone) -> StartupMilestone | None:
    """When the startup reached the milestone, or None if it has not."""
    return dbsession.scalar(select(StartupMilestone).where(
        StartupMilestone.startup_id == startup.id, StartupMilestone.milestone_id == milestone.id))


def mark_reached(dbsession: Session, startup: Startup, milestone: Milestone, on: datetime.date, note: str,
                 user: User | None) -> StartupMilestone:
    """Record (or correct) the day the startup reached the milestone of its cohort."""
    if startup.cohort_id != milestone.cohort_id:
        raise LookupError("the milestone is not of the startup's cohort")
    reached = reached_milestone(dbsession, startup, milestone)
    if reached is None:
        reached = StartupMilestone(startup_id=startup.id, milestone_id=milestone.id)
        dbsession.add(reached)
    reached.completed_on = on
    reached.note = note.strip()
    reached.recorded_by_id = user.id if user else None
    dbsession.flush()
    return reached


def unmark_reached(dbsession: Session, startup: Startup, milestone: Milestone) -> None:
    dbsession.execute(delete(StartupMilestone).where(
        StartupMilestone.startup_id == startup.id, StartupMilestone.milestone_id == milestone.id))


@dataclass(frozen=True)
class PlanStep:
    """A milestone of a startup's plan: when it is due, whether it was reached, and how it stands."""

    milestone: Milestone
    reached: StartupMilestone | None
    # "reached", "overdue", "due-soon" or "upcoming".
    state: str


def milestone_state(milestone: Milestone, reached: StartupMilestone | None, today: datetime.date) -> str:
    if reached is not None:
        return "reached"
    if milestone.due_on < today:
        return "overdue"
    return "due-soon" if milestone.due_on - today <= DUE_SOON else "upcoming"


def _step(milestone: Milestone, reached: StartupMilestone | None, today: datetime.date) -> PlanStep:
    return PlanStep(milestone, reached, milestone_state(milestone, reached, today))


def startup_plan(dbsession: Session, startup: Startup, today: datetime.date) -> list[PlanStep]:
    """The startup's cohort's milestones in order of their due dates, with where the startup stands."""
    if startup.cohort is None:
        return []
    reached = {row.milestone_id: row for row in dbsession.scalars(
        select(StartupMilestone).where(StartupMilestone.startup_id == startup.id))}
    return [_step(milestone, reached.get(milestone.id), today) for milestone in startup.cohort.milestones]


@dataclass(frozen=True)
class ProgressRow:
    startup: Startup
    steps: list[PlanStep]


def cohort_progress(dbsession: Session, cohort: Cohort, today: datetime.date) -> list[ProgressRow]:
    """Each of the cohort's startups with where it stands on each milestone."""
    reached = reached_milestones(dbsession, cohort)
    return [ProgressRow(startup, [_step(milestone, reached.get((startup.id, milestone.id)), today)
                                  for milestone in cohort.milestones])
            for startup in cohort.startups]


# --- startups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartupFilters:
    q: str = ""
    status: StartupStatus | None = None
    # A cohort's id, NO_COHORT, or None for any cohort.
    cohort: int | str | None = None


@dataclass
class StartupPage:
    startups: list[Startup]
    total: int
    page: int
    pages: int


def name_matches(q: str) -> ColumnElement[bool]:
    """Startups whose name contains `q`, whatever its case and Greek accents."""
    # autoescape: a "%" or "_" typed in the search box is looked for, not a wildcard.
    return folded(Startup.name).contains(fold_text(q), autoescape=True)


def filtered_startups(filters: StartupFilters) -> Select[Any]:
    query = select(Startup)
    if filters.q:
        query = query.where(name_matches(filters.q))
    if filters.status is not None:
        query = query.where(Startup.status == filters.status)
    if filters.cohort == NO_COHORT:
        query = query.where(Startup.cohort_id.is_(None))
    elif filters.cohort is not None:
        query = query.where(Startup.cohort_id == filters.cohort)
    return query.order_by(Startup.name, Startup.id)


def paged_startups(dbsession: Session, query: Select[Any], page: int, per_page: int) -> StartupPage:
    """One page of the startups the query selects, with their cohorts loaded."""
    found = page_or_last(dbsession, query.options(selectinload(Startup.cohort)), page, per_page)
    return StartupPage(found.rows, found.total, found.page, found.pages)


def startup_slug_refusal(dbsession: Session, startup: Startup | None, slug: str) -> str | None:
    """Why a startup may not take this web address: another startup has it ("taken"); None when it may."""
    return "taken" if slug_taken(dbsession, Startup, slug, startup.id if startup is not None else None) else None


def status_date_refusal(startup: Startup | None, status: StartupStatus, since: datetime.date) -> str | None:
    """Why a new status may not start on this date: the timeline already has a later step
    ("before-previous"); None when it may, or when the status does not change."""
    if startup is None or startup.status == status or not startup.status_changes:
        return None
    latest = max(change.changed_on for change in startup.status_changes)
    return "before-previous" if since < latest else None


def change_status(startup: Startup, status: StartupStatus, on: datetime.date) -> None:
    """The startup's status from this day: a new startup, or a new status, is a step of its
    timeline, so that the timeline and the status never disagree."""
    if startup.id is None or startup.status != status:
        startup.status_changes.append(StartupStatusChange(status=status, changed_on=on))
    startup.status = status


def save_startup(dbsession: Session, startup: Startup, values: dict[str, Any], today: datetime.date) -> Startup:
    """Store the staff form's values; an empty web address is made from the name (one nobody else
    uses). A new startup, or a new status, becomes a step of the timeline dated `status_since`,
    or `today` when staff gave no date."""
    for name in ("name", "description", "sector", "website"):
        setattr(startup, name, (values.get(name) or "").strip())
    startup.stage = values["stage"]
    change_status(startup, values["status"], values.get("status_since") or today)
    startup.founded_on = values.get("founded_on")
    startup.in_directory = bool(values.get("in_directory"))
    startup.cohort_id = values.get("cohort_id") or None
    set_needs(startup, values.get("need_tags") or [])
    set_logo(startup, values, utcnow())
    wanted = (values.get("slug") or "").strip()
    startup.slug = wanted or unique_slug(dbsession, Startup, startup.name, exclude_id=startup.id)
    dbsession.add(startup)
    dbsession.flush()
    return startup


def incubate(dbsession: Session, startup: Startup, cohort_id: int | None, on: datetime.date) -> Startup:
    """The startup (a new one, or one the centre knows) is incubated in the cohort from this day:
    a step of its timeline unless it already is; its profile, needs, logo and team stay as they are."""
    change_status(startup, StartupStatus.INCUBATED, on)
    startup.cohort_id = cohort_id
    if not startup.slug:
        startup.slug = unique_slug(dbsession, Startup, startup.name)
    dbsession.add(startup)
    dbsession.flush()
    return startup


def status_timeline(startup: Startup) -> list[StartupStatusChange]:
    """The startup's status steps, the newest first (same-day steps in the order they were recorded, reversed)."""
    return sorted(startup.status_changes, key=lambda change: (change.changed_on, change.id), reverse=True)


# --- the public directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    # One of DIRECTORY_STATUSES, or None for all of them.
    status: StartupStatus | None = None
    sector: str = ""


def _listed() -> Select[Any]:
    return select(Startup).where(Startup.status.in_(DIRECTORY_STATUSES), Startup.in_directory.is_(True))


def directory_startups(filters: DirectoryFilters) -> Select[Any]:
    """The listed startups (in a directory status, and opted in) that match the filters."""
    query = _listed()
    if filters.q:
        query = query.where(name_matches(filters.q))
    if filters.status is not None:
        query = query.where(Startup.status == filters.status)
    if filters.sector:
        query = query.where(Startup.sector == filters.sector)
    return query.order_by(Startup.name, Startup.id)


def directory_sectors(dbsession: Session) -> list[str]:
    """The sectors of the listed startups, each once, in alphabetical order."""
    sectors = _listed().with_only_columns(Startup.sector).where(Startup.sector != "").distinct()
    return sorted(dbsession.scalars(sectors))


def is_listed(startup: Startup) -> bool:
    return startup.in_directory and startup.status in DIRECTORY_STATUSES


def startup_with_logo(dbsession: Session, slug: str) -> Startup | None:
    """The startup at this address with its logo loaded; None if there is no such startup or it has no logo."""
    return dbsession.scalar(select(Startup).where(Startup.slug == slug, Startup.logo.is_not(None))
                            .options(undefer(Startup.logo)))


def may_see_logo(dbsession: Session, startup: Startup, user: User | None, is_staff: bool) -> bool:
    """Anyone may see a listed startup's logo; staff, its founders and its mentors may see any."""
    if is_listed(startup) or is_staff:
        return True
    if user is None:
        return False
    on_team = select(StartupFounder.id).where(StartupFounder.startup_id == startup.id,
                                              StartupFounder.user_id == user.id)
    mentors_it = (select(MentorAssignment.id).join(MentorProfile, MentorProfile.id == MentorAssignment.mentor_id)
                  .where(MentorAssignment.startup_id == startup.id, MentorProfile.user_id == user.id))
    return dbsession.scalar(select(on_team.exists() | mentors_it.exists())) or False


def listed_startup(dbsession: Session, slug: str) -> Startup | None:
    """The startup at this address if the directory lists it; None otherwise (unknown, or not shown)."""
    return dbsession.scalar(_listed().where(Startup.slug == slug).options(selectinload(Startup.cohort)))


# --- founders' own startups -------------------------------------------------------------------


def _founded_by(user: User) -> Select[Any]:
    return select(Startup).join(StartupFounder).where(StartupFounder.user_id == user.id)


def founder_startups(dbsession: Session, user: User) -> list[Startup]:
    """The startups on whose team the user is, by name."""
    return list(dbsession.scalars(
        _founded_by(user).options(selectinload(Startup.cohort)).order_by(Startup.name, Startup.id)))


def is_founder(dbsession: Session, user: User) -> bool:
    """Whether the user is on the team of at least one startup."""
    return dbsession.scalar(select(_founded_by(user).exists())) or False


def founder_startup(dbsession: Session, user: User, startup_id: int) -> Startup | None:
    """The startup with this id if the user is on its team; None for any other (whether it exists or not)."""
    return dbsession.scalar(_founded_by(user).where(Startup.id == startup_id))


def save_founder_startup(dbsession: Session, startup: Startup, values: dict[str, Any]) -> Startup:
    """Store what founders may change; anything else in `values` is ignored."""
    for name in FOUNDER_EDITABLE_TEXT:
        setattr(startup, name, (values.get(name) or "").strip())
    startup.stage = values["stage"]
    startup.founded_on = values.get("founded_on")
    startup.in_directory = bool(values.get("in_directory"))
    set_needs(startup, values.get("need_tags") or [])
    set_logo(startup, values, utcnow())
    dbsession.flush()
    return startup


# --- founders ---------------------------------------------------------------------------------


def add_founder(dbsession: Session, startup: Startup, email: str, role: str) -> StartupFounder:
    """Put the account with this email on the startup's team. A member becomes a founder (and so
    may edit the startup); staff, admins and mentors keep the role they have."""
    user = find_user_by_email(dbsession, email)
    if user is None:
        raise FounderRefused("no-account")
    if any(founder.user_id == user.id for founder in startup.founders):
        raise FounderRefused("already-founder")
    if user.role in PROMOTED_TO_FOUNDER:
        user.role = Role.FOUNDER
    founder = StartupFounder(user=user, role=role.strip())
    startup.founders.append(founder)
    dbsession.flush()
    return founder


def remove_founder(dbsession: Session, founder: StartupFounder) -> None:
    """Take the account off the team; the account and its role stay as they are."""
    founder.startup.founders.remove(founder)
    dbsession.flush()

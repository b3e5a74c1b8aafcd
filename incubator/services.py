"""The incubator's rules for cohorts, startups and their founders' accounts."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from dimoskopio.accounts.models import Role
from dimoskopio.accounts.services import find_user_by_email
from dimoskopio.db import fold_text, folded
from dimoskopio.web import page_count
from events.services import unique_slug
from incubator.models import Cohort, Startup, StartupFounder, StartupStatus

# Founder accounts of these roles become founders; any other role already grants more.
PROMOTED_TO_FOUNDER = (Role.MEMBER,)
# The startup list's cohort filter value for startups in no cohort.
NO_COHORT = "none"


class FounderRefused(Exception):
    """The account cannot join the startup's team; `reason` says why ("no-account" or "already-founder")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def filtered_startups(filters: StartupFilters) -> Select[Any]:
    query = select(Startup)
    if filters.q:
        # autoescape: a "%" or "_" typed in the search box is looked for, not a wildcard.
        query = query.where(folded(Startup.name).contains(fold_text(filters.q), autoescape=True))
    if filters.status is not None:
        query = query.where(Startup.status == filters.status)
    if filters.cohort == NO_COHORT:
        query = query.where(Startup.cohort_id.is_(None))
    elif filters.cohort is not None:
        query = query.where(Startup.cohort_id == filters.cohort)
    return query.order_by(Startup.name, Startup.id)


def paged_startups(dbsession: Session, filters: StartupFilters, page: int, per_page: int) -> StartupPage:
    query = filtered_startups(filters)
    total = dbsession.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = page_count(total, per_page)
    # A page past the end (an old link, a shorter list now) shows the last page instead.
    page = min(page, pages)
    startups = list(dbsession.scalars(
        query.options(selectinload(Startup.cohort)).limit(per_page).offset((page - 1) * per_page)))
    return StartupPage(startups, total, page, pages)


def startup_slug_refusal(dbsession: Session, startup: Startup | None, slug: str) -> str | None:
    """Why a startup may not take this web address: another startup has it ("taken"); None when it may."""
    query = select(Startup.id).where(Startup.slug == slug)
    if startup is not None:
        query = query.where(Startup.id != startup.id)
    return "taken" if dbsession.scalar(query) is not None else None


def save_startup(dbsession: Session, startup: Startup, values: dict[str, Any]) -> Startup:
    """Store the form's values; an empty web address is made from the name (one nobody else uses)."""
    for name in ("name", "description", "sector", "website"):
        setattr(startup, name, (values.get(name) or "").strip())
    startup.stage = values["stage"]
    startup.status = values["status"]
    startup.founded_on = values.get("founded_on")
    startup.cohort_id = values.get("cohort_id") or None
    wanted = (values.get("slug") or "").strip()
    startup.slug = wanted or unique_slug(dbsession, Startup, startup.name, exclude_id=startup.id)
    dbsession.add(startup)
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

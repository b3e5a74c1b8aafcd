"""The incubator's startups, the cohorts they go through, and their founders' accounts."""

import datetime
import enum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dimoskopio.accounts.models import User
from dimoskopio.db import Base, enum_column_type, utcnow
from dimoskopio.i18n import _

NAME_MAX_LENGTH = 160
SLUG_MAX_LENGTH = 80
SECTOR_MAX_LENGTH = 120
WEBSITE_MAX_LENGTH = 300
FOUNDER_ROLE_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 5000


class KpiPeriod(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


KPI_PERIOD_LABELS = {
    KpiPeriod.MONTHLY: _("Monthly"),
    KpiPeriod.QUARTERLY: _("Quarterly"),
}


class Cohort(Base):
    """A year's group of startups going through a programme together."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), unique=True)
    programme: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[datetime.date] = mapped_column(Date)
    ends_on: Mapped[datetime.date] = mapped_column(Date)
    kpi_period: Mapped[KpiPeriod] = mapped_column(enum_column_type(KpiPeriod, "kpi_period"),
                                                  default=KpiPeriod.QUARTERLY)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    startups: Mapped[list["Startup"]] = relationship(back_populates="cohort", order_by="Startup.name")


class StartupStage(enum.StrEnum):
    IDEA = "idea"
    MVP = "mvp"
    EARLY_REVENUE = "early_revenue"
    GROWTH = "growth"


STARTUP_STAGE_LABELS = {
    StartupStage.IDEA: _("Idea"),
    StartupStage.MVP: _("MVP"),
    StartupStage.EARLY_REVENUE: _("Early revenue"),
    StartupStage.GROWTH: _("Growth"),
}


class StartupStatus(enum.StrEnum):
    APPLICANT = "applicant"
    INCUBATED = "incubated"
    GRADUATED = "graduated"
    ALUMNI = "alumni"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


STARTUP_STATUS_LABELS = {
    StartupStatus.APPLICANT: _("Applicant"),
    StartupStatus.INCUBATED: _("Incubated"),
    StartupStatus.GRADUATED: _("Graduated"),
    StartupStatus.ALUMNI: _("Alumni"),
    StartupStatus.WITHDRAWN: _("Withdrawn"),
    StartupStatus.CLOSED: _("Closed"),
}


class Startup(Base):
    __tablename__ = "startups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(SECTOR_MAX_LENGTH), default="")
    stage: Mapped[StartupStage] = mapped_column(enum_column_type(StartupStage, "startup_stage"),
                                                default=StartupStage.IDEA)
    status: Mapped[StartupStatus] = mapped_column(enum_column_type(StartupStatus, "startup_status"),
                                                  default=StartupStatus.APPLICANT, index=True)
    founded_on: Mapped[datetime.date | None] = mapped_column(Date)
    website: Mapped[str] = mapped_column(String(WEBSITE_MAX_LENGTH), default="")
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    cohort: Mapped[Cohort | None] = relationship(back_populates="startups")
    # The founders chose to be listed in the public directory (while incubated, graduated or alumni).
    in_directory: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    founders: Mapped[list["StartupFounder"]] = relationship(
        back_populates="startup", cascade="all, delete-orphan", order_by="StartupFounder.id")
    status_changes: Mapped[list["StartupStatusChange"]] = relationship(
        back_populates="startup", cascade="all, delete-orphan", order_by="StartupStatusChange.changed_on")


class StartupStatusChange(Base):
    """One step of a startup's timeline: the status it took, and when."""

    __tablename__ = "startup_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship(back_populates="status_changes")
    status: Mapped[StartupStatus] = mapped_column(enum_column_type(StartupStatus, "startup_status"))
    changed_on: Mapped[datetime.date] = mapped_column(Date)
    changed_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class StartupFounder(Base):
    """A founder's account on a startup's team, with their role in it."""

    __tablename__ = "startup_founders"
    __table_args__ = (UniqueConstraint("startup_id", "user_id", name="uq_startup_founders_startup_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship(back_populates="founders")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship(lazy="joined")
    role: Mapped[str] = mapped_column(String(FOUNDER_ROLE_MAX_LENGTH), default="")

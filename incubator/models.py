"""The incubator: calls and their reviews, cohorts and their milestones, startups and their
founders, mentors and their office hours, and the KPIs startups report."""

import datetime
import enum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
TAG_MAX_LENGTH = 60
TITLE_MAX_LENGTH = 200
SHORT_TEXT_MAX_LENGTH = 500
LABEL_MAX_LENGTH = 300
FILENAME_MAX_LENGTH = 255
CONTENT_TYPE_MAX_LENGTH = 100
LOCATION_MAX_LENGTH = 300


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
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="(Milestone.due_on, Milestone.id)")


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
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str] = mapped_column(String(CONTENT_TYPE_MAX_LENGTH), default="")
    logo_updated_at: Mapped[datetime.datetime | None]
    # The graduation certificate standing for it (re-issuing points here at the new one).
    graduation_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    needs: Mapped[list["StartupNeed"]] = relationship(
        back_populates="startup", cascade="all, delete-orphan", order_by="StartupNeed.tag")

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


class StartupNeed(Base):
    """What a startup needs help with, as a tag that mentors' expertise is matched against."""

    __tablename__ = "startup_needs"
    __table_args__ = (UniqueConstraint("startup_id", "tag", name="uq_startup_needs_startup_tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship(back_populates="needs")
    tag: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH))


# --- cohort milestones -------------------------------------------------------------------------


class Milestone(Base):
    """A stage of a cohort's plan, due by a date."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    cohort: Mapped[Cohort] = relationship(back_populates="milestones")
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[datetime.date] = mapped_column(Date)


class StartupMilestone(Base):
    """A startup reached one of its cohort's milestones."""

    __tablename__ = "startup_milestones"
    __table_args__ = (UniqueConstraint("startup_id", "milestone_id", name="uq_startup_milestones_startup_milestone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship()
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    milestone: Mapped[Milestone] = relationship()
    completed_on: Mapped[datetime.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# --- calls for applications, applications and reviews ------------------------------------------


class Call(Base):
    """A call for applications to a cohort, open between two moments."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime.datetime]
    closes_at: Mapped[datetime.datetime]
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    cohort: Mapped[Cohort | None] = relationship()
    # Drafts of a call are staff's; a published call is listed on /calls while it is open.
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    questions: Mapped[list["CallQuestion"]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="(CallQuestion.position, CallQuestion.id)")
    criteria: Mapped[list["RubricCriterion"]] = relationship(
        back_populates="call", cascade="all, delete-orphan",
        order_by="(RubricCriterion.position, RubricCriterion.id)")


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    NUMBER = "number"
    FILE = "file"


QUESTION_KIND_LABELS = {
    QuestionKind.TEXT: _("Short text"),
    QuestionKind.LONG_TEXT: _("Long text"),
    QuestionKind.CHOICE: _("Choice"),
    QuestionKind.NUMBER: _("Number"),
    QuestionKind.FILE: _("File upload"),
}


class CallQuestion(Base):
    __tablename__ = "call_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    call: Mapped[Call] = relationship(back_populates="questions")
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column_type(QuestionKind, "question_kind"))
    label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    help_text: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    required: Mapped[bool] = mapped_column(default=True)
    # Choice questions: one option per line.
    choices: Mapped[str] = mapped_column(Text, default="")
    # Text questions: the most characters an answer may have.
    max_length: Mapped[int | None]
    # Number questions: the range an answer must fall in.
    min_value: Mapped[int | None]
    max_value: Mapped[int | None]
    # File questions: accepted extensions (comma-separated, e.g. "pdf,pptx") and the largest size.
    file_types: Mapped[str] = mapped_column(String(200), default="")
    max_file_kb: Mapped[int | None]


class RubricCriterion(Base):
    """One criterion reviewers score an application on, between two bounds, weighted in the ranking."""

    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    call: Mapped[Call] = relationship(back_populates="criteria")
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    description: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    weight: Mapped[int] = mapped_column(default=1)
    min_score: Mapped[int] = mapped_column(default=0)
    max_score: Mapped[int] = mapped_column(default=10)


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.DRAFT: _("Draft"),
    ApplicationStatus.SUBMITTED: _("Submitted"),
    ApplicationStatus.ACCEPTED: _("Accepted"),
    ApplicationStatus.WAITLISTED: _("Waiting list"),
    ApplicationStatus.REJECTED: _("Rejected"),
}


class Application(Base):
    """A founder's application to a call, for a startup they have or one they are starting."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("call_id", "applicant_id", name="uq_applications_call_applicant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    call: Mapped[Call] = relationship()
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    startup_id: Mapped[int | None] = mapped_column(ForeignKey("startups.id", ondelete="SET NULL"), index=True)
    startup: Mapped[Startup | None] = relationship()
    startup_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column_type(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT, index=True)
    # The applicant's language when they submitted: the decision email is written in it.
    locale: Mapped[str] = mapped_column(String(5), default="el")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime.datetime | None]
    decided_at: Mapped[datetime.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    answers: Mapped[list["ApplicationAnswer"]] = relationship(
        back_populates="application", cascade="all, delete-orphan")
    files: Mapped[list["ApplicationFile"]] = relationship(
        back_populates="application", cascade="all, delete-orphan")
    reviews: Mapped[list["Review"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Review.id")


class ApplicationAnswer(Base):
    __tablename__ = "application_answers"
    __table_args__ = (UniqueConstraint("application_id", "question_id",
                                       name="uq_application_answers_application_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    application: Mapped[Application] = relationship(back_populates="answers")
    question_id: Mapped[int] = mapped_column(ForeignKey("call_questions.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(Text, default="")


class ApplicationFile(Base):
    """A file an applicant uploaded for a file question, kept in the database so that every app
    server can serve it."""

    __tablename__ = "application_files"
    __table_args__ = (UniqueConstraint("application_id", "question_id",
                                       name="uq_application_files_application_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    application: Mapped[Application] = relationship(back_populates="files")
    question_id: Mapped[int] = mapped_column(ForeignKey("call_questions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX_LENGTH))
    content_type: Mapped[str] = mapped_column(String(CONTENT_TYPE_MAX_LENGTH))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class ReviewStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    CONFLICT = "conflict"
    SUBMITTED = "submitted"


REVIEW_STATUS_LABELS = {
    ReviewStatus.ASSIGNED: _("To review"),
    ReviewStatus.CONFLICT: _("Conflict of interest"),
    ReviewStatus.SUBMITTED: _("Submitted"),
}


class Review(Base):
    """A reviewer's assignment to an application, and their scores once they give them."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id", name="uq_reviews_application_reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    application: Mapped[Application] = relationship(back_populates="reviews")
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reviewer: Mapped[User] = relationship()
    status: Mapped[ReviewStatus] = mapped_column(enum_column_type(ReviewStatus, "review_status"),
                                                 default=ReviewStatus.ASSIGNED)
    comment: Mapped[str] = mapped_column(Text, default="")
    conflict_reason: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    assigned_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime.datetime | None]

    scores: Mapped[list["ReviewScore"]] = relationship(back_populates="review", cascade="all, delete-orphan")


class ReviewScore(Base):
    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id", name="uq_review_scores_review_criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    review: Mapped[Review] = relationship(back_populates="scores")
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"))
    criterion: Mapped[RubricCriterion] = relationship()
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")


# --- mentors and office hours -------------------------------------------------------------------


class MentorProfile(Base):
    """A mentor's public face: who they are, what they know, the languages they mentor in."""

    __tablename__ = "mentor_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    user: Mapped[User] = relationship(lazy="joined")
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    headline: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # Language codes, comma-separated ("el,en").
    languages: Mapped[str] = mapped_column(String(40), default="el")
    availability: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    # The mentor agreed to be listed on /mentors.
    in_directory: Mapped[bool] = mapped_column(default=False)
    # The secret in the address of the mentor's personal calendar feed of sessions.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    expertise: Mapped[list["MentorExpertise"]] = relationship(
        back_populates="mentor", cascade="all, delete-orphan", order_by="MentorExpertise.tag")


class MentorExpertise(Base):
    __tablename__ = "mentor_expertise"
    __table_args__ = (UniqueConstraint("mentor_id", "tag", name="uq_mentor_expertise_mentor_tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True)
    mentor: Mapped[MentorProfile] = relationship(back_populates="expertise")
    tag: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH))


class MentorAssignment(Base):
    """Staff assigned a mentor to a startup: the mentor sees it, its founders may book the mentor."""

    __tablename__ = "mentor_assignments"
    __table_args__ = (UniqueConstraint("mentor_id", "startup_id", name="uq_mentor_assignments_mentor_startup"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True)
    mentor: Mapped[MentorProfile] = relationship()
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship()
    assigned_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SessionMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


SESSION_MODE_LABELS = {
    SessionMode.IN_PERSON: _("In person"),
    SessionMode.ONLINE: _("Online"),
}


class OfficeHourSlot(Base):
    """A time a mentor offers for one session."""

    __tablename__ = "office_hour_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True)
    mentor: Mapped[MentorProfile] = relationship()
    starts_at: Mapped[datetime.datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime.datetime]
    mode: Mapped[SessionMode] = mapped_column(enum_column_type(SessionMode, "session_mode"),
                                              default=SessionMode.IN_PERSON)
    # A room or address in person, a meeting link online.
    location: Mapped[str] = mapped_column(String(LOCATION_MAX_LENGTH), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    # The mentor withdrew the slot; its booking, if any, was cancelled with it.
    withdrawn_at: Mapped[datetime.datetime | None]

    @property
    def meeting_link(self) -> str | None:
        """The online meeting's address, to link to; None in person or when the location is no web address."""
        if self.mode == SessionMode.ONLINE and self.location.startswith(("https://", "http://")):
            return self.location
        return None


class MentorSessionStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class MentorSession(Base):
    """A startup's booking of an office-hours slot, then the session's notes and logged time.

    At most one booking of a slot stands at a time: the partial unique index refuses a second,
    whichever app server's request comes first."""

    __tablename__ = "mentor_sessions"
    __table_args__ = (
        Index("uq_mentor_sessions_slot_booked", "slot_id", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("office_hour_slots.id", ondelete="CASCADE"), index=True)
    slot: Mapped[OfficeHourSlot] = relationship(lazy="joined")
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship()
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    topic: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    status: Mapped[MentorSessionStatus] = mapped_column(
        enum_column_type(MentorSessionStatus, "mentor_session_status"), default=MentorSessionStatus.BOOKED)
    booked_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime.datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    # Bumped at each change, so calendar apps replace the invitation they hold (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_at: Mapped[datetime.datetime | None]
    # The session's length as the mentor logged it, after it was held.
    minutes_logged: Mapped[int | None]


# --- KPIs ----------------------------------------------------------------------------------------


class RevenueBand(enum.StrEnum):
    NONE = "none"
    UNDER_10K = "under_10k"
    FROM_10K_TO_50K = "10k_50k"
    FROM_50K_TO_250K = "50k_250k"
    FROM_250K_TO_1M = "250k_1m"
    OVER_1M = "over_1m"


REVENUE_BAND_LABELS = {
    RevenueBand.NONE: _("No revenue"),
    RevenueBand.UNDER_10K: _("Under €10,000"),
    RevenueBand.FROM_10K_TO_50K: _("€10,000–50,000"),
    RevenueBand.FROM_50K_TO_250K: _("€50,000–250,000"),
    RevenueBand.FROM_250K_TO_1M: _("€250,000–1,000,000"),
    RevenueBand.OVER_1M: _("Over €1,000,000"),
}


class KpiReport(Base):
    """What a startup reported for one period (a month or a quarter, as its cohort asks)."""

    __tablename__ = "kpi_reports"
    __table_args__ = (UniqueConstraint("startup_id", "period_start", name="uq_kpi_reports_startup_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    startup: Mapped[Startup] = relationship()
    period: Mapped[KpiPeriod] = mapped_column(enum_column_type(KpiPeriod, "kpi_period"))
    # The first day of the month or quarter reported on.
    period_start: Mapped[datetime.date] = mapped_column(Date)
    full_time_employees: Mapped[int] = mapped_column(default=0)
    revenue_band: Mapped[RevenueBand] = mapped_column(enum_column_type(RevenueBand, "revenue_band"),
                                                      default=RevenueBand.NONE)
    customers: Mapped[int] = mapped_column(default=0)
    patents: Mapped[int] = mapped_column(default=0)
    highlights: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    funding: Mapped[list["FundingRaised"]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="FundingRaised.id")


class FundingSource(enum.StrEnum):
    GRANT = "grant"
    ANGEL = "angel"
    VENTURE_CAPITAL = "venture_capital"
    LOAN = "loan"
    CROWDFUNDING = "crowdfunding"
    PRIZE = "prize"
    OTHER = "other"


FUNDING_SOURCE_LABELS = {
    FundingSource.GRANT: _("Grant"),
    FundingSource.ANGEL: _("Angel investment"),
    FundingSource.VENTURE_CAPITAL: _("Venture capital"),
    FundingSource.LOAN: _("Loan"),
    FundingSource.CROWDFUNDING: _("Crowdfunding"),
    FundingSource.PRIZE: _("Prize"),
    FundingSource.OTHER: _("Other"),
}


class FundingRaised(Base):
    """Money a startup raised in a reported period, in whole euros, and where it came from."""

    __tablename__ = "funding_raised"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("kpi_reports.id", ondelete="CASCADE"), index=True)
    report: Mapped[KpiReport] = relationship(back_populates="funding")
    amount_eur: Mapped[int]
    source: Mapped[FundingSource] = mapped_column(enum_column_type(FundingSource, "funding_source"))
    source_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")


class KpiReminderKind(enum.StrEnum):
    DUE = "due"
    OVERDUE = "overdue"


class KpiReminder(Base):
    """A reminder sent for a startup's report of a period; one of each kind, whatever reruns."""

    __tablename__ = "kpi_reminders"
    __table_args__ = (
        UniqueConstraint("startup_id", "period_start", "kind", name="uq_kpi_reminders_startup_period_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[datetime.date] = mapped_column(Date)
    kind: Mapped[KpiReminderKind] = mapped_column(enum_column_type(KpiReminderKind, "kpi_reminder_kind"))
    sent_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
